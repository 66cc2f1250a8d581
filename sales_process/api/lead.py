"""Whitelisted lead methods (G5, G7). POST only; each checks the caller's permission on the lead
before anything changes (in sales_process.domain.lead, or lead_conversion for convert_lead)."""

import frappe

from sales_process.domain import lead
from sales_process.domain.idempotency import idempotent


@frappe.whitelist(methods=["POST"])
@idempotent
def claim_lead(name: str) -> dict:
	return lead.claim(name).as_dict()


@frappe.whitelist(methods=["POST"])
@idempotent
def release_lead(name: str, reason: str) -> dict:
	return lead.release(name, reason).as_dict()


@frappe.whitelist(methods=["POST"])
def assign_lead(name: str, sales_person: str, reason: str | None = None) -> dict:
	return lead.assign(name, sales_person, reason).as_dict()


@frappe.whitelist(methods=["POST"])
def disqualify_lead(name: str, reason: str) -> dict:
	return lead.disqualify(name, reason).as_dict()


@frappe.whitelist(methods=["POST"])
@idempotent
def convert_lead(name: str, amount: float | None = None, expected_close_date: str | None = None) -> dict:
	"""G7: Customer + Contact + a Sales Opportunity under the holder → their names."""
	from sales_process.domain import lead_conversion

	return lead_conversion.convert(name, amount, expected_close_date)
