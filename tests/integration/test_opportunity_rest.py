"""Sales Opportunity through the REST API as different users (O1–O5, A1, A2).

Every request goes to a real gunicorn serving the test site; data is committed by the server
and removed by the `world` fixture at the end of the session."""

import json
import threading

import pytest

import frappe

from tests.integration.rest import message

API = "sales_process.api.opportunity"
OPP = "Sales Opportunity"
FIRST, SECOND, THIRD = "线索确认", "需求调研", "方案/演示"
FIRST_EVIDENCE = {"已确认客户联系人及联系方式": "王经理 138****", "已确认客户存在相关需求": "ERP 升级"}


def create(world, who: str, customer: str, **fields):
	r = world[who].insert(OPP, world.opportunity_doc(customer, **fields))
	assert r.status_code == 200, message(r)
	return r.json()["data"]


def logs(name: str) -> list[dict]:
	frappe.db.rollback()  # see what the server committed
	return frappe.get_all(
		"Opportunity Stage Log",
		filters={"opportunity": name},
		fields=[
			"action",
			"from_stage",
			"to_stage",
			"from_sales_person",
			"to_sales_person",
			"by_user",
			"evidence",
		],
		order_by="creation asc, name asc",
	)


# --- O1 ------------------------------------------------------------------------------------------


def test_entry_makes_the_creator_owner_in_the_first_stage(world):
	customer = world.customer()
	# a salesperson cannot enter an opportunity in a peer's name
	r = world["rep_a1"].insert(OPP, world.opportunity_doc(customer, sales_person=world.sp["rep_a2"]))
	assert r.status_code == 403 and "yourself or your team" in message(r)
	doc = create(world, "rep_a1", customer, stage=THIRD, status="Won", probability=99)
	# whatever the client sent, the server decides owner, stage and status
	assert doc["sales_person"] == world.sp["rep_a1"]
	assert doc["stage"] == FIRST and doc["status"] == "Open"
	assert doc["probability"] == 10
	assert doc["stage_due_at"] and doc["stage_entered_at"]
	assert [(r.action, r.to_stage, r.to_sales_person) for r in logs(doc["name"])] == [
		("Create", FIRST, world.sp["rep_a1"])
	]


@pytest.mark.parametrize(
	"fields, text",
	[
		({"amount": -5}, "negative"),
		({"expected_close_date": "2000-01-01"}, "in the past"),
		({"expected_close_date": None}, "Expected Close Date"),
	],
)
def test_infeasible_entries_are_refused_and_nothing_is_written(world, fields, text):
	customer = world.customer()
	r = world["rep_a1"].insert(OPP, world.opportunity_doc(customer, **fields))
	assert r.status_code == 417, r.text
	assert text in message(r)
	frappe.db.rollback()
	assert not frappe.db.exists(OPP, {"customer": customer})


def test_a_user_without_a_sales_person_cannot_own_an_opportunity(world):
	r = world["accountant"].insert(OPP, world.opportunity_doc(world.customer()))
	assert r.status_code == 403


# --- O2 ------------------------------------------------------------------------------------------


def test_same_customer_claimed_by_another_salesperson_is_refused_naming_the_owner(world):
	customer = world.customer()
	first = create(world, "rep_a1", customer)
	r = world["rep_b1"].insert(OPP, world.opportunity_doc(customer))
	assert r.status_code == 409
	assert world.sp["rep_a1"] in message(r) and first["name"] in message(r)
	# the owner may open a second opportunity with the same customer
	create(world, "rep_a1", customer)


@pytest.mark.parametrize(
	"original, duplicate",
	[
		({"customer_name": "上海星河{tag}科技有限公司"}, {"customer_name": "上海 星河{tag}科技"}),
		({"tax_id": "9131{tag}XK"}, {"tax_id": "9131-{tag}-xk"}),
		({"mobile_no": "139{n}"}, {"mobile_no": "+86 139-{n}"}),
		({"email_id": "buyer.{tag}@example.cn"}, {"email_id": " BUYER.{tag}@Example.CN "}),
	],
)
def test_matching_customer_by_normalised_identity_is_refused(world, original, duplicate):
	n = str(abs(hash(world.tag)) % 10**8).zfill(8)

	def fill(d):
		return {k: v.format(tag=world.tag, n=n) for k, v in d.items()}

	first_customer = world.customer(**fill(original))
	second_customer = world.customer(**fill(duplicate))
	first = create(world, "rep_a1", first_customer)
	r = world["rep_b1"].insert(OPP, world.opportunity_doc(second_customer))
	assert r.status_code == 409, message(r)
	assert world.sp["rep_a1"] in message(r) and first["name"] in message(r)
	assert first_customer in message(r)


