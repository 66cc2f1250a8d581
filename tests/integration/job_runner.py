"""Runs one of the app's batch jobs in its own process, the way the scheduler or the bench command
would (own connection, a commit per batch), for the fault and race tests.

    python tests/integration/job_runner.py SITE BATCH_SIZE [--job confiscation|pool|migration]
        [--go-on-stdin] [--stall-in-batch N]

Prints "ready" once connected; with --go-on-stdin it then waits for a line on stdin before running
(so a test can start it at the same moment as a request). --stall-in-batch N makes batch N stop
after its rows are written but before its commit, print "stalled" and sleep: the test kills the
process there (a fault injected from outside; the app's code is unchanged). Prints the job's
result as JSON at the end."""

import argparse
import json
import os
import subprocess
import sys
import time

import frappe


def _jobs():
	"""job → (module, the per-batch write the stall wraps, run(batch_size) → printed result)."""
	from sales_process.domain import confiscation, crm_migration, lead_follow_up
	from sales_process.scheduled import deadlines, pool

	return {
		"confiscation": (
			confiscation,
			"_apply",
			lambda size: deadlines.confiscate_overdue(batch_size=size),
		),
		"pool": (lead_follow_up, "_apply", lambda size: pool.return_stale_leads(batch_size=size)),
		"migration": (
			crm_migration,
			"_write_map",
			lambda size: crm_migration.migrate(batch_size=size)["counts"],
		),
	}


def start(job: str, batch_size: int, *args: str) -> subprocess.Popen:
	"""For tests: this runner for `job` on the test site, in a process of its own."""
	from tests.conftest import BENCH_DIR, TEST_SITE

	python = os.path.join(BENCH_DIR, "env", "bin", "python")
	return subprocess.Popen(
		[python, os.path.abspath(__file__), TEST_SITE, str(batch_size), "--job", job, *args],
		cwd=os.path.join(BENCH_DIR, "sites"),
		stdin=subprocess.PIPE,
		stdout=subprocess.PIPE,
		stderr=subprocess.DEVNULL,
		text=True,
	)


def read_line(proc, want: str, timeout: float = 60) -> str:
	"""For tests: the runner's next line that is `want` ("{": its JSON result)."""
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		line = proc.stdout.readline()
		if not line and proc.poll() is not None:
			break
		if line.strip() == want or (want == "{" and line.startswith("{")):
			return line.strip()
	raise AssertionError(f"the job never printed {want!r} (exit {proc.poll()})")


def main():
	p = argparse.ArgumentParser()
	p.add_argument("site")
	p.add_argument("batch_size", type=int)
	p.add_argument("--job", choices=["confiscation", "pool", "migration"], default="confiscation")
	p.add_argument("--go-on-stdin", action="store_true")
	p.add_argument("--stall-in-batch", type=int, default=0)
	args = p.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	module, write, run = _jobs()[args.job]

	if args.stall_in_batch:
		original = getattr(module, write)
		seen = {"n": 0}

		def stalling(*a, **kw):
			seen["n"] += 1
			out = original(*a, **kw)
			if seen["n"] == args.stall_in_batch:
				print("stalled", flush=True)
				time.sleep(120)  # killed here
			return out

		setattr(module, write, stalling)
	print("ready", flush=True)
	if args.go_on_stdin:
		sys.stdin.readline()
	print(json.dumps(run(args.batch_size)), flush=True)
	frappe.destroy()


if __name__ == "__main__":
	os.environ.setdefault("PYTHONUNBUFFERED", "1")
	main()
