"""K2: the daily-log hash covers every stored field of an entry under chain versions 2 and 3 (3 adds
the visit check-in, F2); entries written under version 1 (before K2) keep verifying, and the migrate
patch only labels them."""

import pytest

import frappe

from sales_process.api import daily_log as api
from sales_process.domain import check_in, daily_log

LOG = "Sales Daily Log"
# column → SQL expression that changes it (run as a plain UPDATE, the way an attacker with database
# access would); one case per field version 2 hashes
TAMPER = {
	"owner": "'forger@example.com'",
	"creation": "date_sub(creation, interval 1 hour)",
	"docstatus": "1",
	"sales_person": "%(other_sp)s",
	"log_date": "date_sub(log_date, interval 1 day)",
	"customer": "%(other_customer)s",
	"lead": "'SLEAD-forged'",
	"opportunity": "null",
	"minutes": "minutes + 1",
	"cost": "cost + 1",
	"note": "'forged'",
	"difficulty": "1",
	"corrects": "%(first)s",
	"effective_score": "effective_score + 5",
	"stage": "'Forged Stage'",
	"entered_at": "date_sub(entered_at, interval 1 hour)",
	"chain_seq": "chain_seq + 10",
	"previous_entry": "'forged'",
	"previous_hash": "sha2('forged', 256)",
	"chain_version": "1",
}
ACTIVITY_TAMPER = {
	"activity renamed": "update `tabSales Daily Log Activity` set activity_type = '内部会议' where parent = %(target)s and idx = 1",
	"activity rows reordered": "update `tabSales Daily Log Activity` set idx = 3 - idx where parent = %(target)s",
	"activity row removed": "delete from `tabSales Daily Log Activity` where parent = %(target)s and idx = 2",
	"activity row moved to another entry": "update `tabSales Daily Log Activity` set parent = %(first)s where parent = %(target)s and idx = 2",
}


@pytest.fixture
def chain(factory):
	"""Three entries of one rep, the middle one (the target) on an opportunity with two activities."""
	team = factory.team()
	opp = factory.opportunity(team.rep)
	other = factory.team()
	frappe.set_user(factory.user_of(team.rep))
	first = api.add_log(opp.customer, ["电话沟通"], 10)
	target = api.add_log(opp.customer, ["电话沟通", "拜访客户"], 20, 12.5, opportunity=opp.name, note="n")
	api.add_log(opp.customer, ["发送报价"], 30)
	frappe.set_user("Administrator")
	assert api.verify_chain(team.rep) == {"ok": True, "problems": []}
	yield frappe._dict(
		rep=team.rep, first=first, target=target, other_sp=other.rep, other_customer=factory.customer()
	)
	frappe.set_user("Administrator")


def test_every_stored_field_is_hashed():
	"""A field added to the doctype later must be added to the hash (and to TAMPER) too."""
	meta = frappe.get_meta(LOG)
	stored = {df.fieldname for df in meta.fields if df.fieldtype not in frappe.model.no_value_fields}
	stored -= {"activities", "content_hash"}  # the rows are hashed separately; the hash itself
	assert stored <= set(daily_log.HASHED), stored - set(daily_log.HASHED)
	# version 3 adds the check-in, attacked field by field in test_check_in.py
	assert set(daily_log.HASHED) == set(TAMPER) | set(check_in.HASHED)


def test_new_entries_are_written_under_the_current_version(chain):
	assert frappe.db.get_value(LOG, chain.target, "chain_version") == daily_log.CHAIN_VERSION == 3


@pytest.mark.parametrize("field", sorted(TAMPER))
def test_altering_a_field_in_the_database_names_the_entry(chain, field):
	# nosemgrep: frappe-using-db-sql -- the attack under test is a raw UPDATE
	frappe.db.sql(
		f"update `tabSales Daily Log` set `{field}` = {TAMPER[field]} where name = %(target)s", chain
	)
	result = api.verify_chain(chain.rep)
	assert result["ok"] is False
	named = {p["entry"]: p for p in result["problems"]}
	assert chain.target in named, result["problems"]
	if field not in ("sales_person", "chain_seq", "chain_version"):
		# the entry itself is still in its place: it is reported as altered, under its version
		assert (
			named[chain.target]["chain_version"] == daily_log.CHAIN_VERSION
			and "altered" in named[chain.target]["problem"]
		)


@pytest.mark.parametrize("attack", sorted(ACTIVITY_TAMPER))
def test_altering_the_activity_rows_names_the_entry(chain, attack):
	# nosemgrep: frappe-using-db-sql -- the attack under test is raw SQL
	frappe.db.sql(ACTIVITY_TAMPER[attack], chain)
	problems = api.verify_chain(chain.rep)["problems"]
	assert chain.target in {p["entry"] for p in problems}, problems


def test_a_version_2_entry_cannot_be_relabelled_as_version_1(chain):
	"""Version 1 leaves effective_score and stage out; relabelling an entry as version 1 to alter
	them unnoticed fails, because the stored hash is a version 2 hash."""
	frappe.db.sql(
		"update `tabSales Daily Log` set chain_version = 1, effective_score = 99 where name = %s",
		chain.target,
	)
	problems = api.verify_chain(chain.rep)["problems"]
	assert [(p["entry"], p["chain_version"]) for p in problems] == [(chain.target, 1)], problems


