"""A1 has one home (sales_process.domain.hierarchy.scope_of): for users at every depth of a team and
around it, the list condition (permission_query_conditions, through frappe.get_list), the check of
one document (has_permission) and the reports' criterion select the same records — and those are
exactly the records of the user's subtree. Two teams, head ─ lead ─ rep, rep2 each."""

import pytest

import frappe

from sales_process.api import daily_log as log_api
from sales_process.api import help_alert as alert_api
from sales_process.domain import hierarchy
from sales_process.reports import pipeline

OPP = "Sales Opportunity"
STAGE_LOG = "Opportunity Stage Log"
DAILY_LOG = "Sales Daily Log"
ALERT = "Help Alert"
EXPERIENCE = "Experience Entry"
ALL = "all"


def as_user(user, fn, *args, **kwargs):
	frappe.set_user(user)
	try:
		return fn(*args, **kwargs)
	finally:
		frappe.set_user("Administrator")


@pytest.fixture
def org(factory):
	"""Per person of both teams: an opportunity (with its stage log), a daily log and a help alert;
	an experience entry from an alert of each team and one without a source alert. Help alerts and
	experience entries follow the hierarchy (A3), so every doctype here is scoped."""
	frappe.db.set_single_value(
		"Sales Process Settings", {"help_alert_scope": "Hierarchy", "experience_visibility": "Hierarchy"}
	)
	a, b = factory.team(), factory.team()
	people = [*a.values(), *b.values()]
	activity = frappe.get_all("Sales Activity Type", {"is_effective": 1}, pluck="name", limit=1)
	assert activity, "the activity-type fixture has an effective activity"

	owner = {doctype: {} for doctype in (OPP, STAGE_LOG, DAILY_LOG, ALERT, EXPERIENCE)}
	for person in people:
		opp = factory.opportunity(person)
		owner[OPP][opp.name] = person
		user = factory.user_of(person)
		owner[DAILY_LOG][as_user(user, log_api.add_log, opp.customer, activity, 30)] = person
		owner[ALERT][as_user(user, alert_api.raise_alert, opp.name, "其他", "需要支持")] = person
	for log in frappe.get_all(STAGE_LOG, {"opportunity": ("in", list(owner[OPP]))}, ["name", "opportunity"]):
		owner[STAGE_LOG][log.name] = owner[OPP][log.opportunity]
	assert set(owner[STAGE_LOG].values()) == set(people)

	alert_of = {person: name for name, person in owner[ALERT].items()}
	for team in (a, b):
		alert = alert_of[team.rep]
		response = as_user(factory.user_of(team.lead), alert_api.respond, alert, "先演示再报价")
		entry = as_user(factory.user_of(team.rep), alert_api.mark_effective, alert, response)
		owner[EXPERIENCE][entry] = team.rep
	unsourced = frappe.get_doc(
		{"doctype": EXPERIENCE, "title": "通用经验", "problem": "客户犹豫", "solution": "安排试用"}
	).insert()
	owner[EXPERIENCE][unsourced.name] = None  # no source alert: readable by everyone

	users = {key: factory.user_of(sp) for key, sp in (("head", a.head), ("lead", a.lead), ("rep", a.rep))}
	users["other team"] = factory.user_of(b.rep)
	users["manager"] = factory.user(roles=("Sales Manager", "Sales User"))
	users["no sales person"] = factory.user()
	sees = {
		"head": set(a.values()),
		"lead": {a.lead, a.rep, a.rep2},
		"rep": {a.rep},
		"other team": {b.rep},
		"manager": ALL,
		"no sales person": set(),
	}
	subtrees = {
		a.head: set(a.values()),
		a.lead: {a.lead, a.rep, a.rep2},
		a.rep: {a.rep},
		a.rep2: {a.rep2},
	}
	return frappe._dict(owner=owner, users=users, sees=sees, subtrees=subtrees)


def listed(doctype, names, user) -> set[str]:
	return {str(n) for n in as_user(user, frappe.get_list, doctype, {"name": ("in", names)}, pluck="name")}


