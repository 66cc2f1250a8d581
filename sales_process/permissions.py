"""Data scope along the Sales Person tree (A1), registered in hooks.py for list queries
(permission_query_conditions) and single documents (has_permission). Each pair derives both from
one `hierarchy.Scope`, so a list never shows what a get refuses."""

import frappe

from sales_process.domain import hierarchy

# Accountants follow contracts and collections company-wide: they read opportunities (never
# write: their role has no write permission) without the hierarchy restriction.
READ_ALL_ROLES = frozenset({"Accounts User", "Accounts Manager"})
READ_PTYPES = frozenset({"read", "report", "select"})


def _reads_all(user: str) -> bool:
	return bool(READ_ALL_ROLES.intersection(frappe.get_roles(user)))


def opportunity_scope(user: str | None = None, ptype: str | None = "read") -> hierarchy.Scope:
	"""The scope of opportunities and what hangs off them: the user's (A1), or everything for an
	accountant reading."""
	user = user or frappe.session.user
	if ptype in READ_PTYPES and _reads_all(user):
		return hierarchy.EVERYONE
	return hierarchy.scope_of(user)


def _allowed(scope: hierarchy.Scope, sales_person: str | None):
	"""has_permission's answer: None lets the role permissions decide, False refuses."""
	return None if scope.contains(sales_person) else False


def _linked(link, doctype: str, column: str, scope: hierarchy.Scope):
	"""`link` (a Link to `doctype`) pointing at a record whose Sales Person `column` is in scope,
	as a criterion; None when unrestricted."""
	target = frappe.qb.DocType(doctype)
	criterion = scope.criterion(target[column])
	if criterion is None:
		return None
	return link.isin(frappe.qb.from_(target).select(target.name).where(criterion))


def _allowed_linked(scope: hierarchy.Scope, doctype: str, name: str, column: str):
	"""`_allowed` for a document that belongs to the Sales Person of the `doctype` record it links."""
	if scope.unrestricted:
		return None
	return _allowed(scope, frappe.db.get_value(doctype, name, column))


def opportunity_query(user: str | None = None) -> str:
	opp = frappe.qb.DocType("Sales Opportunity")
	return hierarchy.sql(opportunity_scope(user).criterion(opp.sales_person))


def opportunity_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	if doc.is_new() or not doc.get("sales_person"):
		return None  # creation: prepare_new decides the owner
	return _allowed(opportunity_scope(user, ptype), doc.sales_person)


def stage_log_query(user: str | None = None) -> str:
	log = frappe.qb.DocType("Opportunity Stage Log")
	return hierarchy.sql(
		_linked(log.opportunity, "Sales Opportunity", "sales_person", opportunity_scope(user))
	)


def stage_log_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	return _allowed_linked(
		opportunity_scope(user, ptype), "Sales Opportunity", doc.opportunity, "sales_person"
	)


def daily_log_query(user: str | None = None) -> str:
	log = frappe.qb.DocType("Sales Daily Log")
	return hierarchy.sql(hierarchy.scope_of(user).criterion(log.sales_person))


def daily_log_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	if doc.is_new() or not doc.get("sales_person"):
		return None
	return _allowed(hierarchy.scope_of(user), doc.sales_person)


def help_alert_query(user: str | None = None) -> str:
	"""A3: readable company-wide, or (setting) within the hierarchy of the raiser."""
	alert = frappe.qb.DocType("Help Alert")
	return hierarchy.sql(
		hierarchy.visibility_scope("help_alert_scope", user).criterion(alert.raised_by_sales_person)
	)


def help_alert_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	if doc.is_new():
		return None
	return _allowed(hierarchy.visibility_scope("help_alert_scope", user), doc.raised_by_sales_person)


def experience_query(user: str | None = None) -> str:
	"""Entries without a source alert are readable by everyone."""
	entry = frappe.qb.DocType("Experience Entry")
	scope = hierarchy.visibility_scope("experience_visibility", user)
	linked = _linked(entry.source_help_alert, "Help Alert", "raised_by_sales_person", scope)
	return hierarchy.sql(None if linked is None else entry.source_help_alert.isnull() | linked)


def experience_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	if doc.is_new() or not doc.get("source_help_alert"):
		return None
	scope = hierarchy.visibility_scope("experience_visibility", user)
	return _allowed_linked(scope, "Help Alert", doc.source_help_alert, "raised_by_sales_person")


# --- leads (G5, A1) -------------------------------------------------------------------------------
# One rule (lead.visible_criterion) for lists, single documents and reports: a held lead follows
# its holder's scope; a pool lead is readable by those who may claim from its pool and changed
# (other than by claim_lead / assign_lead) by managers only.


def lead_query(user: str | None = None) -> str:
	from sales_process.domain import lead

	return hierarchy.sql(lead.visible_criterion(frappe.qb.DocType("Sales Lead"), user))


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
	return hierarchy.sql(log.lead.isin(frappe.qb.from_(sl).select(sl.name).where(criterion)))


def lead_log_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	from sales_process.domain import lead

	row = frappe.db.get_value("Sales Lead", doc.lead, ["sales_person", "pool"], as_dict=True)
	allowed = row and lead.can_access(row.sales_person, row.pool, ptype in READ_PTYPES, user)
	return None if allowed else False


# --- pipeline snapshots (K7): a row follows its person or team, as the opportunities it sums do ---


def snapshot_query(user: str | None = None) -> str:
	snap = frappe.qb.DocType("Sales Pipeline Snapshot")
	return hierarchy.sql(opportunity_scope(user).criterion(snap.sales_person))


def snapshot_has_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	if doc.is_new():
		return None
	return _allowed(opportunity_scope(user, ptype), doc.sales_person)