def test_two_simultaneous_claims_produce_exactly_one_opportunity(world):
	customer = world.customer()
	doc = world.opportunity_doc(customer)
	barrier = threading.Barrier(2)
	results = {}

	def claim(who):
		barrier.wait()
		results[who] = world[who].insert(OPP, doc)

	threads = [threading.Thread(target=claim, args=(w,)) for w in ("rep_a1", "rep_b1")]
	for t in threads:
		t.start()
	for t in threads:
		t.join(60)
	codes = sorted(r.status_code for r in results.values())
	assert codes == [200, 409], {k: (v.status_code, message(v)) for k, v in results.items()}
	frappe.db.rollback()
	assert frappe.db.count(OPP, {"customer": customer}) == 1


# --- O3 ------------------------------------------------------------------------------------------


def test_nobody_deletes_an_opportunity(world):
	doc = create(world, "rep_a1", world.customer())
	for who in ("rep_a1", "lead_a", "manager", "admin"):
		r = world[who].delete(OPP, doc["name"])
		assert r.status_code in (403, 417), (who, r.status_code)
	frappe.db.rollback()
	assert frappe.db.exists(OPP, doc["name"])


def test_lost_needs_a_reason_and_the_superiors_approval(world):
	doc = create(world, "rep_a1", world.customer())
	name = doc["name"]
	r = world["rep_a1"].call(f"{API}.request_lost", name=name, reason="  ")
	assert r.status_code == 417 and "reason" in message(r)
	r = world["rep_a1"].call(f"{API}.approve_lost", name=name)
	assert r.status_code == 417 and "Nobody has asked" in message(r)

	assert (
		world["rep_a1"]
		.call(f"{API}.request_lost", name=name, reason="No Budget", detail="预算取消")
		.status_code
		== 200
	)
	# the owner cannot approve their own request, nor can a peer or someone in another subtree
	for who in ("rep_a1", "rep_a2", "lead_b"):
		r = world[who].call(f"{API}.approve_lost", name=name)
		assert r.status_code == 403, (who, r.status_code, message(r))
	r = world["lead_a"].call(f"{API}.approve_lost", name=name)
	assert r.status_code == 200, message(r)
	body = r.json()["message"]
	assert body["status"] == "Lost" and body["stage"] == "输单" and body["probability"] == 0
	actions = [(x.action, x.by_user) for x in logs(name)]
	assert actions == [
		("Create", world.users["rep_a1"]),
		("Lost Requested", world.users["rep_a1"]),
		("Lost", world.users["lead_a"]),
	]
	# the superior was told about the request
	assert frappe.db.exists("Notification Log", {"for_user": world.users["lead_a"], "document_name": name})


def test_a_rejected_lost_request_reopens_work(world):
	name = create(world, "rep_a2", world.customer())["name"]
	world["rep_a2"].call(f"{API}.request_lost", name=name, reason="Lost Contact", detail="客户失联")
	r = world["rep_a2"].call(f"{API}.advance_stage", name=name, to_stage=SECOND, evidence=FIRST_EVIDENCE)
	assert r.status_code == 417 and "waiting for approval" in message(r)
	assert world["head"].call(f"{API}.reject_lost", name=name, note="继续跟进").status_code == 200
	r = world["rep_a2"].call(f"{API}.advance_stage", name=name, to_stage=SECOND, evidence=FIRST_EVIDENCE)
	assert r.status_code == 200, message(r)


def test_only_managers_reassign(world):
	name = create(world, "rep_a1", world.customer())["name"]
	r = world["rep_a1"].call(f"{API}.reassign_opportunity", name=name, sales_person=world.sp["rep_a2"])
	assert r.status_code == 403
	# a team lead may not hand it to someone outside their team
	r = world["lead_a"].call(f"{API}.reassign_opportunity", name=name, sales_person=world.sp["rep_b1"])
	assert r.status_code == 403
	r = world["lead_a"].call(f"{API}.reassign_opportunity", name=name, sales_person=world.sp["rep_a2"])
	assert r.status_code == 200, message(r)
	assert r.json()["message"]["sales_person"] == world.sp["rep_a2"]
	r = world["manager"].call(f"{API}.reassign_opportunity", name=name, sales_person=world.sp["rep_b1"])
	assert r.status_code == 200, message(r)
	assert [(x.action, x.from_sales_person, x.to_sales_person) for x in logs(name)][1:] == [
		("Reassign", world.sp["rep_a1"], world.sp["rep_a2"]),
		("Reassign", world.sp["rep_a2"], world.sp["rep_b1"]),
	]


