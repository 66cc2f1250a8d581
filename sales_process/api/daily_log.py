"""Whitelisted daily-log methods (L1, L2)."""

import json

import frappe
from frappe import _

from sales_process.domain import check_in as check_in_fields
from sales_process.domain import daily_log
from sales_process.domain.idempotency import idempotent


@frappe.whitelist(methods=["POST"])
@idempotent
def add_log(
	customer: str | None = None,
	activities: list | str | None = None,
	minutes: int | str | None = None,
	cost: float | str = 0,
	opportunity: str | None = None,
	note: str | None = None,
	log_date: str | None = None,
	difficulty: int | str = 0,
	corrects: str | None = None,
	difficulty_reason: str | None = None,
	lead: str | None = None,
	check_in: dict | str | None = None,
) -> str:
	"""L1 quick entry: a customer (or, before there is one, a lead: G7), the activities ticked,
	minutes and cost → the new entry's name. `check_in` (F2): the browser's position for a visit,
	{"latitude", "longitude", "accuracy" (m), "timestamp" (ms since 1970, UTC)}."""
	frappe.has_permission("Sales Daily Log", "create", throw=True)
	if isinstance(activities, str):
		try:
			activities = json.loads(activities)
		except ValueError:
			activities = [a.strip() for a in activities.split(",") if a.strip()]
	if not isinstance(activities, list) or not all(isinstance(a, str) for a in activities):
		frappe.throw(_("Activities must be a list of activity names."), daily_log.DailyLogError)
	try:
		minutes = int(minutes)
		cost = float(cost or 0)
		difficulty = int(difficulty or 0)
	except (TypeError, ValueError):
		frappe.throw(_("Minutes, cost and difficulty must be numbers."), daily_log.DailyLogError)
	if isinstance(check_in, str) and check_in.strip():
		try:
			check_in = json.loads(check_in)
		except ValueError:
			frappe.throw(
				_("The check-in must be an object with latitude, longitude, accuracy and timestamp."),
				daily_log.DailyLogError,
			)
	doc = frappe.get_doc(
		{
			"doctype": "Sales Daily Log",
			"customer": customer or None,
			"lead": lead or None,
			"opportunity": opportunity or None,
			"activities": [{"activity_type": a} for a in activities],
			"minutes": minutes,
			"cost": cost,
			"note": note,
			"log_date": log_date or None,
			"difficulty": 1 if difficulty else 0,
			"corrects": corrects or None,
			**check_in_fields.from_browser(check_in or None),
		}
	)
	doc.difficulty_reason = difficulty_reason  # not stored: the help alert raised from the entry keeps it
	doc.insert()
	return str(doc.name)


@frappe.whitelist()
def verify_chain(sales_person: str | None = None) -> dict:
	"""L2: {"ok": bool, "problems": [{"entry": name, "problem": text}]} for the chains in scope."""
	frappe.has_permission("Sales Daily Log", "read", throw=True)
	return daily_log.verify(daily_log.chains_in_scope(sales_person))
