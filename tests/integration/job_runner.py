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
