"""M3: Frappe's Data Import of Sales Opportunity and Sales Lead at the stage and owner each row
names, for Sales Managers and System Managers.

A normal entry starts in the first stage, owned by its creator, with a future close date (O1). An
import brings in a pipeline that already exists, so a manager's row keeps its `stage` and
`sales_person`; the stage's fields (entered, due, probability, status) follow from the stage, and
the O2 / G3 duplicate checks still apply. Each row is inserted (and, when it fails, rolled back) on
its own by Data Import, so a refused row leaves neither the record nor its log row behind.
"""

import frappe
from frappe import _
from frappe.utils import cstr, formatdate, getdate, today

from sales_process.domain import hierarchy, lost_reasons
from sales_process.domain import opportunity as opp

IMPORT_ROLES = frozenset({"Sales Manager", "System Manager"})


def is_import(doc) -> bool:
	return bool(frappe.flags.in_import or doc.flags.in_import)


def require_importer(doctype: str):
	"""Only managers import (M3): a salesperson's row is refused, whatever the file says."""
	user = frappe.session.user
	if user != "Administrator" and not IMPORT_ROLES.intersection(frappe.get_roles(user)):
		frappe.throw(
			_("Only a Sales Manager or a System Manager can import {0}; ask one to import this file.").format(
				_(doctype)
			),
			frappe.PermissionError,
		)


def check_owner(sales_person: str | None, doctype: str):
	"""The row's owner exists, is enabled and lies within the importer's scope (A1)."""
	if not sales_person:
		return
	if not frappe.db.get_value("Sales Person", sales_person, "enabled"):
		frappe.throw(_("Sales Person {0} is disabled.").format(sales_person), opp.ProcessError)
	if not hierarchy.in_scope(sales_person):
		frappe.throw(
			_("Sales Person {0} is outside your team; you cannot import {1} for them.").format(
				sales_person, _(doctype)
			),
			frappe.PermissionError,
		)


def prepare_opportunity(doc):
	"""before_insert of an imported Sales Opportunity (instead of opportunity.prepare_new)."""
	require_importer("Sales Opportunity")
	if not doc.stage:
		frappe.throw(_("The stage is required when importing an opportunity."), frappe.MandatoryError)
	row = next((s for s in opp.process_stages() if s.name == doc.stage), None)
	if not row:
		frappe.throw(_("Stage {0} does not exist.").format(doc.stage), opp.ProcessError)
	doc.sales_person = doc.sales_person or opp.me()
	if not doc.sales_person:
		frappe.throw(
			_("The owner (Sales Person) is required when importing an opportunity."), frappe.MandatoryError
		)
	check_owner(doc.sales_person, "Sales Opportunity")
	if frappe.db.get_value("Customer", doc.customer, "disabled"):
		frappe.throw(_("Customer {0} is disabled.").format(doc.customer), frappe.ValidationError)
	if not doc.expected_close_date:
		frappe.throw(_("The expected close date is required."), frappe.MandatoryError)
	if not row.is_terminal and getdate(doc.expected_close_date) < getdate(today()):
		# a won or lost deal closed in the past; an open one still has to close ahead
		frappe.throw(
			_(
				"The expected close date {0} is in the past; only won or lost opportunities may be imported with a past date."
			).format(formatdate(doc.expected_close_date)),
			frappe.ValidationError,
		)
	if row.is_lost and not cstr(doc.lost_reason).strip():
		frappe.throw(_("A lost opportunity needs its lost reason."), frappe.MandatoryError)
	# K8: an enabled entry of the Sales Lost Reason list, and an optional explanation
	reason = lost_reasons.check(doc.lost_reason) if row.is_lost else None
	detail = lost_reasons.clean_detail(doc.lost_detail) if row.is_lost else None
	if not doc.currency:
		doc.currency = frappe.get_cached_value("Company", doc.company, "default_currency")

	doc.update(opp.enter_stage(row))
	doc.update(
		{
			"status": "Won" if row.is_won else "Lost" if row.is_lost else "Open",
			"previous_sales_person": None,
			"lost_requested": 0,
			"lost_reason": reason,
			"lost_detail": detail,
			"lost_requested_by": None,
			"lost_requested_at": None,
		}
	)
	if not row.is_terminal:
		# O2 protects open claims; a closed deal claims nothing
		opp.check_claim(doc.customer, doc.sales_person)
	doc.flags.sales_process_import = True


IMPORT_LEAD_STATUSES = ("New", "Contacted", "Qualified")


def lead_status(doc) -> str:
	"""The imported lead's status: an open one the row names (converting or disqualifying happens
	in the app, with its customer or reason), New by default."""
	status = doc.status or "New"
	if status not in IMPORT_LEAD_STATUSES:
		frappe.throw(
			_("A lead is imported as {0}; {1} is not allowed.").format(
				", ".join(_(s, context="Sales Lead") for s in IMPORT_LEAD_STATUSES),
				_(status, context="Sales Lead"),
			),
			frappe.ValidationError,
		)
	return status
