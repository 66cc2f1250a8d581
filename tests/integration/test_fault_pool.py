"""Fault (G5): the stale-lead job is SIGKILLed in the middle of its second batch (batch 1 committed,
batch 2's UPDATE, Return rows and notifications written but not committed), then run again, and
again. Every stale lead returns to the pool exactly once, with exactly one Return row and one
notification for its holder; nothing of the killed batch survives."""

import signal
import subprocess
import time
from datetime import timedelta

import frappe
from frappe.utils import add_days, now_datetime

from tests.integration.job_runner import read_line, start

N, BATCH = 12, 4
LEAD, LOG = "Sales Lead", "Sales Lead Log"


def start_job(*args) -> subprocess.Popen:
	return start("pool", BATCH, *args)


def returns(names) -> dict:
	frappe.db.rollback()  # see what the job committed
	out = {}
	for r in frappe.get_all(LOG, {"lead": ("in", names), "action": "Return"}, ["lead", "from_sales_person"]):
		out.setdefault(r.lead, []).append(r.from_sales_person)
	return out


def test_the_stale_job_killed_mid_batch_then_rerun_returns_each_lead_once(world, tally):
	holder = world.sp["rep_b1"]
	names = []
	try:
		for i in range(N):
			doc = frappe.get_doc(
				{"doctype": LEAD, "company_name": f"Stale {world.tag} {i:02d}", "sales_person": holder}
			).insert(ignore_permissions=True)
			names.append(doc.name)
		# the longest-neglected leads on the site, oldest first: the job takes them in this order
		oldest = add_days(now_datetime(), -400)
		for i, name in enumerate(names):
			frappe.db.set_value(
				LEAD, name, "held_since", oldest + timedelta(minutes=i), update_modified=False
			)
		frappe.db.commit()  # the job runs in another process
		assert not frappe.db.exists(
			LEAD, {"name": ("not in", names), "sales_person": ("is", "set"), "held_since": ("<", oldest)}
		)

		proc = start_job("--stall-in-batch", "2")
		try:
			read_line(proc, "stalled")
			deadline = time.monotonic() + 30
			while len(returns(names)) < BATCH and time.monotonic() < deadline:
				time.sleep(0.2)
			assert len(returns(names)) == BATCH  # batch 1 committed, batch 2 not yet
			proc.send_signal(signal.SIGKILL)
			proc.wait(10)
			tally("pool job faults injected")
		finally:
			if proc.poll() is None:
				proc.kill()
		assert sorted(returns(names)) == names[:BATCH]
		held = dict(frappe.get_all(LEAD, {"name": ("in", names)}, ["name", "sales_person"], as_list=True))
		assert {held[n] for n in names[BATCH:]} == {holder}

		for _attempt in range(5):  # until the dead connection's locks are released (bounded)
			rerun = start_job()
			read_line(rerun, "{", timeout=120)
			rerun.wait(30)
			if len(returns(names)) == N:
				break
			time.sleep(1)
		done = returns(names)
		assert sorted(done) == names
		assert all(v == [holder] for v in done.values()), done  # one Return row each
		assert set(frappe.get_all(LEAD, {"name": ("in", names)}, pluck="sales_person")) == {None}
		user = world.users["rep_b1"]
		notes = frappe.get_all(
			"Notification Log", {"document_name": ("in", names), "for_user": user}, pluck="document_name"
		)
		assert sorted(notes) == names  # one each: the killed batch's were rolled back

		again = start_job()  # a third run changes nothing
		assert '"returned": 0' in read_line(again, "{", timeout=120)
		again.wait(30)
		assert returns(names) == done
	finally:
		frappe.db.rollback()
		frappe.db.delete("Notification Log", {"document_name": ("in", names or [""])})
		frappe.db.delete(LOG, {"lead": ("in", names or [""])})
		frappe.db.delete(LEAD, {"name": ("in", names or [""])})
		frappe.db.commit()
