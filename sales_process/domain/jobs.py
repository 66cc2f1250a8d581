"""One queued-or-running run of each of the app's deduplicated background jobs, surviving a worker
that died mid-job (docs/reliability.md, "An RQ worker killed mid-job").

Frappe's `enqueue(..., job_id=…, deduplicate=True)` skips the enqueue while the job's status is
queued or started. A worker killed with SIGKILL (the OOM killer taking the whole group, a host
reboot, `kill -9` of the supervisor's group) never moves its job out of "started": RQ only does so
once the job's timeout has passed and a worker's maintenance runs, 25 minutes and more for the long
queue. Until then every deduplicated enqueue was skipped and, for confiscation, overdue stages
stayed with their owners. A started job whose heartbeat has stopped (a live worker renews it every
`DEFAULT_JOB_MONITORING_INTERVAL`, 30 s) is dead: it is marked failed and the run is queued again.
The jobs themselves are idempotent (each batch re-reads what is still due), so the second run
finishes the first one's work exactly once."""

import datetime

from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

import frappe
from frappe.utils.background_jobs import get_job

# two missed heartbeats and a margin: a live worker cannot look dead
STALE_AFTER = datetime.timedelta(seconds=2 * DEFAULT_JOB_MONITORING_INTERVAL + 15)


def enqueue_once(method: str, job_id: str, queue: str = "long", **kwargs):
	"""`frappe.enqueue(method, job_id=job_id, deduplicate=True)`, after clearing a dead run."""
	clear_if_dead(job_id)
	return frappe.enqueue(method, queue=queue, job_id=job_id, deduplicate=True, **kwargs)


def is_dead(job, now: datetime.datetime | None = None) -> bool:
	"""A started job whose worker stopped renewing its heartbeat."""
	if job is None or job.get_status(refresh=True) != JobStatus.STARTED:
		return False
	beat = job.last_heartbeat or job.started_at
	if beat is None:
		return False
	now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
	return now - beat.replace(tzinfo=None) > STALE_AFTER


def clear_if_dead(job_id: str) -> bool:
	"""Marks a dead run of `job_id` failed (out of the started registry); True if it was dead."""
	job = get_job(job_id)
	if not is_dead(job):
		return False
	StartedJobRegistry(job.origin, connection=job.connection).remove(job)
	job.set_status(JobStatus.FAILED)
	frappe.logger("sales_process").warning(f"job {job_id}: its worker died mid-run; queued again")
	return True


def revive_dead_scheduled_jobs() -> list[str]:
	"""Frappe's scheduler skips a Scheduled Job Type while its run `scheduled_job::<method>` is
	queued or started, so a worker killed mid-run blocks the app's hourly and daily jobs just the
	same (stale-lead return, care reminders, the pipeline snapshot). Every scheduler tick: clear the
	dead runs of the app's own scheduled jobs, so they are enqueued again when next due."""
	from sales_process import hooks

	methods = []
	for entry in hooks.scheduler_events.values():
		for value in entry.values() if isinstance(entry, dict) else [entry]:
			methods += value if isinstance(value, list) else [value]
	return [m for m in methods if clear_if_dead(f"scheduled_job::{m}")]
