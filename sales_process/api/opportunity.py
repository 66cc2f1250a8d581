"""Whitelisted opportunity methods (O3, O4, D3; public names: docs/rules.md). POST only; each loads the
opportunity with a permission check (and row lock) before anything changes."""

import frappe

from sales_process.domain import opportunity
from sales_process.domain.idempotency import idempotent


@frappe.whitelist(methods=["POST"])
@idempotent
def advance_stage(name: str, to_stage: str, evidence: dict | str | None = None) -> dict:
	return opportunity.advance(name, to_stage, evidence).as_dict()


@frappe.whitelist(methods=["POST"])
def return_opportunity(name: str, note: str | None = None) -> dict:
	return opportunity.return_opportunity(name, note).as_dict()


@frappe.whitelist(methods=["POST"])
def keep_opportunity(name: str, note: str | None = None) -> dict:
	return opportunity.keep_opportunity(name, note).as_dict()


@frappe.whitelist(methods=["POST"])
def reassign_opportunity(name: str, sales_person: str, note: str | None = None) -> dict:
	return opportunity.reassign(name, sales_person, note).as_dict()


@frappe.whitelist(methods=["POST"])
def request_lost(name: str, reason: str, detail: str | None = None) -> dict:
	"""`reason`: a Sales Lost Reason (K8); `detail`: an optional explanation."""
	return opportunity.request_lost(name, reason, detail).as_dict()


@frappe.whitelist(methods=["POST"])
def approve_lost(name: str) -> dict:
	return opportunity.approve_lost(name).as_dict()


@frappe.whitelist(methods=["POST"])
def reject_lost(name: str, note: str | None = None) -> dict:
	return opportunity.reject_lost(name, note).as_dict()


@frappe.whitelist(methods=["POST"])
def correct_closed(
	name: str,
	reason: str,
	amount: float | None = None,
	currency: str | None = None,
	customer: str | None = None,
	expected_close_date: str | None = None,
) -> dict:
	"""K1: a manager's logged correction of a won or lost opportunity's figures."""
	return opportunity.correct_closed(
		name,
		reason,
		amount=amount,
		currency=currency,
		customer=customer,
		expected_close_date=expected_close_date,
	).as_dict()


@frappe.whitelist()
def get_stage_path(name: str) -> dict:
	"""For the form: every stage with its state, and the current stage's exit criteria."""
	doc = opportunity.load(name, "read", for_update=False)
	stages = opportunity.process_stages()
	current = next((s for s in stages if s.name == doc.stage), None)
	criteria = []
	if current and not current.is_terminal:
		stage_doc = frappe.get_cached_doc("Sales Process Stage", current.name)
		criteria = [
			{"criterion": c.criterion, "mandatory": c.mandatory, "hint": c.hint}
			for c in stage_doc.exit_criteria
		]
	user = frappe.session.user
	from sales_process.domain import help_alert

	return {
		# E1: what the experience pool knows about the stage the opportunity is in
		"experience": help_alert.search(stage=doc.stage, limit=5) if doc.status == "Open" else [],
		"stages": [
			{
				"name": s.name,
				"sequence": s.sequence,
				"probability": s.probability,
				"is_won": s.is_won,
				"is_lost": s.is_lost,
				"state": "current"
				if current and s.name == current.name
				else ("done" if current and s.sequence < current.sequence and not s.is_terminal else "todo"),
			}
			for s in stages
		],
		"next_stage": opportunity.next_stage(doc.stage).name
		if doc.status == "Open" and current and not current.is_terminal
		else None,
		"criteria": criteria,
		"can": {
			"advance": doc.status == "Open" and not doc.lost_requested and doc.has_permission("write"),
			"move_back": doc.status == "Open" and opportunity.can_move_back(doc, user),
			"reassign": doc.status == "Open" and opportunity.can_manage(doc, user),
			"decide_lost": doc.status == "Open"
			and bool(doc.lost_requested)
			and opportunity.can_approve(doc, user),
			"return_or_keep": doc.status == "Open"
			and bool(doc.previous_sales_person)
			and opportunity.holds_confiscated(doc, user),
		},
	}
