"""Whitelisted help-alert and experience-pool methods (H1–H3, E1)."""

import frappe

from sales_process.domain import help_alert
from sales_process.domain.idempotency import idempotent


@frappe.whitelist(methods=["POST"])
@idempotent
def raise_alert(
	opportunity: str | None = None,
	reason: str | None = None,
	description: str | None = None,
	customer: str | None = None,
) -> str:
	"""On an open opportunity, or (K8) on a customer the caller holds when no opportunity is named."""
	frappe.has_permission("Help Alert", "create", throw=True)
	return help_alert.raise_alert(opportunity, reason, description, customer=customer)


@frappe.whitelist(methods=["POST"])
@idempotent
def respond(alert: str, analysis: str, countermeasure: str | None = None) -> str:
	return help_alert.respond(alert, analysis, countermeasure)


@frappe.whitelist(methods=["POST"])
@idempotent
def mark_effective(alert: str, response: str) -> str:
	return help_alert.mark_effective(alert, response)


@frappe.whitelist()
def search_experience(
	text: str | None = None, stage: str | None = None, reason: str | None = None, limit: int = 10
) -> list[dict]:
	frappe.has_permission("Experience Entry", "read", throw=True)
	return help_alert.search(text, stage, reason, limit)
