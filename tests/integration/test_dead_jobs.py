"""A deduplicated job whose worker was SIGKILLed mid-run (issue 22; docs/reliability.md, "An RQ worker
killed mid-job"): Frappe's `enqueue(job_id=…, deduplicate=True)` skips while the job is "started",
and RQ leaves a job started until its timeout passes. `jobs.enqueue_once` (confiscation, the CRM
migration) and `revive_dead_scheduled_jobs` (the app's scheduled jobs) treat a started job whose
heartbeat stopped as dead. A real worker runs a real job here and is killed with its work-horse; the
75 s RQ would take to show the heartbeat stale are skipped by dating the last heartbeat back."""

import datetime
import os
import signal
import subprocess
import time

from rq.job import JobStatus

import frappe
from frappe.utils.background_jobs import get_job

from sales_process.domain import jobs
from tests.conftest import BENCH_DIR

SLEEP = "frappe.utils.background_jobs.test_job"  # Frappe's own: sleeps s seconds
JOB_ID = f"sales_process:test_dead_jobs:{os.getpid()}"


def start_worker() -> subprocess.Popen:
	return subprocess.Popen(
		[
			os.path.join(BENCH_DIR, "env", "bin", "python"),
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"worker",
			"--queue",
			"long",
		],
		cwd=os.path.join(BENCH_DIR, "sites"),
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
		start_new_session=True,
	)


def children(parent: int) -> list[int]:
	from tests.integration.soak import _children

	return _children(parent)


def wait_status(status, timeout=60):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		job = get_job(JOB_ID)
		if job and job.get_status(refresh=True) == status:
			return job
		time.sleep(0.2)
	raise AssertionError(f"the job never became {status}")


def test_a_job_whose_worker_died_is_queued_again_and_a_live_one_is_not():
	worker = start_worker()
	try:
		job = jobs.enqueue_once(SLEEP, JOB_ID, s=120)
		assert job is not None
		job = wait_status(JobStatus.STARTED)
		# alive: its worker renews the heartbeat, so the next enqueue is skipped (one run at a time)
		assert not jobs.is_dead(job)
		assert jobs.enqueue_once(SLEEP, JOB_ID, s=120) is None
		horses = children(worker.pid)
		assert horses, "no work-horse"
		os.killpg(worker.pid, signal.SIGKILL)
		for pid in horses:
			os.kill(pid, signal.SIGKILL)
		worker.wait(10)
		# what RQ leaves behind: still "started", so Frappe's deduplicated enqueue would skip it
		job = get_job(JOB_ID)
		assert job.get_status(refresh=True) == JobStatus.STARTED
		assert frappe.enqueue(SLEEP, queue="long", job_id=JOB_ID, deduplicate=True, s=1) is None
		# 76 s later, as far as the heartbeat is concerned
		stale = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - jobs.STALE_AFTER
		job.heartbeat(stale - datetime.timedelta(seconds=1), ttl=600)
		assert jobs.is_dead(get_job(JOB_ID))
		again = jobs.enqueue_once(SLEEP, JOB_ID, s=1)
		assert again is not None, "the dead run still blocked the job"
		assert get_job(JOB_ID).get_status(refresh=True) == JobStatus.QUEUED
	finally:
		if worker.poll() is None:
			os.killpg(worker.pid, signal.SIGKILL)
		job = get_job(JOB_ID)
		if job:
			job.delete()


def test_the_scheduled_jobs_are_revived_by_their_scheduler_id(monkeypatch):
	"""`revive_dead_scheduled_jobs` looks at every scheduler entry of the app's hooks, by the id
	Frappe's scheduler gives its runs (`scheduled_job::<method>`)."""
	looked = []
	monkeypatch.setattr(jobs, "clear_if_dead", lambda job_id: looked.append(job_id) or False)
	assert jobs.revive_dead_scheduled_jobs() == []
	assert "scheduled_job::sales_process.scheduled.pool.return_stale_leads" in looked
	assert "scheduled_job::sales_process.scheduled.care.send_care_reminders" in looked
	assert "scheduled_job::sales_process.scheduled.deadlines.enqueue_confiscation" in looked
