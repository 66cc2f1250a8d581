"""Races with real concurrent HTTP requests (O2, O4 × D3, H3, L2; issue #11). The simple cases
(two claims of one customer, two mark_effective calls by the raiser, four logs by one user) are in
test_opportunity_rest.py, test_help_alert.py and test_daily_log.py; these add the harder ones."""

import os
import subprocess
import threading
import time

import frappe

from sales_process.domain import stage_history
from tests.conftest import TEST_SITE
from tests.integration.job_runner import start
from tests.integration.rest import message
from tests.integration.test_stage_summary import totals_of
from tests.integration.world import remove_committed

OPP = "Sales Opportunity"
OA, HA = "sales_process.api.opportunity", "sales_process.api.help_alert"
EVIDENCE = {"已确认客户联系人及联系方式": "王经理", "已确认客户存在相关需求": "ERP"}


def together(*calls, timeout=60):
	"""Runs the callables at the same moment (a Barrier); returns their results in order."""
	barrier = threading.Barrier(len(calls))
	results = [None] * len(calls)

	def run(i, fn):
		barrier.wait(timeout)
		results[i] = fn()

	threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(timeout)
	assert not any(t.is_alive() for t in threads)
	return results


def test_simultaneous_claims_of_matching_customers_produce_one_opportunity(world, tally):
	"""Two customer records with one tax id (O2 by normalised identity), claimed by two teams at once."""
	tax = f"9131{world.tag}RACE"
	first = world.customer(tax_id=tax)
	twin = world.customer(tax_id=f"{tax[:4]}-{tax[4:]}".lower())
	doc_a, doc_b = world.opportunity_doc(first), world.opportunity_doc(twin)  # (frappe stays in this thread)
	for _round in range(2):
		a, b = together(
			lambda: world["rep_a1"].insert(OPP, doc_a),
			lambda: world["rep_b1"].insert(OPP, doc_b),
		)
		tally("races run")
		if _round == 0:
			assert sorted([a.status_code, b.status_code]) == [200, 409], (message(a), message(b))
		else:  # the holder may add another; the other team is still refused
			winner = a if a.status_code == 200 else b
			assert winner.status_code == 200 and (b if winner is a else a).status_code == 409
	frappe.db.rollback()
	owners = set(frappe.get_all(OPP, {"customer": ("in", [first, twin])}, pluck="sales_person"))
	assert len(owners) == 1


def _job(go_on_stdin=True) -> subprocess.Popen:
	proc = start("confiscation", 500, *(["--go-on-stdin"] if go_on_stdin else []))
	assert proc.stdout.readline().strip() == "ready"
	return proc


def test_advance_stage_racing_the_confiscation_job_never_loses_a_move(world, tally):
	"""An overdue opportunity: its owner advances it while the job confiscates it. Either may win;
	the row and its history must agree, with exactly one of the two moves applied and logged."""
	outcomes = set()
	for _round in range(4):
		doc = world.opportunity_doc(world.customer())
		for _try in range(3):  # setup only: a claim check can meet a deadlock (see the report)
			r = world["rep_a1"].insert(OPP, doc)
			if "Deadlock" not in r.text:
				break
		assert r.status_code == 200, message(r)
		name = r.json()["data"]["name"]
		frappe.db.sql(
			"update `tabSales Opportunity` set stage_due_at = %s where name = %s", ("2001-01-01", name)
		)
		frappe.db.commit()
		job = _job()
		try:

			def go(job=job):
				job.stdin.write("go\n")
				job.stdin.flush()
				return job

			def advance(name=name):
				return world["rep_a1"].call(
					f"{OA}.advance_stage", name=name, to_stage="需求调研", evidence=EVIDENCE
				)

			_job_started, resp = together(go, advance)
			job.wait(120)
		finally:
			if job.poll() is None:
				job.kill()
		tally("races run")
		frappe.db.rollback()
		doc = frappe.db.get_value(OPP, name, ["stage", "sales_person", "stage_due_at"], as_dict=True)
		log = frappe.get_all(
			"Opportunity Stage Log",
			{"opportunity": name},
			["action", "to_stage", "to_sales_person"],
			order_by="name asc",
		)
		actions = [x.action for x in log]
		if resp.status_code == 200:  # the owner was first: the job found a fresh deadline
			assert actions == ["Create", "Advance"], actions
			assert (doc.stage, doc.sales_person) == ("需求调研", world.sp["rep_a1"])
			assert doc.stage_due_at > frappe.utils.now_datetime()
			outcomes.add("advanced")
		else:  # the job was first: the opportunity is the superior's now, and was not advanced
			assert resp.status_code == 403, (resp.status_code, message(resp))
			assert actions == ["Create", "Confiscate"], actions
			assert (doc.stage, doc.sales_person) == ("线索确认", world.sp["lead_a"])
			outcomes.add("confiscated")
		# the row agrees with the last history row, and the stage summary with the history
		assert (log[-1].to_stage, log[-1].to_sales_person) == (doc.stage, doc.sales_person)
		assert stage_history.differences([name]) == []
		# the stage × owner totals moved with the owner, whichever side won
		assert stage_history.totals_differences() == []
	assert outcomes  # which side wins each round is up to the scheduler; both are checked above


