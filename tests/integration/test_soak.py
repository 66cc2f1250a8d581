"""Soak and fault harness, short variant (issue 22; docs/reliability.md): ~1,000 actions of a
22-person team through gunicorn with two RQ workers and the scheduler running, in six phases: steady,
gunicorn workers SIGKILLed, Redis restarted, MariaDB crashed and restarted, an RQ worker SIGKILLed
mid-job (confiscation, stale-lead return, care reminders, CRM migration), the scheduler paused over
a missed hour. After each phase every accepted write is stored exactly once, no refused one is
stored, the chains verify, the stage history agrees with the opportunities and the funnel with plain
SQL; no answer was a 5xx other than 503 or carried a traceback. The long variant is
benchmarks/soak.py."""

import os

from tests.integration import soak

TOTAL = int(os.environ.get("SP_SOAK_REQUESTS", "1000"))


def test_a_working_day_with_faults_underneath_loses_and_doubles_nothing(site, tally):
	run, phases = soak.soak(TOTAL, seed=22, overdue=1500, time_limit=600)
	print("\n" + soak.table(run, phases))
	tally("soak actions", len(run.outcomes))
	tally("soak faults injected", sum(1 for p in phases if p["fault"] != "none"))
	assert [p["phase"] for p in phases] == [
		"steady",
		"gunicorn",
		"redis",
		"mariadb",
		"rq_worker",
		"scheduler",
	]
	assert len(run.outcomes) >= TOTAL * 0.9, "the time limit stopped the traffic early"
	assert {p["phase"]: p["problems"] for p in phases} == {p["phase"]: [] for p in phases}
	# the mix really happened: every kind was accepted, and the faults were felt
	accepted = {o.kind for o in run.outcomes if o.status == 200}
	assert accepted == set(soak.MIX), set(soak.MIX) - accepted
	assert sum(1 for o in run.outcomes if o.attempts > 1) > 0, "no request needed a retry"