# --- O4 ------------------------------------------------------------------------------------------


def test_skipping_a_stage_is_refused(world):
	name = create(world, "rep_a1", world.customer())["name"]
	r = world["rep_a1"].call(f"{API}.advance_stage", name=name, to_stage=THIRD, evidence=FIRST_EVIDENCE)
	assert r.status_code == 417 and "one at a time" in message(r)


def test_advancing_with_a_mandatory_criterion_unanswered_is_refused(world):
	name = create(world, "rep_a1", world.customer())["name"]
	evidence = {"已确认客户联系人及联系方式": "王经理", "已确认客户存在相关需求": "   "}
	r = world["rep_a1"].call(f"{API}.advance_stage", name=name, to_stage=SECOND, evidence=evidence)
	# the message names the missing criterion (in the user's language: English here)
	assert r.status_code == 417 and "The customer has a relevant need" in message(r)
	r = world["rep_a1"].call(f"{API}.advance_stage", name=name, to_stage=SECOND, evidence={"no such": "x"})
	assert r.status_code == 417 and "no exit criterion" in message(r)
	assert [x.action for x in logs(name)] == ["Create"]


def test_a_valid_advance_sets_the_deadline_and_writes_one_log_row(world):
	before = create(world, "rep_a1", world.customer())
	r = world["rep_a1"].call(
		f"{API}.advance_stage", name=before["name"], to_stage=SECOND, evidence=json.dumps(FIRST_EVIDENCE)
	)
	assert r.status_code == 200, message(r)
	after = r.json()["message"]
	assert after["stage"] == SECOND and after["probability"] == 20
	entered = frappe.utils.get_datetime(after["stage_entered_at"])
	assert entered >= frappe.utils.get_datetime(before["stage_entered_at"])
	assert frappe.utils.get_datetime(after["stage_due_at"]) - entered == frappe.utils.datetime.timedelta(
		days=14
	)
	rows = logs(before["name"])
	assert [(x.action, x.from_stage, x.to_stage) for x in rows] == [
		("Create", None, FIRST),
		("Advance", FIRST, SECOND),
	]
	assert json.loads(rows[1].evidence) == FIRST_EVIDENCE


def test_advance_is_post_only(world):
	name = create(world, "rep_a1", world.customer())["name"]
	r = world["rep_a1"].call(f"{API}.advance_stage", http="GET", name=name, to_stage=SECOND, evidence="{}")
	assert r.status_code in (403, 405)
	assert [x.action for x in logs(name)] == ["Create"]


def test_only_a_manager_moves_back(world):
	name = create(world, "rep_a1", world.customer())["name"]
	world["rep_a1"].call(f"{API}.advance_stage", name=name, to_stage=SECOND, evidence=FIRST_EVIDENCE)
	r = world["rep_a1"].call(f"{API}.advance_stage", name=name, to_stage=FIRST)
	assert r.status_code == 417 and "Only a manager" in message(r)
	r = world["lead_a"].call(f"{API}.advance_stage", name=name, to_stage=FIRST)
	assert r.status_code == 200 and r.json()["message"]["stage"] == FIRST


@pytest.mark.parametrize("field", ["stage", "sales_person", "stage_due_at", "status", "customer"])
def test_direct_edits_of_process_fields_are_refused(world, field):
	doc = create(world, "rep_a1", world.customer())
	value = {
		"stage": THIRD,
		"sales_person": world.sp["rep_a2"],
		"stage_due_at": "2099-01-01 00:00:00",
		"status": "Won",
		"customer": world.customer(),
	}[field]
	for who in ("rep_a1", "manager", "admin"):
		r = world[who].update(OPP, doc["name"], {field: value})
		# 403 where the new value would take the record out of the user's own scope
		assert r.status_code in (403, 417), (who, r.status_code)
		if r.status_code == 417:
			assert "cannot be edited directly" in message(r)
	r = world["admin"].call(
		"frappe.client.set_value", doctype=OPP, name=doc["name"], fieldname=field, value=value
	)
	assert r.status_code == 417
	frappe.db.rollback()
	assert str(frappe.db.get_value(OPP, doc["name"], field) or "") == str(doc[field] or "")


def test_ordinary_fields_stay_editable(world):
	doc = create(world, "rep_a1", world.customer())
	r = world["rep_a1"].update(OPP, doc["name"], {"amount": 55555, "next_action": "周三拜访"})
	assert r.status_code == 200, message(r)
	assert r.json()["data"]["amount"] == 55555