def test_simultaneous_advances_keep_the_stage_summary_equal_to_the_log(world, tally):
	"""Six opportunities advanced at the same moment, one of them twice: the summary's upserts add
	up instead of overwriting each other, no request deadlocks, and the double move happens once."""
	names = []
	for _i in range(6):
		r = world["rep_a1"].insert(OPP, world.opportunity_doc(world.customer()))
		assert r.status_code == 200, message(r)
		names.append(r.json()["data"]["name"])

	def advance(name):
		return lambda: world["rep_a1"].call(
			f"{OA}.advance_stage", name=name, to_stage="需求调研", evidence=EVIDENCE
		)

	frappe.db.rollback()
	before = moves_of(world.sp["rep_a1"])
	responses = together(*[advance(n) for n in names], advance(names[0]))
	tally("races run")
	codes = [r.status_code for r in responses]
	assert codes[1:6] == [200] * 5, [message(r) for r in responses]
	assert sorted([codes[0], codes[6]]) == [200, 417], [message(r) for r in responses]
	frappe.db.rollback()
	assert stage_history.differences(names) == []
	rows = frappe.get_all(
		"Opportunity Stage Summary",
		{"opportunity": ("in", names)},
		["stage", "entries", "exits", "converted"],
	)
	by_stage = {}
	for r in rows:
		by_stage.setdefault(r.stage, []).append((r.entries, r.exits, r.converted))
	assert by_stage == {"线索确认": [(1, 1, 1)] * 6, "需求调研": [(1, 0, 0)] * 6}
	# the owner's totals row of each stage took all six moves (entered, converted, entries, exits)
	after = moves_of(world.sp["rep_a1"])
	change = {
		stage: tuple(a - b for a, b in zip(after[stage], before.get(stage, (0,) * 4), strict=True))
		for stage in after
	}
	assert {stage: c for stage, c in change.items() if any(c)} == {
		"线索确认": (0, 6, 0, 6),
		"需求调研": (6, 0, 6, 0),
	}
	assert stage_history.totals_differences() == []


def test_four_simultaneous_mark_effective_calls_make_one_experience_entry(world, tally):
	opp = world["rep_a2"].insert(OPP, world.opportunity_doc(world.customer())).json()["data"]["name"]
	alert = (
		world["rep_a2"]
		.call(f"{HA}.raise_alert", opportunity=opp, reason="其他", description="race 4")
		.json()["message"]
	)
	rows = [
		world[w].call(f"{HA}.respond", alert=alert, analysis=f"answer {w}").json()["message"]
		for w in ("rep_b1", "lead_b", "lead_a")
	]
	results = together(
		*[
			lambda row=row: world["rep_a2"].call(f"{HA}.mark_effective", alert=alert, response=row)
			for row in rows
		],
		lambda: world["rep_b1"].call(f"{HA}.mark_effective", alert=alert, response=rows[0]),
	)
	tally("races run")
	codes = [r.status_code for r in results]
	assert sorted(codes[:3]) == [200, 417, 417], [message(r) for r in results]
	assert codes[3] == 403
	frappe.db.rollback()
	assert frappe.db.count("Experience Entry", {"source_help_alert": alert}) == 1
	doc = frappe.get_doc("Help Alert", alert)
	assert doc.status == "Resolved" and sum(r.is_effective for r in doc.responses) == 1
	winner = results[codes.index(200)].json()["message"]
	assert doc.experience_entry == winner


