"""Sales Daily Log: quick entry (L1), immutability against every entry point and the hash chain
(L2), bad input (L3). In-process tests run in a rolled-back transaction; the REST attacks go
through the real server as different users."""

import json
import threading

import pytest

import frappe
from frappe.utils import add_days, today

from sales_process.api import daily_log as api
from sales_process.domain import daily_log
from tests.integration.rest import message

LOG = "Sales Daily Log"


@pytest.fixture
def rep(factory):
	team = factory.team()
	frappe.set_user(factory.user_of(team.rep))
	yield team
	frappe.set_user("Administrator")


def add(customer, activities=("电话沟通",), minutes=30, cost=0, **kw):
	return api.add_log(customer, list(activities), minutes, cost, **kw)


# --- L1 and the chain ----------------------------------------------------------------------------


def test_quick_entry_fills_owner_date_score_and_chains(rep, factory):
	customer = factory.customer()
	first = add(customer, ["电话沟通", "拜访客户", "内部会议"], 90, 35.5, note="拜访张总")
	second = add(customer, ["发送报价"], 20)
	a, b = frappe.get_doc(LOG, first), frappe.get_doc(LOG, second)
	assert a.sales_person == rep.rep and str(a.log_date) == today()
	assert a.effective_score == 1 + 3  # 内部会议 is not effective
	assert (a.chain_seq, a.previous_entry, a.previous_hash) == (1, "", "0" * 64)
	assert (b.chain_seq, b.previous_entry, b.previous_hash) == (2, first, a.content_hash)
	assert api.verify_chain() == {"ok": True, "problems": []}


def test_a_correction_is_a_new_entry_referencing_the_original(rep, factory):
	customer = factory.customer()
	wrong = add(customer, minutes=300)
	fixed = add(customer, minutes=30, corrects=wrong, note="更正：实际30分钟")
	assert frappe.db.get_value(LOG, fixed, "corrects") == wrong
	assert frappe.db.get_value(LOG, wrong, "minutes") == 300  # the original stays as it was


def test_database_tampering_is_named_by_the_integrity_check(rep, factory):
	customer = factory.customer()
	names = [add(customer, minutes=10 + i) for i in range(5)]
	frappe.db.sql("update `tabSales Daily Log` set minutes = 480 where name = %s", names[1])
	frappe.db.sql("delete from `tabSales Daily Log` where name = %s", names[3])
	result = api.verify_chain(rep.rep)
	assert result["ok"] is False
	named = {p["entry"] for p in result["problems"]}
	assert named == {names[1], names[3]}, result["problems"]
	texts = " ".join(p["problem"] for p in result["problems"])
	assert "altered" in texts and "missing" in texts


def test_a_rehashed_alteration_is_still_caught_by_its_successor(rep, factory):
	customer = factory.customer()
	names = [add(customer, minutes=10 + i) for i in range(3)]
	frappe.db.sql(
		"update `tabSales Daily Log` set note = 'forged', content_hash = sha2('forged', 256) where name = %s",
		names[1],
	)
	problems = api.verify_chain(rep.rep)["problems"]
	assert {p["entry"] for p in problems} == {names[1]}
	assert len(problems) == 2  # its own hash and the hash its successor recorded


def test_a_removed_last_entry_is_named_and_stays_named(rep, factory):
	"""No successor reports a removed last entry; the head on the Sales Person row does, and the
	next entry still follows the removed one, so the gap does not heal."""
	customer = factory.customer()
	names = [add(customer, minutes=10 + i) for i in range(3)]
	assert daily_log.chain_head(rep.rep)["name"] == names[-1]
	frappe.db.sql("delete from `tabSales Daily Log` where name = %s", names[-1])
	problems = api.verify_chain(rep.rep)["problems"]
	assert [p["entry"] for p in problems] == [names[-1]] and "missing" in problems[0]["problem"]
	later = add(customer, minutes=5)
	row = frappe.db.get_value(LOG, later, ["chain_seq", "previous_entry"], as_dict=True)
	assert (row.chain_seq, row.previous_entry) == (4, names[-1])
	assert [p["entry"] for p in api.verify_chain(rep.rep)["problems"]] == [names[-1]]


def test_a_rehashed_last_entry_is_caught_by_the_recorded_head(rep, factory):
	customer = factory.customer()
	names = [add(customer, minutes=10 + i) for i in range(2)]
	frappe.db.sql(
		"update `tabSales Daily Log` set note = 'forged', content_hash = sha2('forged', 256) where name = %s",
		names[-1],
	)
	problems = api.verify_chain(rep.rep)["problems"]
	assert {p["entry"] for p in problems} == {names[-1]}, problems