def readable(doctype, names, user) -> set[str]:
	return {n for n in names if frappe.has_permission(doctype, "read", doc=n, user=user)}


def reported(doctype, names, user) -> set[str]:
	"""What the reports' scope lets through: the pipeline reports' on opportunities and their stage
	logs, the daily-log analytics' on logs, the help-alert statistics' on alerts."""
	opp = frappe.qb.DocType(OPP)
	if doctype == OPP:
		query = pipeline.scope(frappe.qb.from_(opp).select(opp.name), opp.sales_person, user)
		table = opp
	elif doctype == STAGE_LOG:
		table = frappe.qb.DocType(STAGE_LOG)
		query = frappe.qb.from_(table).join(opp).on(opp.name == table.opportunity).select(table.name)
		query = pipeline.scope(query, opp.sales_person, user)
	elif doctype == DAILY_LOG:
		table = frappe.qb.DocType(DAILY_LOG)
		query = hierarchy.apply_scope(frappe.qb.from_(table).select(table.name), table.sales_person, user)
	else:
		table = frappe.qb.DocType(ALERT)
		query = hierarchy.visibility_scope("help_alert_scope", user).apply(
			frappe.qb.from_(table).select(table.name), table.raised_by_sales_person
		)
	return {str(n) for n in query.where(table.name.isin(list(names))).run(pluck=True)}


def expected(org, doctype, key) -> set[str]:
	sees = org.sees[key]
	return {
		str(name)
		for name, person in org.owner[doctype].items()
		if sees == ALL or person is None or person in sees
	}


@pytest.mark.parametrize("doctype", [OPP, STAGE_LOG, DAILY_LOG, ALERT, EXPERIENCE])
def test_list_document_and_report_scopes_agree(org, doctype):
	names = [str(n) for n in org.owner[doctype]]
	for key, user in org.users.items():
		want = expected(org, doctype, key)
		assert listed(doctype, names, user) == want, (key, "list")
		assert readable(doctype, names, user) == want, (key, "document")
		if doctype != EXPERIENCE:  # no report reads experience entries
			assert reported(doctype, names, user) == want, (key, "report")


def test_accountants_read_every_opportunity_in_lists_documents_and_reports(org, factory):
	accountant = factory.user(roles=("Accounts User",))
	names = [str(n) for n in org.owner[OPP]]
	assert listed(OPP, names, accountant) == set(names)
	assert readable(OPP, names, accountant) == set(names)
	assert reported(OPP, names, accountant) == set(names)
	some = frappe.get_doc(OPP, names[0])
	assert not frappe.has_permission(OPP, "write", doc=some, user=accountant)


def test_the_sales_person_filter_selects_the_subtree_the_person_sees(org, factory):
	"""A report's "sales person (with subtree)" filter on someone selects what that person sees."""
	opp = frappe.qb.DocType(OPP)
	names = [str(n) for n in org.owner[OPP]]
	for sales_person, below in org.subtrees.items():
		criterion = hierarchy.subtree_filter(opp.sales_person, sales_person)
		filtered = set(
			frappe.qb.from_(opp).select(opp.name).where(opp.name.isin(names) & criterion).run(pluck=True)
		)
		assert filtered == {n for n, person in org.owner[OPP].items() if person in below}
		assert filtered == listed(OPP, names, factory.user_of(sales_person))
		assert set(hierarchy.subtree(sales_person)) == below
	assert hierarchy.subtree_filter(opp.sales_person, None) is None
	with pytest.raises(frappe.DoesNotExistError):
		hierarchy.subtree_filter(opp.sales_person, "no such sales person")


def test_the_sql_condition_is_rendered_from_the_criterion(org):
	"""scope_condition (the permission_query_conditions form) is the qb criterion as SQL."""
	opp = frappe.qb.DocType(OPP)
	column = "`tabSales Opportunity`.`sales_person`"
	for key, user in org.users.items():
		criterion = hierarchy.scope_criterion(opp.sales_person, user)
		assert hierarchy.scope_condition(column, user) == hierarchy.sql(criterion), key
		assert (criterion is None) == (org.sees[key] == ALL) == hierarchy.is_scope_free(user), key