def test_concurrent_logs_and_corrections_by_one_user_keep_one_chain(world, tally):
	"""Eight requests at once by one user, corrections among them: one unforked chain."""
	customer = world.customer()
	first = world["rep_b1"].call(
		"sales_process.api.daily_log.add_log", customer=customer, activities=["电话沟通"], minutes=3
	)
	original = first.json()["message"]
	t0 = time.monotonic()
	results = together(
		*[
			lambda i=i: world["rep_b1"].call(
				"sales_process.api.daily_log.add_log",
				customer=customer,
				activities=["电话沟通"],
				minutes=1 + i,
				**({"corrects": original, "note": f"更正 {i}"} if i % 3 == 0 else {}),
			)
			for i in range(8)
		]
	)
	tally("races run")
	assert [r.status_code for r in results] == [200] * 8, [
		message(r) for r in results if r.status_code != 200
	]
	assert time.monotonic() - t0 < 60
	r = world["rep_b1"].call("sales_process.api.daily_log.verify_chain", http="GET")
	assert r.json()["message"] == {"ok": True, "problems": []}
	frappe.db.rollback()
	rows = frappe.get_all(
		"Sales Daily Log",
		{"sales_person": world.sp["rep_b1"]},
		["name", "chain_seq", "previous_entry"],
		order_by="chain_seq asc",
	)
	assert [r.chain_seq for r in rows] == list(range(1, len(rows) + 1))
	assert [r.previous_entry or "" for r in rows[1:]] == [str(r.name) for r in rows[:-1]]


def test_simultaneous_entries_for_different_customers_all_succeed(world, tally):
	"""Claims of unrelated customers must not deadlock each other: the claim check's locking read
	takes gap locks on the opportunity index, so concurrent inserts into one gap used to deadlock
	(a 500). Claimants now queue on one site-wide row first."""
	who = ("rep_a1", "rep_a2", "rep_b1", "lead_a", "lead_b", "head")
	for _round in range(3):
		docs = [world.opportunity_doc(world.customer()) for _ in who]
		results = together(
			*[lambda w=w, d=d: world[w].insert(OPP, d) for w, d in zip(who, docs, strict=True)]
		)
		tally("races run")
		assert [r.status_code for r in results] == [200] * len(who), [message(r) for r in results]
	frappe.db.rollback()
	assert frappe.db.count(OPP, {"customer": ("in", world.customers[-3 * len(who) :])}) == 3 * len(who)


def test_claims_for_two_companies_in_one_index_gap_do_not_deadlock(world, tally, monkeypatch):
	"""O2's queue is site-wide: two claims for customers of different companies whose opportunity
	index gaps meet (two new customers sorting after every other) used to take the gap lock of the
	claim check each, then insert into it (a deadlock) while each held only its own company's row.
	Both transactions are held between the check and the insert, the worst moment."""
	from sales_process.domain import opportunity

	tag = frappe.generate_hash(length=6)
	other = f"ZZ Claim Queue {tag}"
	frappe.get_doc(
		{
			"doctype": "Company",
			"name": other,
			"company_name": other,
			"abbr": f"ZQ{tag}",
			"default_currency": "CNY",
		}
	).db_insert()  # test data: only the Link target is needed, not ERPNext's company setup
	frappe.db.commit()
	customers = [world.customer(customer_name=f"ZZZZ queue {tag} {i}") for i in (1, 2)]
	checked = threading.Barrier(2)
	original = opportunity.check_claim

	def check_then_wait(*args, **kwargs):
		original(*args, **kwargs)
		try:
			checked.wait(5)  # with the site-wide queue the other claim waits for this one instead
		except threading.BrokenBarrierError:
			pass

	monkeypatch.setattr(opportunity, "check_claim", check_then_wait)
	sites = os.getcwd()

	def claim(who, customer, company, **fields):
		frappe.init(site=TEST_SITE, sites_path=sites)
		frappe.connect()
		try:
			frappe.set_user(world.users[who])
			doc = frappe.get_doc(
				{"doctype": OPP, **world.opportunity_doc(customer, company=company, currency="CNY", **fields)}
			).insert()
			frappe.db.commit()
			return doc.name
		except Exception as e:
			frappe.db.rollback()
			return e
		finally:
			frappe.destroy()

	try:
		results = together(
			lambda: claim("rep_a1", customers[0], world.company),
			# the new company is outside the reps' user permissions: Administrator enters it for rep_b1
			lambda: claim("admin", customers[1], other, sales_person=world.sp["rep_b1"]),
		)
		tally("races run")
		assert not [r for r in results if isinstance(r, Exception)], results
		frappe.db.rollback()
		assert frappe.db.count(OPP, {"customer": ("in", customers)}) == 2
	finally:
		frappe.db.rollback()
		frappe.db.delete("Company", {"name": other})
		frappe.db.commit()


