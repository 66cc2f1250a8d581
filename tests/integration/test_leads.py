"""Leads in one process (G1, G3, G5): the creation path, the log, duplicate protection, the pool's
claim / release / assign with their limits, visibility, and the stale-lead job. Everything runs in
the test's transaction and is rolled back. Concurrency, REST and the killed job are in
test_lead_rest.py and test_fault_pool.py."""

from contextlib import contextmanager

import pytest

import frappe
from frappe.utils import add_days, now_datetime

from sales_process.domain import lead
from sales_process.domain.opportunity import ProcessError
from sales_process.scheduled.pool import return_stale_leads

LEAD, LOG, POOL = "Sales Lead", "Sales Lead Log", "Sales Lead Pool"
SETTINGS = "Sales Process Settings"


@contextmanager
def as_user(user: str):
	previous = frappe.session.user
	frappe.set_user(user)
	frappe.local.request_cache.clear()  # sales_person_of / bounds are cached per request
	try:
		yield
	finally:
		frappe.set_user(previous)
		frappe.local.request_cache.clear()


@pytest.fixture
def team(world):
	"""The committed people of the session's World (making a Sales Person tree per test is slow):
	lead ─ rep, rep2; outsider in another team."""
	keys = {"head": "head", "lead": "lead_a", "rep": "rep_a1", "rep2": "rep_a2", "outsider": "rep_b1"}
	t = frappe._dict({k: world.sp[v] for k, v in keys.items()})
	t.users = {k: world.users[v] for k, v in keys.items()}
	frappe.local.request_cache.clear()
	return t


def new_lead(factory, user: str = "Administrator", **fields):
	fields.setdefault("company_name", factory.unique(factory.fake["en_US"].company()))
	with as_user(user):
		return frappe.get_doc({"doctype": LEAD, **fields}).insert()


def actions(name: str) -> list[tuple]:
	return [
		tuple(r)
		for r in frappe.get_all(
			LOG,
			{"lead": name},
			["action", "from_sales_person", "to_sales_person", "by_user"],
			order_by="name asc",
			as_list=True,
		)
	]


def set_setting(field: str, value):
	frappe.db.set_single_value(SETTINGS, field, value)


# --- G1: the creation path and the log ------------------------------------------------------------


def test_a_pool_lead_and_every_move_afterwards_write_one_log_row_each(factory, team):
	doc = new_lead(factory, phone="13800138000")
	assert (doc.sales_person, doc.status, doc.pool) == (None, "New", lead.default_pool())
	assert doc.source == "Other" and doc.normalized_phone == "13800138000"
	with as_user(team.users["rep"]):
		lead.claim(doc.name)
		lead.release(doc.name, "客户没有预算")
	lead.assign(doc.name, team.rep2)  # Administrator
	with as_user(team.users["rep2"]):
		lead.disqualify(doc.name, "空号")
	assert actions(doc.name) == [
		("Create", None, None, "Administrator"),
		("Claim", None, team.rep, team.users["rep"]),
		("Release", team.rep, None, team.users["rep"]),
		("Assign", None, team.rep2, "Administrator"),
		("Disqualify", team.rep2, team.rep2, team.users["rep2"]),
	]
	reasons = frappe.get_all(
		LOG, {"lead": doc.name, "reason": ("is", "set")}, pluck="reason", order_by="name"
	)
	assert reasons == ["客户没有预算", "空号"]
	assert frappe.db.get_value(LEAD, doc.name, "status") == "Disqualified"


def test_a_salespersons_own_entry_is_theirs_and_posted_process_fields_are_ignored(factory, team):
	customer = factory.customer()
	doc = new_lead(
		factory,
		team.users["rep"],
		status="Converted",
		customer=customer,
		held_since="2001-01-01 00:00:00",
		last_contact_at="2001-01-01 00:00:00",
	)
	assert (doc.sales_person, doc.status, doc.customer, doc.last_contact_at) == (team.rep, "New", None, None)
	assert doc.held_since > add_days(now_datetime(), -1)
	assert actions(doc.name) == [("Create", None, team.rep, team.users["rep"])]


