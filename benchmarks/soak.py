"""The soak and fault harness, long variant (issue 22; docs/reliability.md): ≥ 10,000 actions of a
22-person team in six phases (steady; gunicorn workers SIGKILLed; Redis restarted; MariaDB crashed
and restarted; an RQ worker SIGKILLed mid-job in each of the four batch jobs; the scheduler paused
over a missed hour), each followed by the end-of-run checks. One command, on the test site (loopback only):

    scripts/dev run benchmarks/soak.py [--requests 10000] [--seed 22]

Prints the table and writes benchmarks/results/soak.md; exits 1 if any check failed. The short
variant (~1,000 actions) is tests/integration/test_soak.py, in every test run."""

import argparse
import os
import signal
import sys
import time

if __package__ in (None, ""):
	sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import connect


def main():
	p = argparse.ArgumentParser()
	p.add_argument("--requests", type=int, default=10000)
	p.add_argument("--seed", type=int, default=22)
	p.add_argument("--overdue", type=int, default=3000)
	args = p.parse_args()
	# stopped from outside: still stop the processes, remove the team, put the scheduler back
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
	from tests.conftest import TEST_SITE

	connect(TEST_SITE)
	from tests.integration import soak

	t0 = time.monotonic()
	run, phases = soak.soak(args.requests, seed=args.seed, overdue=args.overdue, time_limit=3600)
	elapsed = time.monotonic() - t0
	text = "\n".join(
		[
			"# Soak and fault harness, long variant",
			"",
			f"`scripts/dev run benchmarks/soak.py --requests {args.requests} --seed {args.seed}`: "
			f"{len(run.outcomes)} actions by {len(run.team.sp)} people in {elapsed / 60:.1f} min, "
			f"gunicorn with 3 workers behind sales_process.wsgi, RQ workers for short+default and for long+default+short, "
			"the scheduler ticking "
			"every 2 s. What each phase proves: docs/reliability.md.",
			"",
			soak.table(run, phases),
			"",
		]
	)
	print(text)
	out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "soak.md")
	with open(out, "w") as f:
		f.write(text)
	sys.exit(1 if any(p["problems"] for p in phases) else 0)


if __name__ == "__main__":
	main()