def test_first_entries_of_neighbouring_people_do_not_deadlock(world, tally, monkeypatch):
	"""Two people's first daily logs at once. Finding a chain's last entry with a locking range read
	took a gap lock, and two empty chains next to each other in the (sales_person, chain_seq) index
	share one gap: both inserts then waited on the other's gap lock (a deadlock, seen as a 500 in
	the load test). Both transactions are held between linking and inserting, the worst moment."""
	from sales_process.domain import daily_log
	from sales_process.setup.org import make_person

	tag = frappe.generate_hash(length=6)
	people = [
		make_person(
			f"chain {tag} {i}", f"chain{i}.{tag}@world.example.com", world.company, parent=world.sp["lead_b"]
		)
		for i in (1, 2)
	]
	frappe.db.commit()
	customer = world.customer()
	linked = threading.Barrier(len(people))
	original = daily_log.link_into_chain

	def link_then_wait(doc):
		original(doc)
		linked.wait(30)  # both hold whatever linking locked before either inserts

	monkeypatch.setattr(daily_log, "link_into_chain", link_then_wait)
	sites = os.getcwd()

	def first_entry(sp):
		frappe.init(site=TEST_SITE, sites_path=sites)
		frappe.connect()
		try:
			frappe.set_user(frappe.db.get_value("Employee", sp.employee, "user_id"))
			doc = frappe.get_doc(
				{
					"doctype": "Sales Daily Log",
					"customer": customer,
					"activities": [{"activity_type": "电话沟通"}],
					"minutes": 5,
				}
			).insert()
			frappe.db.commit()
			return doc.name
		except Exception as e:
			frappe.db.rollback()
			return e
		finally:
			frappe.destroy()

	try:
		results = together(*[lambda sp=sp: first_entry(sp) for sp in people])
		tally("races run")
		assert not [r for r in results if isinstance(r, Exception)], results
		frappe.db.rollback()
		for sp, name in zip(people, results, strict=True):
			row = frappe.db.get_value(
				"Sales Daily Log", name, ["sales_person", "chain_seq", "previous_entry"], as_dict=True
			)
			assert (row.sales_person, row.chain_seq, row.previous_entry or "") == (sp.name, 1, "")
	finally:
		frappe.db.rollback()
		logs = frappe.get_all(
			"Sales Daily Log", {"sales_person": ("in", [sp.name for sp in people])}, pluck="name"
		)
		if logs:
			frappe.db.delete("Sales Daily Log Activity", {"parent": ("in", logs)})
			frappe.db.delete("Sales Daily Log", {"name": ("in", logs)})
		remove_committed(
			[],
			[sp.name for sp in people],
			[sp.employee for sp in people],
			[f"chain{i}.{tag}@world.example.com" for i in (1, 2)],
		)


def moves_of(sales_person: str) -> dict[str, tuple]:
	"""The owner's totals per stage: entered, converted, entries, exits."""
	return {stage: values[:4] for stage, values in totals_of(sales_person).items()}