def test_someone_elses_team_cannot_be_given_a_lead_at_entry(factory, team):
	with pytest.raises(frappe.PermissionError):
		new_lead(factory, team.users["rep"], sales_person=team.outsider)
	doc = new_lead(factory, team.users["lead"], sales_person=team.rep)  # a team lead for their team
	assert doc.sales_person == team.rep


@pytest.mark.parametrize(
	"field, value",
	[("sales_person", "rep2"), ("status", "Qualified"), ("pool", None), ("customer", "customer")],
)
def test_process_fields_cannot_be_edited_directly(factory, team, field, value):
	doc = new_lead(factory, team.users["rep"])
	values = {"rep2": team.rep2, "customer": factory.customer()}
	with as_user(team.users["lead"]):  # their manager: the permission check passes, the guard refuses
		doc = frappe.get_doc(LEAD, doc.name)
		doc.set(field, values.get(value, value))
		with pytest.raises(ProcessError, match="cannot be edited directly"):
			doc.save()
		doc.reload()
		doc.notes = "约了下周拜访"
		doc.save()  # the rest of the form stays editable
	assert frappe.db.get_value(LEAD, doc.name, "notes") == "约了下周拜访"


def test_a_converted_lead_is_read_only_and_no_lead_is_ever_deleted(factory, team):
	doc = new_lead(factory, team.users["rep"])
	lead.transition(doc, "Convert", {"status": "Converted"})
	doc = frappe.get_doc(LEAD, doc.name)
	doc.notes = "changed"
	with pytest.raises(ProcessError, match="read-only"):
		doc.save(ignore_permissions=True)
	for name in (doc.name, new_lead(factory).name):
		with pytest.raises(frappe.PermissionError):
			frappe.delete_doc(LEAD, name, ignore_permissions=True)
		assert frappe.db.exists(LEAD, name)


def test_a_lead_needs_a_name_and_text_where_text_belongs(factory):
	with pytest.raises(frappe.MandatoryError):
		frappe.get_doc({"doctype": LEAD, "phone": "13800138000"}).insert()
	with pytest.raises(frappe.ValidationError, match="must be text"):
		frappe.get_doc({"doctype": LEAD, "company_name": {"like": "%"}}).insert()
	assert not frappe.db.exists(LEAD, {"phone": "13800138000"})


def test_a_new_lead_lands_in_its_territorys_pool_or_the_default_one(factory):
	root = frappe.db.get_value("Territory", {"parent_territory": ("in", ("", None))}, "name")
	parent = frappe.get_doc(
		{
			"doctype": "Territory",
			"territory_name": factory.unique("华东"),
			"is_group": 1,
			"parent_territory": root,
		}
	).insert(ignore_permissions=True)
	child = frappe.get_doc(
		{"doctype": "Territory", "territory_name": factory.unique("上海"), "parent_territory": parent.name}
	).insert(ignore_permissions=True)
	pool = frappe.get_doc(
		{"doctype": POOL, "pool_name": factory.unique("华东公海"), "territory": parent.name}
	)
	pool.insert(ignore_permissions=True)
	assert new_lead(factory, territory=child.name).pool == pool.name  # the nearest parent's pool
	set_setting("lead_pool_by_territory", 0)
	assert new_lead(factory, territory=child.name).pool == lead.default_pool()


# --- G3: duplicates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"first, second",
	[
		({"company_name": "上海星河科技有限公司"}, {"company_name": "上海星河科技"}),
		({"phone": "+86 138-0013-8001"}, {"phone": "13800138001"}),
		({"email": "Wang@Example.COM"}, {"email": " wang@example.com"}),
		({"tax_id": "91310000-MA1FL8TQ3X"}, {"tax_id": "91310000ma1fl8tq3x"}),
	],
)
def test_a_lead_matching_a_held_lead_is_refused_naming_the_holder(factory, team, first, second):
	tag = frappe.generate_hash(length=6)
	first = {"company_name": f"甲 {tag}", **first}
	second = {"company_name": f"乙 {tag}", **second}
	held = new_lead(factory, team.users["rep"], **first)
	for user in (team.users["outsider"], "Administrator"):
		with pytest.raises(lead.DuplicateLead, match=team.rep) as refused:
			new_lead(factory, user, **second)
		assert refused.value.http_status_code == 409
		assert (refused.value.holder, refused.value.match) == (team.rep, held.name)
	assert frappe.db.count(LEAD, {"company_name": second["company_name"]}) == 0


