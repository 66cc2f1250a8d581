"""Counts for the security and reliability suite (issue #11), printed at the end of the session.

Tests add to `COUNTS` through the `tally` fixture (or `count()` directly); the conftest imports
`pytest_terminal_summary` from here so the summary is printed whenever any of those tests ran."""

from collections import Counter

COUNTS: Counter = Counter()

ORDER = (
	"permissions checked",
	"immutability attacks",
	"payloads tried",
	"races run",
	"requests sent",
	"requests accepted",
	"accepted rows stored",
	"rejected rows stored",
	"confiscation faults injected",
)


def count(key: str, n: int = 1) -> None:
	COUNTS[key] += n


def pytest_terminal_summary(terminalreporter, exitstatus, config):
	if not COUNTS:
		return
	terminalreporter.section("security and reliability suite")
	for key in (*ORDER, *sorted(set(COUNTS) - set(ORDER))):
		if key in COUNTS:
			terminalreporter.write_line(f"{key:<32} {COUNTS[key]}")
