"""Deadline arithmetic (PRODUCT.md D1). Pure functions."""

from datetime import datetime, timedelta


def due_at(entered_at: datetime, time_limit_days: int | None) -> datetime | None:
	"""stage_due_at = stage_entered_at + time_limit_days calendar days; no limit → None."""
	if not time_limit_days or time_limit_days <= 0:
		return None
	return entered_at + timedelta(days=int(time_limit_days))


def remind_from(due: datetime, days_before: int) -> datetime:
	"""When the D2 reminder becomes due."""
	return due - timedelta(days=max(int(days_before or 0), 0))


def confiscate_from(due: datetime, grace_hours: int) -> datetime:
	"""When D3 confiscation becomes due."""
	return due + timedelta(hours=max(int(grace_hours or 0), 0))