def test_a_lead_matching_a_pool_lead_is_refused_and_a_closed_one_does_not_count(factory, team):
	pooled = new_lead(factory, email="li@pool.example.com")
	with pytest.raises(lead.DuplicateLead, match="claim it instead") as refused:
		new_lead(factory, team.users["rep"], email="LI@pool.example.com")
	assert refused.value.holder is None
	lead.disqualify(pooled.name, "测试数据")
	assert new_lead(factory, team.users["rep"], email="li@pool.example.com").sales_person == team.rep


def test_a_lead_for_a_customer_with_someone_elses_open_opportunity_is_refused(factory, team):
	name = factory.unique("Acme Robotics")
	customer = factory.customer(customer_name=f"{name} Co., Ltd.")
	opp = factory.opportunity(team.rep2, customer)
	with pytest.raises(lead.DuplicateLead, match=opp.name) as refused:
		new_lead(factory, team.users["outsider"], company_name=name)
	assert refused.value.holder == team.rep2
	with pytest.raises(lead.DuplicateLead):
		new_lead(factory, company_name=name)  # into the pool: the customer is someone's already
	# the opportunity's own owner may keep a lead for it
	assert new_lead(factory, team.users["rep2"], company_name=name).sales_person == team.rep2


def test_changing_a_leads_identity_into_a_duplicate_is_refused(factory, team):
	new_lead(factory, team.users["rep2"], phone="13900139000")
	doc = new_lead(factory, team.users["rep"], phone="13900139111")
	with as_user(team.users["rep"]):
		doc = frappe.get_doc(LEAD, doc.name)
		doc.phone = "139 0013 9000"
		with pytest.raises(lead.DuplicateLead, match=team.rep2):
			doc.save()


def test_claiming_a_pool_lead_that_matches_anothers_lead_is_refused(factory, team):
	held = new_lead(factory, team.users["rep2"])
	pooled = new_lead(factory)
	# data from before the rule (an old import) can hold such a pair
	frappe.db.set_value(LEAD, pooled.name, "normalized_company", held.normalized_company)
	with as_user(team.users["rep"]), pytest.raises(lead.DuplicateLead, match=team.rep2):
		lead.claim(pooled.name)
	assert frappe.db.get_value(LEAD, pooled.name, "sales_person") is None


# --- G5: the pool ------------------------------------------------------------------------------------


def test_a_claimed_lead_cannot_be_claimed_again(factory, team):
	doc = new_lead(factory)
	with as_user(team.users["rep"]):
		claimed = lead.claim(doc.name)
	assert claimed.sales_person == team.rep and claimed.held_since
	with as_user(team.users["rep2"]), pytest.raises(frappe.PermissionError):
		lead.claim(doc.name)  # held leads of others are out of scope: not even readable
	with as_user(team.users["lead"]), pytest.raises(lead.LeadTaken, match=team.rep) as taken:
		lead.claim(doc.name)  # the team lead can see it, and is told who holds it
	assert taken.value.http_status_code == 409
	assert [a[0] for a in actions(doc.name)] == ["Create", "Claim"]


def test_the_hold_limit_stops_claims_until_one_is_released(factory, team):
	limit = lead.held_count(team.rep) + 2
	set_setting("lead_hold_limit", limit)
	mine = [new_lead(factory, team.users["rep"]) for _ in range(2)]
	pooled = new_lead(factory)
	with as_user(team.users["rep"]):
		with pytest.raises(ProcessError, match=f"{limit} leads"):
			lead.claim(pooled.name)
		with pytest.raises(ProcessError, match=f"{limit} leads"):
			new_lead(factory, team.users["rep"])  # entering one's own lead counts too
		lead.release(mine[0].name, "不是目标客户")
		assert lead.claim(pooled.name).sales_person == team.rep
	assert lead.held_count(team.rep) == limit
	lead.assign(mine[0].name, team.rep)  # a manager's assignment is not a claim: no limit
	assert lead.held_count(team.rep) == limit + 1