def test_an_unknown_version_is_reported(chain):
	frappe.db.sql("update `tabSales Daily Log` set chain_version = 7 where name = %s", chain.target)
	problems = api.verify_chain(chain.rep)["problems"]
	assert [(p["entry"], p["chain_version"]) for p in problems] == [(chain.target, 7)]
	assert "version 7" in problems[0]["problem"]


def _rehash_as_v1(rep):
	"""Rewrite one rep's chain the way it was stored before K2: version-1 hashes, no version."""
	rows = frappe.get_all(
		LOG, {"sales_person": rep}, ["name", *daily_log.HASHED_V2], order_by="chain_seq asc"
	)
	previous_hash = daily_log.GENESIS
	for row in rows:
		activities = frappe.get_all(
			"Sales Daily Log Activity", {"parent": row.name}, pluck="activity_type", order_by="idx"
		)
		row.update(previous_hash=previous_hash, activities=activities, chain_version=None)
		row.content_hash = daily_log.content_hash(row)
		frappe.db.sql(
			"update `tabSales Daily Log` set previous_hash = %s, content_hash = %s, chain_version = 0 where name = %s",
			(previous_hash, row.content_hash, row.name),
		)
		previous_hash = row.content_hash
	daily_log.reset_chain_heads([rep])
	return rows


def test_the_patch_labels_old_entries_version_1_and_they_keep_verifying(chain, factory):
	"""A copy of demo-like data written under version 1 (bulk rows hashed the old way), then the
	migrate patch: nothing is re-hashed, everything verifies as version 1, tampering still shows,
	and the next entry continues the chain under version 2."""
	rows = _rehash_as_v1(chain.rep)
	hashes = {r.name: r.content_hash for r in rows}
	daily_log.mark_unversioned_entries()
	stored = frappe.get_all(LOG, {"sales_person": chain.rep}, ["name", "content_hash", "chain_version"])
	assert {r.name: r.content_hash for r in stored} == hashes  # not re-hashed
	assert {r.chain_version for r in stored} == {1}
	assert api.verify_chain(chain.rep) == {"ok": True, "problems": []}

	frappe.set_user(factory.user_of(chain.rep))
	newer = api.add_log(frappe.db.get_value(LOG, chain.first, "customer"), ["电话沟通"], 5)
	frappe.set_user("Administrator")
	assert frappe.db.get_value(LOG, newer, ["chain_version", "previous_hash"]) == (
		daily_log.CHAIN_VERSION,
		rows[-1].content_hash,
	)
	assert api.verify_chain(chain.rep) == {"ok": True, "problems": []}

	frappe.db.sql("update `tabSales Daily Log` set minutes = 480 where name = %s", chain.target)
	problems = api.verify_chain(chain.rep)["problems"]
	assert [(p["entry"], p["chain_version"]) for p in problems] == [(chain.target, 1)]


def test_rows_chained_in_bulk_are_written_under_the_current_version(factory):
	row = {
		"name": "bulk-1",
		"owner": "someone@example.com",
		"creation": "2026-11-30 09:00:00",
		"sales_person": "Someone",
		"log_date": "2026-11-30",
		"customer": "CUST-1",
		"activities": ["电话沟通"],
		"minutes": 30,
		"effective_score": 1,
		"entered_at": "2026-11-30 09:00:00",
	}
	(chained,) = daily_log.chain_in_bulk([dict(row)])
	assert chained["chain_version"] == daily_log.CHAIN_VERSION
	assert chained["content_hash"] == daily_log.content_hash(dict(chained))
	assert chained["content_hash"] != daily_log.content_hash(dict(chained, effective_score=2))


def test_the_patch_on_data_the_demo_generator_wrote(factory):
	"""The demo's own daily-log generator (setup/demo.py: ~6 weeks of bulk rows through chain_in_bulk,
	today's entries through add_log) writes a rep's chain, which is put back into the form entries had
	before K2; the patch labels every entry version 1 and each verifies. benchmarks/k2_patch.sh does
	the same on a copy of the demo site itself (docs/security.md)."""
	from sales_process.setup.demo import _Demo

	team = factory.team()
	opps = [factory.opportunity(team.rep) for _ in range(2)]
	demo = _Demo(seed=7, scale=0.1)
	demo.leaves, demo.users = [team.rep], {team.rep: factory.user_of(team.rep)}
	demo.customers_of = {team.rep: [o.customer for o in opps]}
	demo.opportunities = [o.name for o in opps]
	demo.daily_logs()
	frappe.set_user("Administrator")
	written = frappe.get_all(LOG, {"sales_person": team.rep}, pluck="chain_version")
	assert len(written) > 40 and set(written) == {daily_log.CHAIN_VERSION}
	assert api.verify_chain(team.rep) == {"ok": True, "problems": []}

	rows = _rehash_as_v1(team.rep)
	assert {v for v in frappe.get_all(LOG, {"sales_person": team.rep}, pluck="chain_version")} == {0}
	daily_log.mark_unversioned_entries()
	stored = frappe.get_all(LOG, {"sales_person": team.rep}, ["chain_version", "content_hash"])
	assert [r.chain_version for r in stored] == [1] * len(rows) == [1] * len(written)
	assert {r.content_hash for r in stored} == {r.content_hash for r in rows}  # not re-hashed
	assert api.verify_chain(team.rep) == {"ok": True, "problems": []}
