"""Data scope along the Sales Person tree (A1), registered in hooks.py for list queries
(permission_query_conditions) and single documents (has_permission). Both use the same
condition from sales_process.domain.hierarchy, so a list never shows what a get refuses."""

import frappe

from sales_process.domain import hierarchy

# Accountants follow contracts and collections company-wide: they read opportunities (never
# write: their role has no write permission) without the hierarchy restriction.
READ_ALL_ROLES = frozenset({"Accounts User", "Accounts Manager"})
READ_PTYPES = frozenset({"read", "report", "select"})


def _reads_all(user: str) -> bool:
	return bool(READ_ALL_ROLES.intersection(frappe.get_roles(user)))


def opportunity_query(user: str | None = None) -> str:
	user = user or frappe.session.user
	if _reads_all(user):
		return ""
	return hierarchy.scope_condition("`tabSales Opportunity`.`sales_person`", user)


def opportunity_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	user = user or frappe.session.user
	if doc.is_new() or not doc.get("sales_person"):
		return None  # creation: prepare_new decides the owner
	if ptype in READ_PTYPES and _reads_all(user):
		return None
	return None if hierarchy.in_scope(doc.sales_person, user) else False


def stage_log_query(user: str | None = None) -> str:
	condition = opportunity_query(user)
	if not condition:
		return ""
	return (
		"`tabOpportunity Stage Log`.`opportunity` in "
		f"(select `name` from `tabSales Opportunity` where {condition})"
	)


def stage_log_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	owner = frappe.db.get_value("Sales Opportunity", doc.opportunity, "sales_person")
	user = user or frappe.session.user
	if ptype in READ_PTYPES and _reads_all(user):
		return None
	return None if hierarchy.in_scope(owner, user) else False


def daily_log_query(user: str | None = None) -> str:
	return hierarchy.scope_condition("`tabSales Daily Log`.`sales_person`", user or frappe.session.user)


def daily_log_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	if doc.is_new() or not doc.get("sales_person"):
		return None
	return None if hierarchy.in_scope(doc.sales_person, user or frappe.session.user) else False


def _visibility(field: str) -> str:
	return frappe.db.get_single_value("Sales Process Settings", field) or "Company"


def help_alert_query(user: str | None = None) -> str:
	"""A3: readable company-wide, or (setting) within the hierarchy of the raiser."""
	user = user or frappe.session.user
	if _visibility("help_alert_scope") == "Company":
		return ""
	return hierarchy.scope_condition("`tabHelp Alert`.`raised_by_sales_person`", user)


def help_alert_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	user = user or frappe.session.user
	if doc.is_new() or _visibility("help_alert_scope") == "Company":
		return None
	return None if hierarchy.in_scope(doc.raised_by_sales_person, user) else False


def experience_query(user: str | None = None) -> str:
	user = user or frappe.session.user
	if _visibility("experience_visibility") == "Company":
		return ""
	condition = hierarchy.scope_condition("`tabHelp Alert`.`raised_by_sales_person`", user)
	if not condition:
		return ""
	return (
		"(`tabExperience Entry`.`source_help_alert` is null or `tabExperience Entry`.`source_help_alert` in "
		f"(select `name` from `tabHelp Alert` where {condition}))"
	)


def experience_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	user = user or frappe.session.user
	if doc.is_new() or _visibility("experience_visibility") == "Company" or not doc.get("source_help_alert"):
		return None
	raiser = frappe.db.get_value("Help Alert", doc.source_help_alert, "raised_by_sales_person")
	return None if hierarchy.in_scope(raiser, user) else False


# --- leads (G5, A1) -------------------------------------------------------------------------------
# One rule (lead.visible_criterion) for lists, single documents and reports: a held lead follows
# its holder's scope; a pool lead is readable by those who may claim from its pool and changed
# (other than by claim_lead / assign_lead) by managers only.


def lead_query(user: str | None = None) -> str:
	from sales_process.domain import lead

	return lead.as_sql(lead.visible_criterion(frappe.qb.DocType("Sales Lead"), user))


def lead_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	if doc.is_new():
		return None  # creation: lead.prepare_new decides the holder and the pool
	from sales_process.domain import lead

	allowed = lead.can_access(doc.get("sales_person"), doc.get("pool"), ptype in READ_PTYPES, user)
	return None if allowed else False


def lead_log_query(user: str | None = None) -> str:
	from sales_process.domain import lead

	sl = frappe.qb.DocType("Sales Lead")
	criterion = lead.visible_criterion(sl, user)
	if criterion is None:
		return ""
	log = frappe.qb.DocType("Sales Lead Log")
	return lead.as_sql(log.lead.isin(frappe.qb.from_(sl).select(sl.name).where(criterion)))


def lead_log_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	from sales_process.domain import lead

	row = frappe.db.get_value("Sales Lead", doc.lead, ["sales_person", "pool"], as_dict=True)
	allowed = row and lead.can_access(row.sales_person, row.pool, ptype in READ_PTYPES, user)
	return None if allowed else False