def test_saving_the_sales_person_keeps_the_chain_head(rep, factory):
	"""A Sales Person form opened before an entry was filed, then saved (or sent with a forged head),
	must not put back an older head: the next entry would fork the chain."""
	customer = factory.customer()
	add(customer, minutes=10)
	frappe.set_user("Administrator")
	stale = frappe.get_doc("Sales Person", rep.rep)
	frappe.set_user(factory.user_of(rep.rep))
	second = add(customer, minutes=11)
	frappe.set_user("Administrator")
	stale.sales_process_chain_seq = 99
	stale.save()
	assert daily_log.chain_head(rep.rep)["name"] == second
	frappe.set_user(factory.user_of(rep.rep))
	third = add(customer, minutes=12)
	row = frappe.db.get_value(LOG, third, ["chain_seq", "previous_entry"], as_dict=True)
	assert (row.chain_seq, row.previous_entry) == (3, second)
	assert api.verify_chain(rep.rep) == {"ok": True, "problems": []}


def test_rows_written_in_bulk_without_a_head_are_followed(rep, factory):
	"""The demo and the benchmark generator write chains in bulk, bypassing the controller."""
	customer = factory.customer()
	names = [add(customer, minutes=10 + i) for i in range(2)]
	no_head = {
		"sales_process_chain_head": None,
		"sales_process_chain_seq": 0,
		"sales_process_chain_hash": None,
	}
	frappe.db.set_value("Sales Person", rep.rep, no_head, update_modified=False)
	third = add(customer, minutes=12)
	assert frappe.db.get_value(LOG, third, ["chain_seq", "previous_entry"]) == (3, names[-1])
	frappe.db.set_value("Sales Person", rep.rep, no_head, update_modified=False)
	daily_log.reset_chain_heads([rep.rep])
	assert daily_log.chain_head(rep.rep)["name"] == third
	assert api.verify_chain(rep.rep) == {"ok": True, "problems": []}


def test_verify_chain_respects_the_hierarchy(factory):
	team = factory.team()
	frappe.set_user(factory.user_of(team.rep2))
	with pytest.raises(frappe.PermissionError):
		api.verify_chain(team.rep)
	frappe.set_user(factory.user_of(team.lead))
	assert api.verify_chain(team.rep)["ok"] is True


# --- L3 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"kwargs, text",
	[
		({"minutes": -5}, "cannot be negative"),
		({"minutes": 0}, "how many minutes"),
		({"cost": -1}, "Cost cannot be negative"),
		({"log_date": 1}, "future"),
		({"log_date": -30}, "at most 3 days back"),
		({"activities": []}, "at least one activity"),
		({"activities": ["电话沟通", "电话沟通"]}, "ticked twice"),
		({"activities": ["跳舞"]}, "Could not find Row #1: Activity: 跳舞"),
		({"minutes": 1441}, "1440 minutes"),
		({"note": "x" * 2001}, "longer than"),
	],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(rep, factory, kwargs, text):
	customer = factory.customer()
	before = frappe.db.count(LOG)
	args = {"activities": ["电话沟通"], "minutes": 30, "cost": 0, **kwargs}
	if "log_date" in args:  # days from today, resolved on the site's clock
		args["log_date"] = add_days(today(), args["log_date"])
	with pytest.raises(frappe.ValidationError, match=text):
		api.add_log(customer, **args)
	assert frappe.db.count(LOG) == before


def test_more_than_a_day_in_one_day_is_refused(rep, factory):
	customer = factory.customer()
	add(customer, minutes=1000)
	with pytest.raises(frappe.ValidationError, match="already logged 1000 minutes"):
		add(customer, minutes=500)
	add(customer, minutes=440)  # exactly 24 h is fine


def test_customers_and_opportunities_of_other_teams_are_refused(factory):
	team = factory.team()
	other = factory.team()
	theirs = factory.opportunity(other.rep)
	mine = factory.opportunity(team.rep)
	frappe.set_user(factory.user_of(team.rep))
	with pytest.raises(frappe.PermissionError, match="owned by"):
		add(theirs.customer)
	with pytest.raises(frappe.PermissionError, match="not yours"):
		add(mine.customer, opportunity=theirs.name)
	with pytest.raises(frappe.ValidationError, match="is for customer"):
		add(factory.customer(), opportunity=mine.name)
	with pytest.raises(frappe.ValidationError, match="Could not find Customer: no such customer"):
		add("no such customer")
	name = add(mine.customer, opportunity=mine.name)
	assert frappe.db.get_value(LOG, name, "stage") == mine.stage


def test_someone_without_a_sales_person_cannot_log(factory):
	frappe.set_user(factory.user(roles=("Sales User",)))
	with pytest.raises(frappe.ValidationError, match="not linked to a Sales Person"):
		add(factory.customer())


