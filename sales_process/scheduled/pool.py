"""The pool's scheduled return of stale leads (G5), registered in hooks.py: a thin entry point over
`sales_process.domain.lead_follow_up`, where the rule and its set-based SQL live."""

from sales_process.domain import lead_follow_up


def return_stale_leads(commit: bool = True, batch_size: int = lead_follow_up.BATCH_SIZE) -> dict:
	return lead_follow_up.return_stale_leads(commit=commit, batch_size=batch_size)
