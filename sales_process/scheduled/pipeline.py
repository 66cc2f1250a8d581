"""The daily pipeline snapshot (K7), registered in hooks.py: a thin entry point over
`sales_process.domain.pipeline_snapshot`."""

from sales_process.domain import pipeline_snapshot


def take_snapshot(commit: bool = True) -> dict:
	"""Once a day on the long queue: today's rows, replacing any taken earlier today."""
	return pipeline_snapshot.take(commit=commit)
