"""Immutable records stay immutable against every entry point (issue #11): the Opportunity Stage
Log (insert-only history, O4) and the provenance of an Experience Entry (which help alert and whose
answer it records, E1) — attacked through REST PUT/DELETE, frappe.client.set_value / save / delete,
and in-process save and delete, by the Sales Manager and by Administrator. The Sales Daily Log gets
the same treatment in test_daily_log.py."""

import json

import pytest

import frappe

from tests.integration.rest import message

OPP, LOG, ENTRY = "Sales Opportunity", "Opportunity Stage Log", "Experience Entry"
HA = "sales_process.api.help_alert"
ATTACKERS = ("manager", "admin")


@pytest.fixture(scope="module")
def records(world):
	"""A committed opportunity (with its Create log row), a second alert, and an Experience Entry
	made the legitimate way: rep_a2 raises, lead_a answers, rep_a2 marks it effective."""
	r = world["rep_a2"].insert(OPP, world.opportunity_doc(world.customer()))
	assert r.status_code == 200, message(r)
	opp = r.json()["data"]["name"]

	def alert(text):
		r = world["rep_a2"].call(f"{HA}.raise_alert", opportunity=opp, reason="其他", description=text)
		assert r.status_code == 200, message(r)
		return r.json()["message"]

	first, other = alert("需要支持 1"), alert("需要支持 2")
	row = world["lead_a"].call(f"{HA}.respond", alert=first, analysis="先确认预算").json()["message"]
	r = world["rep_a2"].call(f"{HA}.mark_effective", alert=first, response=row)
	assert r.status_code == 200, message(r)
	frappe.db.rollback()
	return frappe._dict(
		opp=opp,
		log=frappe.get_all(LOG, {"opportunity": opp}, pluck="name")[0],
		entry=r.json()["message"],
		alert=first,
		other_alert=other,
	)


def snapshot(doctype, name, fields):
	frappe.db.rollback()  # see what the server committed
	return frappe.db.get_value(doctype, name, [*fields, "modified"], as_dict=True)


LOG_FIELDS = ("opportunity", "action", "from_stage", "to_stage", "at", "by_user", "note")
PROVENANCE = ("source_help_alert", "contributed_by")


def attacks(world, who, doctype, name, changes):
	"""Every way a client can try to change or delete a record; the HTTP status of each."""
	client = world[who]
	doc = client.get_doc(doctype, name).json()["data"]
	yield "REST PUT", client.update(doctype, name, changes)
	for field, value in changes.items():
		yield (
			f"frappe.client.set_value {field}",
			client.call("frappe.client.set_value", doctype=doctype, name=name, fieldname=field, value=value),
		)
	yield "frappe.client.save", client.call("frappe.client.save", doc=json.dumps({**doc, **changes}))
	yield "REST DELETE", client.delete(doctype, name)
	yield "frappe.client.delete", client.call("frappe.client.delete", doctype=doctype, name=name)


@pytest.mark.parametrize("who", ATTACKERS)
def test_stage_log_rows_resist_every_client_entry_point(world, records, who, tally):
	before = snapshot(LOG, records.log, LOG_FIELDS)
	for label, r in attacks(world, who, LOG, records.log, {"note": "改过", "action": "Won"}):
		tally("immutability attacks")
		assert r.status_code in (403, 417), (who, label, r.status_code, message(r))
	assert snapshot(LOG, records.log, LOG_FIELDS) == before


def test_stage_log_rows_resist_in_process_save_and_delete(records, tally):
	before = snapshot(LOG, records.log, LOG_FIELDS)
	doc = frappe.get_doc(LOG, records.log)
	doc.note = "改过"
	with pytest.raises(frappe.PermissionError):
		doc.save(ignore_permissions=True)
	with pytest.raises(frappe.PermissionError):
		frappe.delete_doc(LOG, records.log, ignore_permissions=True, force=True)
	tally("immutability attacks", 2)
	assert snapshot(LOG, records.log, LOG_FIELDS) == before


@pytest.mark.parametrize("who", ATTACKERS)
def test_experience_provenance_resists_every_client_entry_point(world, records, who, tally):
	before = snapshot(ENTRY, records.entry, PROVENANCE)
	forged = {"source_help_alert": records.other_alert, "contributed_by": world.users["rep_b1"]}
	for label, r in attacks(world, who, ENTRY, records.entry, forged):
		tally("immutability attacks")
		assert r.status_code in (403, 417), (who, label, r.status_code, message(r))
	assert snapshot(ENTRY, records.entry, PROVENANCE) == before
	assert frappe.db.exists(ENTRY, records.entry)


def test_experience_content_stays_editable_but_provenance_does_not(world, records, tally):
	"""The guard is precise: a manager curates the text of the pool; only the origin is fixed."""
	r = world["manager"].update(ENTRY, records.entry, {"solution": "先确认预算，再约决策人"})
	assert r.status_code == 200, message(r)
	after = snapshot(ENTRY, records.entry, ("solution", *PROVENANCE))
	assert after.solution == "先确认预算，再约决策人"
	assert after.source_help_alert == records.alert


@pytest.mark.parametrize("who", ATTACKERS)
def test_an_entry_cannot_be_forged_with_provenance(world, records, who, tally):
	before = frappe.db.count(ENTRY)
	r = world[who].insert(
		ENTRY,
		{
			"title": "forged",
			"problem": "p",
			"solution": "s",
			"source_help_alert": records.other_alert,
			"contributed_by": world.users["rep_b1"],
		},
	)
	tally("immutability attacks")
	assert r.status_code in (403, 417), (who, r.status_code, message(r))
	frappe.db.rollback()
	assert frappe.db.count(ENTRY) == before
	assert not frappe.db.exists(ENTRY, {"source_help_alert": records.other_alert})


def test_experience_provenance_resists_in_process_save_and_delete(world, records, tally):
	before = snapshot(ENTRY, records.entry, PROVENANCE)
	doc = frappe.get_doc(ENTRY, records.entry)
	doc.contributed_by = world.users["rep_b1"]
	with pytest.raises(frappe.PermissionError):
		doc.save(ignore_permissions=True)
	with pytest.raises(frappe.PermissionError):
		frappe.delete_doc(ENTRY, records.entry, ignore_permissions=True, force=True)
	tally("immutability attacks", 2)
	assert snapshot(ENTRY, records.entry, PROVENANCE) == before


def test_the_chain_head_on_a_sales_person_resists_every_client_entry_point(world, tally):
	"""The Sales Person stays editable, but the daily-log chain head kept on it (L2) is written by the
	daily log alone: a forged head would fork the next entry's chain or hide a removed entry."""
	from sales_process.domain.daily_log import HEAD_FIELDS

	r = world["rep_b1"].call(
		"sales_process.api.daily_log.add_log", customer=world.customer(), activities=["电话沟通"], minutes=3
	)
	assert r.status_code == 200, message(r)
	sp = world.sp["rep_b1"]

	def head():
		frappe.db.rollback()
		return frappe.db.get_value("Sales Person", sp, list(HEAD_FIELDS), as_dict=True)

	before = head()
	assert before.sales_process_chain_head == str(r.json()["message"])
	forged = {
		"sales_process_chain_head": "1",
		"sales_process_chain_seq": 1,
		"sales_process_chain_hash": "0" * 64,
	}
	for label, r in attacks(world, "admin", "Sales Person", sp, forged):
		tally("immutability attacks")
		assert r.status_code < 500, (label, message(r))
		assert head() == before, label
		if label == "frappe.client.save":
			break  # the deletes that follow are ERPNext's business, and would remove a test user
