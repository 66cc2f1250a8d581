"""Fault (D3, D4; issue #11): the confiscation job is SIGKILLed in the middle of its second batch
(after batch 1 committed, with batch 2's UPDATE and log rows written but not committed), then run
again. No opportunity is lost, duplicated or double-logged: each overdue opportunity is confiscated
exactly once, with exactly one Confiscate row."""

import signal
import subprocess
import sys
import time

import frappe

from sales_process.domain import stage_history
from tests.factories import bulk_opportunities
from tests.integration.job_runner import read_line, start

N, BATCH = 12, 4


def start_job(*args) -> subprocess.Popen:
	return start("confiscation", BATCH, *args)


def confiscations(names) -> dict:
	frappe.db.rollback()  # see what the job committed
	rows = frappe.get_all(
		"Opportunity Stage Log",
		{"opportunity": ("in", names), "action": "Confiscate"},
		["opportunity", "to_sales_person"],
	)
	out = {}
	for r in rows:
		out.setdefault(r.opportunity, []).append(r.to_sales_person)
	return out


def test_a_job_killed_mid_batch_then_rerun_confiscates_each_once(world, tally):
	customer = world.customer()
	tag = frappe.generate_hash(length=6)
	names = [f"FAULT-{tag}-{i:02d}" for i in range(N)]
	old = frappe.utils.get_datetime("2000-01-01 00:00:00")
	bulk_opportunities(
		[
			{
				"name": name,
				"customer": customer,
				"sales_person": world.sp["rep_a1"],
				"stage": "线索确认",
				"stage_entered_at": old,
				# the oldest due times on the site: the job takes them first, in this order
				"stage_due_at": old + frappe.utils.datetime.timedelta(minutes=i),
				"amount": 1,
			}
			for i, name in enumerate(names)
		]
	)
	frappe.db.commit()  # the job runs in another process
	try:
		proc = start_job("--stall-in-batch", "2")
		try:
			read_line(proc, "stalled")
			# batch 1 committed (seen from here), batch 2 written but not committed
			deadline = time.monotonic() + 30
			while len(confiscations(names)) < BATCH and time.monotonic() < deadline:
				time.sleep(0.2)
			assert len(confiscations(names)) == BATCH
			proc.send_signal(signal.SIGKILL)
			proc.wait(10)
			tally("confiscation faults injected")
		finally:
			if proc.poll() is None:
				proc.kill()
		# the killed transaction is rolled back by the server: batch 2 left no trace
		done = confiscations(names)
		assert sorted(done) == names[:BATCH], sorted(done)
		owners = dict(
			frappe.get_all(
				"Sales Opportunity", {"name": ("in", names)}, ["name", "sales_person"], as_list=True
			)
		)
		assert {owners[n] for n in names[BATCH:]} == {world.sp["rep_a1"]}

		# re-run until the rows the dead connection held are free again (bounded)
		for _attempt in range(5):
			rerun = start_job()
			read_line(rerun, "{", timeout=120)
			rerun.wait(30)
			if len(confiscations(names)) == N:
				break
			time.sleep(1)
		done = confiscations(names)
		assert sorted(done) == names
		assert all(v == [world.sp["lead_a"]] for v in done.values()), done  # exactly one row each
		rows = frappe.get_all(
			"Sales Opportunity",
			{"name": ("in", names)},
			["sales_person", "previous_sales_person"],
			as_list=True,
		)
		assert set(rows) == {(world.sp["lead_a"], world.sp["rep_a1"])}
		# a third run changes nothing (D4)
		again = start_job()
		read_line(again, "{", timeout=120)
		again.wait(30)
		assert confiscations(names) == done
	finally:
		frappe.db.rollback()
		frappe.db.delete("Opportunity Stage Log", {"opportunity": ("in", names)})
		stage_history.forget(names)
		frappe.db.delete("Notification Log", {"document_name": ("in", names)})
		frappe.db.delete("Sales Opportunity", {"name": ("in", names)})
		frappe.db.commit()
	assert sys.platform.startswith("linux")  # SIGKILL semantics as tested
