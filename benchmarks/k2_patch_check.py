"""The K2 migrate patch on a copy of the demo site's daily logs (run by benchmarks/k2_patch.sh).

  before   on the copy as restored: count the entries per person and version; entries the copy
           already holds under version 2 (a demo made after K2) are put back into the form they had
           before K2 (version-1 hashes, re-chained, no version, heads reset) and the patch is
           marked as not run, so that `bench migrate` has the old data to convert
  after    after `bench migrate`: count the entries per version, run verify_chain for every person
           with a chain and add one entry through add_log to a rep's converted chain; exits 1 when
           anything fails

Usage (the bench's Python, not `scripts/dev run`, which would migrate the copy first):
  SP_BENCH_SITE=<copy> PYTHONPATH=. ~/sales-process-bench/env/bin/python benchmarks/k2_patch_check.py before|after"""

import sys

from benchmarks.common import connect

PATCH = "execute:from sales_process.domain.daily_log import mark_unversioned_entries; mark_unversioned_entries() #1"
LOG = "Sales Daily Log"


def counts(frappe, versioned: bool) -> dict[str, dict]:
	"""{sales_person: {version: entries}} (version None: no chain_version column yet)."""
	version = "coalesce(chain_version, 0)" if versioned else "null"
	out: dict[str, dict] = {}
	for sp, v, n in frappe.db.sql(
		f"select sales_person, {version}, count(*) from `tabSales Daily Log` group by 1, 2 order by 1, 2"
	):
		out.setdefault(sp, {})[v] = n
	return out


def print_counts(label: str, by_person: dict):
	total: dict = {}
	for sp, versions in by_person.items():
		print(f"  {sp}: " + ", ".join(f"version {_label(v)}: {n}" for v, n in versions.items()))
		for v, n in versions.items():
			total[v] = total.get(v, 0) + n
	print(f"{label}: {sum(total.values())} entries of {len(by_person)} people; " + _by_version(total))


def _label(v) -> str:
	return "none (column absent)" if v is None else "unset" if v == 0 else str(v)


def _by_version(total: dict) -> str:
	return ", ".join(f"version {_label(v)}: {n}" for v, n in sorted(total.items(), key=lambda t: t[0] or 0))


def before(frappe):
	from sales_process.domain import daily_log

	versioned = frappe.db.has_column(LOG, "chain_version")
	by_person = counts(frappe, versioned)
	print_counts("copy as restored", by_person)
	print(f"patch already run on the copy: {bool(frappe.db.exists('Patch Log', {'patch': PATCH}))}")
	if not versioned:
		print("no chain_version column: the demo predates K2, every entry is in its version-1 form")
		return
	reset = 0
	for sp in by_person:
		reset += _rehash_as_v1(frappe, daily_log, sp)
	frappe.db.delete("Patch Log", {"patch": PATCH})
	frappe.db.commit()
	print(f"put {reset} entries back into their pre-K2 form (version-1 hashes, chain_version unset)")
	print_counts("copy before migrate", counts(frappe, True))


def _rehash_as_v1(frappe, daily_log, sp) -> int:
	"""One chain as it was stored before K2: version-1 hashes chained in order, no version."""
	rows = frappe.get_all(LOG, {"sales_person": sp}, ["name", *daily_log.HASHED_V2], order_by="chain_seq asc")
	previous_hash = daily_log.GENESIS
	for row in rows:
		activities = frappe.get_all(
			"Sales Daily Log Activity", {"parent": row.name}, pluck="activity_type", order_by="idx"
		)
		row.update(previous_hash=previous_hash, activities=activities, chain_version=None)
		row.content_hash = daily_log.content_hash(row)
		frappe.db.set_value(
			LOG,
			row.name,
			{"previous_hash": previous_hash, "content_hash": row.content_hash, "chain_version": 0},
			update_modified=False,
		)
		previous_hash = row.content_hash
	daily_log.reset_chain_heads([sp])
	return len(rows)


def after(frappe) -> bool:
	from sales_process.api.daily_log import add_log, verify_chain

	print(f"patch run by migrate: {bool(frappe.db.exists('Patch Log', {'patch': PATCH}))}")
	by_person = counts(frappe, True)
	print_counts("after migrate", by_person)
	ok = all(set(v) == {1} for v in by_person.values())
	if not ok:
		print("FAIL: entries left without version 1")
	for sp in by_person:
		result = verify_chain(sp)
		print(f"  verify_chain({sp!r}): ok={result['ok']}, problems={len(result['problems'])}")
		for p in result["problems"][:5]:
			print(f"    {p}")
		ok = ok and result["ok"]
	# the check is not vacuous: a note altered in the database in a converted entry is named
	victim = frappe.db.get_value(LOG, {"chain_seq": 2}, ["name", "sales_person"], as_dict=True)
	frappe.db.sql(
		"update `tabSales Daily Log` set note = concat(coalesce(note, ''), '!') where name = %s", victim.name
	)
	named = [(p["entry"], p["chain_version"]) for p in verify_chain(victim.sales_person)["problems"]]
	frappe.db.rollback()
	print(f"note of entry {victim.name} altered in the database: verify_chain names {named}")
	ok = ok and named == [(str(victim.name), 1)]
	# a new entry goes on top of a converted chain under version 2, and the mixed chain verifies
	rep, customer, activity, user = frappe.db.sql(
		"""select l.sales_person, l.customer, a.activity_type, e.user_id
		from `tabSales Daily Log` l
		join `tabSales Daily Log Activity` a on a.parent = l.name
		join `tabSales Person` sp on sp.name = l.sales_person
		join `tabEmployee` e on e.name = sp.employee
		where l.customer is not null and e.user_id is not null
		order by l.chain_seq desc limit 1"""
	)[0]
	frappe.set_user(user)
	name = add_log(customer=customer, activities=[activity], minutes=5, note="after the K2 patch")
	frappe.set_user("Administrator")
	result = verify_chain(rep)
	versions = counts(frappe, True)[rep]
	print(
		f"new entry {name} by {user} on {rep}'s chain: version "
		f"{frappe.db.get_value(LOG, name, 'chain_version')}; chain now {_by_version(versions)}; "
		f"verify_chain ok={result['ok']}"
	)
	ok = ok and result["ok"] and versions.get(2) == 1
	frappe.db.rollback()  # the copy keeps the demo's entries only
	print("RESULT: " + ("passed" if ok else "FAILED"))
	return ok


if __name__ == "__main__":
	import frappe

	connect()
	step = sys.argv[1] if len(sys.argv) > 1 else ""
	if step == "before":
		before(frappe)
	elif step == "after":
		sys.exit(0 if after(frappe) else 1)
	else:
		sys.exit(__doc__)
