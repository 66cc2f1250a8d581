"""Stage deadline jobs (D2–D4), registered in hooks.py: thin entry points over
`sales_process.domain.confiscation`, where the rules and their set-based SQL live."""

from sales_process.domain import confiscation, jobs


def send_reminders(commit: bool = True) -> dict:
	"""D2, hourly."""
	return confiscation.send_reminders(commit=commit)


def confiscate_overdue(commit: bool = True, batch_size: int = confiscation.BATCH_SIZE) -> dict:
	"""D3, on the long queue (`enqueue_confiscation`); callable directly."""
	return confiscation.confiscate_overdue(commit=commit, batch_size=batch_size)


def escalate_lost_requests(commit: bool = True) -> dict:
	"""K3, hourly."""
	return confiscation.escalate_lost_requests(commit=commit)


def enqueue_confiscation():
	"""Every 15 minutes: at most one confiscation run queued or running at a time (a run whose worker
	died does not count: `jobs.enqueue_once`)."""
	jobs.enqueue_once(
		"sales_process.scheduled.deadlines.confiscate_overdue", "sales_process:confiscate_overdue"
	)
