"""The Sales Lead Log is insert-only (G1) against every entry point, like the opportunity stage log
in test_immutability.py: REST PUT/DELETE, frappe.client.set_value / save / delete and REST insert
of a forged row, by the Sales Manager and by Administrator, and in-process save and delete."""

import pytest

import frappe

from tests.integration.rest import message
from tests.integration.test_immutability import ATTACKERS, attacks, snapshot

LEAD, LOG = "Sales Lead", "Sales Lead Log"
FIELDS = ("lead", "action", "from_sales_person", "to_sales_person", "at", "by_user", "reason")


@pytest.fixture(scope="module")
def records(world):
	"""A committed lead entered by rep_a1 (its Create row), released with a reason (its Release row)."""
	r = world["rep_a1"].insert(LEAD, {"company_name": f"不可改 {world.tag}"})
	assert r.status_code == 200, message(r)
	name = r.json()["data"]["name"]
	r = world["rep_a1"].call("sales_process.api.lead.release_lead", name=name, reason="不合适")
	assert r.status_code == 200, message(r)
	frappe.db.rollback()
	rows = frappe.get_all(LOG, {"lead": name}, pluck="name", order_by="name asc")
	yield frappe._dict(lead=name, create=rows[0], release=rows[1])
	frappe.db.rollback()
	frappe.db.delete(LOG, {"lead": name})
	frappe.db.delete("Version", {"docname": name})
	frappe.db.delete(LEAD, {"name": name})
	frappe.db.commit()


@pytest.mark.parametrize("who", ATTACKERS)
def test_lead_log_rows_resist_every_client_entry_point(world, records, who, tally):
	for row, changes in (
		(records.create, {"action": "Claim", "to_sales_person": world.sp["rep_b1"]}),
		(records.release, {"reason": "改过", "from_sales_person": world.sp["rep_a2"]}),
	):
		before = snapshot(LOG, row, FIELDS)
		for label, r in attacks(world, who, LOG, row, changes):
			tally("immutability attacks")
			assert r.status_code in (403, 417), (who, label, r.status_code, message(r))
		assert snapshot(LOG, row, FIELDS) == before


@pytest.mark.parametrize("who", ATTACKERS)
def test_a_lead_log_row_cannot_be_forged(world, records, who, tally):
	before = frappe.db.count(LOG, {"lead": records.lead})
	r = world[who].insert(
		LOG,
		{"lead": records.lead, "action": "Claim", "to_sales_person": world.sp["rep_b1"], "at": "2026-01-01"},
	)
	tally("immutability attacks")
	assert r.status_code in (403, 417), (who, r.status_code, message(r))
	frappe.db.rollback()
	assert frappe.db.count(LOG, {"lead": records.lead}) == before


def test_lead_log_rows_resist_in_process_save_insert_and_delete(records, tally):
	before = snapshot(LOG, records.release, FIELDS)
	doc = frappe.get_doc(LOG, records.release)
	doc.reason = "改过"
	with pytest.raises(frappe.PermissionError):
		doc.save(ignore_permissions=True)
	with pytest.raises(frappe.PermissionError):
		frappe.delete_doc(LOG, records.release, ignore_permissions=True, force=True)
	with pytest.raises(frappe.PermissionError):
		frappe.get_doc({"doctype": LOG, "lead": records.lead, "action": "Claim", "at": "2026-01-01"}).insert(
			ignore_permissions=True
		)
	tally("immutability attacks", 3)
	assert snapshot(LOG, records.release, FIELDS) == before