def test_stage_log_is_insert_only_for_everyone(world):
	name = create(world, "rep_a1", world.customer())["name"]
	frappe.db.rollback()
	row = frappe.get_all("Opportunity Stage Log", {"opportunity": name}, pluck="name")[0]
	for who in ("rep_a1", "manager", "admin"):
		assert world[who].update("Opportunity Stage Log", row, {"note": "x"}).status_code in (403, 417)
		assert world[who].delete("Opportunity Stage Log", row).status_code in (403, 417)
	r = world["admin"].insert(
		"Opportunity Stage Log", {"opportunity": name, "action": "Won", "at": "2026-01-01 00:00:00"}
	)
	assert r.status_code in (403, 417)
	assert [x.action for x in logs(name)] == ["Create"]


# --- A1 / A2 -------------------------------------------------------------------------------------


def test_scope_follows_the_sales_person_tree(world):
	a = create(world, "rep_a1", world.customer())["name"]
	b = create(world, "rep_b1", world.customer())["name"]

	def visible(who):
		r = world[who].list(OPP, filters=json.dumps([[OPP, "name", "in", [a, b]]]), limit_page_length=0)
		assert r.status_code == 200
		return {d["name"] for d in r.json()["data"]}

	assert visible("rep_a1") == {a}
	assert visible("rep_a2") == set()
	assert visible("lead_a") == {a}
	assert visible("lead_b") == {b}
	assert visible("head") == {a, b}
	assert visible("manager") == {a, b}
	r = world["outsider"].list(OPP)
	assert r.status_code == 403

	assert world["rep_b1"].get_doc(OPP, a).status_code == 403
	assert world["lead_b"].get_doc(OPP, a).status_code == 403
	assert world["lead_a"].get_doc(OPP, a).status_code == 200
	assert (
		world["rep_b1"]
		.call(f"{API}.advance_stage", name=a, to_stage=SECOND, evidence=FIRST_EVIDENCE)
		.status_code
		== 403
	)
	count = world["rep_b1"].call(
		"frappe.client.get_count", http="GET", doctype=OPP, filters=json.dumps({"name": ["in", [a, b]]})
	)
	assert count.json()["message"] == 1
	# the stage history follows the opportunity's scope
	r = world["rep_b1"].list("Opportunity Stage Log", filters=json.dumps({"opportunity": a}))
	assert r.status_code == 200 and r.json()["data"] == []
	# accountants read (for contracts and collections) but never write
	assert world["accountant"].get_doc(OPP, a).status_code == 200
	assert world["accountant"].update(OPP, a, {"amount": 1}).status_code == 403


def test_salespeople_cannot_export_or_print_lists_but_managers_can(world):
	create(world, "rep_a1", world.customer())
	for doctype in (OPP, "Customer"):
		args = {
			"doctype": doctype,
			"file_format_type": "CSV",
			"fields": json.dumps([f"`tab{doctype}`.`name`"]),
			"filters": json.dumps([]),
			"title": doctype,
		}
		r = world["rep_a1"].call("frappe.desk.reportview.export_query", **args)
		assert r.status_code == 403, (doctype, r.status_code)
		r = world["manager"].call("frappe.desk.reportview.export_query", **args)
		assert r.status_code == 200, (doctype, r.status_code, message(r))
		assert (
			r.content.startswith(b"\xef\xbb\xbf")
			or b"ID" in r.content
			or r.headers.get("content-type", "").startswith("text/csv")
		)
	frappe.db.rollback()
	for doctype in (OPP, "Customer"):
		frappe.set_user(world.users["rep_a1"])
		assert not frappe.has_permission(doctype, "print")
		assert not frappe.has_permission(doctype, "export")
		frappe.set_user(world.users["manager"])
		assert frappe.has_permission(doctype, "export")
	frappe.set_user("Administrator")


# --- O5 ------------------------------------------------------------------------------------------


def test_quotation_from_an_opportunity_links_back_and_shows_on_the_dashboard(world):
	doc = create(world, "rep_a1", world.customer())
	r = world["rep_a1"].call(
		"sales_process.sales_process.doctype.sales_opportunity.sales_opportunity.make_quotation",
		source_name=doc["name"],
	)
	assert r.status_code == 200, message(r)
	q = r.json()["message"]
	assert q["doctype"] == "Quotation" and q["party_name"] == doc["customer"]
	assert q["sales_opportunity"] == doc["name"] and q["quotation_to"] == "Customer"
	from sales_process.sales_process.doctype.sales_opportunity.sales_opportunity_dashboard import get_data

	data = get_data()
	assert data["fieldname"] == "sales_opportunity"
	assert {"Quotation", "Sales Order", "Contract"} <= {i for t in data["transactions"] for i in t["items"]}