def test_a_released_or_returned_lead_cannot_be_claimed_back_during_the_cool_down(factory, team):
	doc = new_lead(factory, team.users["rep"])
	with as_user(team.users["rep"]):
		lead.release(doc.name, "暂时没有需求")
		with pytest.raises(ProcessError, match="7 days"):
			lead.claim(doc.name)
	with as_user(team.users["rep2"]):
		assert lead.claim(doc.name).sales_person == team.rep2  # anyone else may
		lead.release(doc.name, "转给别人")
	# the cool-down ends
	log = frappe.qb.DocType(LOG)
	frappe.qb.update(log).set(log.at, add_days(now_datetime(), -8)).where(log.lead == doc.name).run()
	with as_user(team.users["rep"]):
		assert lead.claim(doc.name).sales_person == team.rep
		lead.release(doc.name, "again")
		set_setting("lead_cooldown_days", 0)
		assert lead.claim(doc.name).sales_person == team.rep


def test_release_needs_a_reason_and_the_holder_or_their_manager(factory, team):
	doc = new_lead(factory, team.users["rep"])
	with as_user(team.users["rep"]):
		with pytest.raises(frappe.MandatoryError):
			lead.release(doc.name, "  ")
		with pytest.raises(frappe.ValidationError, match="longer than"):
			lead.release(doc.name, "x" * 2001)
	with as_user(team.users["rep2"]), pytest.raises(frappe.PermissionError):
		lead.release(doc.name, "不是我的")
	with as_user(team.users["lead"]):
		lead.release(doc.name, "团队调整")
	assert frappe.db.get_value(LEAD, doc.name, ["sales_person", "held_since"]) == (None, None)
	with as_user(team.users["rep"]), pytest.raises(frappe.PermissionError):
		lead.release(doc.name, "again")  # a pool lead is not theirs to change
	with pytest.raises(ProcessError, match="already in the pool"):
		lead.release(doc.name, "again")


def test_assignment_is_for_managers_within_their_team(factory, team):
	doc = new_lead(factory)
	with as_user(team.users["rep"]), pytest.raises(frappe.PermissionError, match="manager"):
		lead.assign(doc.name, team.rep)
	with as_user(team.users["lead"]):
		with pytest.raises(frappe.PermissionError, match="own team"):
			lead.assign(doc.name, team.outsider)
		with pytest.raises(frappe.LinkValidationError):
			lead.assign(doc.name, "nobody at all")
		lead.assign(doc.name, team.rep, "熟悉该行业")
	lead.assign(doc.name, team.outsider)  # a Sales Manager: anyone
	assert actions(doc.name)[-2:] == [
		("Assign", None, team.rep, team.users["lead"]),
		("Assign", team.rep, team.outsider, "Administrator"),
	]


def test_a_pool_says_who_may_claim_from_it_and_who_sees_its_leads(factory, team):
	pool = frappe.get_doc(
		{"doctype": POOL, "pool_name": factory.unique("团队公海"), "claimable_by": team.lead}
	)
	pool.insert(ignore_permissions=True)
	doc = new_lead(factory)
	frappe.db.set_value(LEAD, doc.name, "pool", pool.name)
	free = new_lead(factory)  # the default pool: everyone with a Sales Person
	both = {"name": ("in", [doc.name, free.name])}
	with as_user(team.users["outsider"]):
		assert frappe.get_list(LEAD, both, pluck="name") == [free.name]
		with pytest.raises(frappe.PermissionError):
			lead.claim(doc.name)
	with as_user(team.users["rep"]):
		assert set(frappe.get_list(LEAD, both, pluck="name")) == {doc.name, free.name}
		pooled = frappe.get_doc(LEAD, doc.name)
		assert pooled.has_permission("read") and not pooled.has_permission("write")
		assert lead.claim(doc.name).sales_person == team.rep
	with as_user(team.users["outsider"]):
		assert frappe.get_list(LEAD, both, pluck="name") == [free.name]
		assert not frappe.get_list(LOG, {"lead": doc.name})
	pool.db_set("enabled", 0)
	with as_user(team.users["rep"]):
		lead.release(doc.name, "pool closed")
		with pytest.raises(frappe.PermissionError):
			lead.claim(doc.name)