def test_you_correct_only_your_own_entries(factory):
	team = factory.team()
	customer = factory.customer()
	frappe.set_user(factory.user_of(team.rep))
	theirs = add(customer)
	frappe.set_user(factory.user_of(team.rep2))
	with pytest.raises(frappe.PermissionError, match="only correct your own"):
		add(customer, corrects=theirs)


# --- L2 through every entry point (REST, as System Manager and Administrator) ------------------------


@pytest.fixture(scope="module")
def entry(world):
	customer = world.customer()
	r = world["rep_a1"].call(
		"sales_process.api.daily_log.add_log",
		customer=customer,
		activities=["电话沟通", "拜访客户"],
		minutes=45,
		cost=12.5,
		note="原始记录",
	)
	assert r.status_code == 200, message(r)
	name = r.json()["message"]
	frappe.db.rollback()
	return name, frappe.db.get_value(LOG, name, ["minutes", "note", "content_hash", "modified"], as_dict=True)


def unchanged(entry):
	name, before = entry
	frappe.db.rollback()
	after = frappe.db.get_value(LOG, name, ["minutes", "note", "content_hash", "modified"], as_dict=True)
	assert after == before
	acts = frappe.get_all("Sales Daily Log Activity", {"parent": name}, pluck="activity_type", order_by="idx")
	assert acts == ["电话沟通", "拜访客户"]


@pytest.mark.parametrize("who", ["admin", "manager", "rep_a1"])
def test_rest_put_and_delete_are_refused(world, entry, who):
	name = entry[0]
	r = world[who].update(LOG, name, {"minutes": 5, "note": "改过"})
	assert r.status_code in (403, 417), (who, r.status_code)
	r = world[who].update(LOG, name, {"activities": [{"activity_type": "签订合同"}]})
	assert r.status_code in (403, 417), (who, r.status_code)
	r = world[who].delete(LOG, name)
	assert r.status_code in (403, 417), (who, r.status_code)
	unchanged(entry)


@pytest.mark.parametrize(
	"method, args",
	[
		("frappe.client.set_value", {"fieldname": "minutes", "value": 1}),
		("frappe.client.set_value", {"fieldname": {"note": "x", "cost": 0}}),
		("frappe.client.delete", {}),
		("frappe.client.cancel", {}),
		("frappe.client.rename_doc", {"old_name": None, "new_name": "999999999"}),
	],
)
def test_frappe_client_methods_are_refused_even_for_administrator(world, entry, method, args):
	name = entry[0]
	payload = {"doctype": LOG, **args}
	if "old_name" in payload:
		payload["old_name"] = name
	else:
		payload["name"] = name
	r = world["admin"].call(method, **payload)
	assert r.status_code >= 400, (method, r.status_code)
	unchanged(entry)


def test_frappe_client_save_of_a_modified_document_is_refused(world, entry):
	name = entry[0]
	doc = world["admin"].get_doc(LOG, name).json()["data"]
	doc["minutes"] = 1
	r = world["admin"].call("frappe.client.save", doc=json.dumps(doc))
	assert r.status_code >= 400
	unchanged(entry)


def test_delete_doc_in_process_is_refused_for_administrator(entry):
	with pytest.raises(frappe.PermissionError):
		frappe.delete_doc(LOG, entry[0])
	unchanged(entry)


def test_add_log_is_post_only_and_scoped(world, entry):
	r = world["rep_a1"].call(
		"sales_process.api.daily_log.add_log",
		http="GET",
		customer=world.customer(),
		activities='["电话沟通"]',
		minutes=5,
	)
	assert r.status_code in (403, 405)
	assert world["rep_b1"].get_doc(LOG, entry[0]).status_code == 403
	assert world["lead_a"].get_doc(LOG, entry[0]).status_code == 200
	r = world["rep_b1"].list(LOG, filters=json.dumps({"name": entry[0]}))
	assert r.status_code == 200 and r.json()["data"] == []


def test_concurrent_entries_by_one_user_keep_the_chain_valid(world):
	customer = world.customer()
	barrier = threading.Barrier(4)
	codes = []

	def post(i):
		barrier.wait()
		r = world["rep_a2"].call(
			"sales_process.api.daily_log.add_log", customer=customer, activities=["电话沟通"], minutes=5 + i
		)
		codes.append(r.status_code)

	threads = [threading.Thread(target=post, args=(i,)) for i in range(4)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(60)
	assert codes == [200] * 4
	r = world["rep_a2"].call("sales_process.api.daily_log.verify_chain", http="GET")
	assert r.json()["message"] == {"ok": True, "problems": []}
	frappe.db.rollback()
	seqs = frappe.get_all(LOG, {"sales_person": world.sp["rep_a2"]}, pluck="chain_seq", order_by="chain_seq")
	assert seqs == list(range(1, len(seqs) + 1))