def test_a_user_without_a_sales_person_sees_no_pool_and_cannot_claim(factory):
	doc = new_lead(factory)
	user = factory.user(roles=("Sales User",))
	with as_user(user):
		assert not frappe.get_list(LEAD, {"name": doc.name})
		with pytest.raises(frappe.PermissionError):
			lead.claim(doc.name)


# --- G5: the stale-lead job ----------------------------------------------------------------------------


def age(name: str, days: int, contact_days: int | None = None):
	sl = frappe.qb.DocType(LEAD)
	frappe.qb.update(sl).set(sl.held_since, add_days(now_datetime(), -days)).set(
		sl.last_contact_at, None if contact_days is None else add_days(now_datetime(), -contact_days)
	).where(sl.name == name).run()


def test_the_stale_job_returns_leads_without_contact_once_and_tells_the_holder(factory, team):
	stale = new_lead(factory, team.users["rep"])
	contacted = new_lead(factory, team.users["rep"])
	fresh = new_lead(factory, team.users["rep2"])
	age(stale.name, 20)
	age(contacted.name, 20, contact_days=2)
	age(fresh.name, 3)
	first = return_stale_leads(commit=False)
	assert first["returned"] >= 1
	assert frappe.db.get_value(LEAD, stale.name, ["sales_person", "held_since", "pool"]) == (
		None,
		None,
		lead.default_pool(),
	)
	for name in (contacted.name, fresh.name):
		assert frappe.db.get_value(LEAD, name, "sales_person") is not None
	assert actions(stale.name)[-1] == ("Return", team.rep, None, "Administrator")
	assert (
		frappe.db.get_value(LOG, {"lead": stale.name, "action": "Return"}, "reason")
		== "No contact for 14 days."
	)
	notes = frappe.get_all(
		"Notification Log", {"document_name": stale.name, "for_user": team.users["rep"]}, pluck="subject"
	)
	assert len(notes) == 1 and "14" in notes[0]
	# a second run finds nothing of ours
	second = return_stale_leads(commit=False)
	assert second["returned"] == 0
	assert [a[0] for a in actions(stale.name)] == ["Create", "Return"]
	# returned: the cool-down applies to the holder who let it go
	with as_user(team.users["rep"]), pytest.raises(ProcessError, match="days after"):
		lead.claim(stale.name)


def test_a_pools_own_follow_up_period_and_a_daily_log_on_the_lead_count(factory, team):
	pool = frappe.get_doc({"doctype": POOL, "pool_name": factory.unique("快周转"), "follow_up_days": 3})
	pool.insert(ignore_permissions=True)
	quick = new_lead(factory, team.users["rep"])
	frappe.db.set_value(LEAD, quick.name, "pool", pool.name)
	normal = new_lead(factory, team.users["rep"])
	age(quick.name, 5)
	age(normal.name, 5)
	logged = new_lead(factory, team.users["rep"])
	age(logged.name, 30)
	lead.record_contact(logged.name)  # a daily log on it today
	assert frappe.db.get_value(LEAD, logged.name, "status") == "Contacted"
	assert actions(logged.name)[-1][0] == "Contact"
	return_stale_leads(commit=False)
	assert frappe.db.get_value(LEAD, quick.name, "sales_person") is None
	assert frappe.db.get_value(LEAD, normal.name, "sales_person") == team.rep
	assert frappe.db.get_value(LEAD, logged.name, "sales_person") == team.rep
	assert frappe.db.get_value(LOG, {"lead": quick.name, "action": "Return"}, "pool") == pool.name
