"""Runs the stale-lead job in its own process, the way the scheduler would (own connection, commits
per batch), for tests/integration/test_fault_pool.py.

    python tests/integration/pool_job_runner.py SITE BATCH_SIZE [--stall-in-batch N]

Prints "ready" once connected, then the job's result as JSON. --stall-in-batch N makes batch N stop
after its UPDATE, log rows and notifications are written but before its commit, prints "stalled"
and sleeps: the test kills the process there (a fault injected from outside; the app's code is
unchanged)."""

import argparse
import json
import os
import time

import frappe


def main():
	p = argparse.ArgumentParser()
	p.add_argument("site")
	p.add_argument("batch_size", type=int)
	p.add_argument("--stall-in-batch", type=int, default=0)
	args = p.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from sales_process.domain import lead_follow_up
	from sales_process.scheduled import pool

	if args.stall_in_batch:
		original = lead_follow_up._apply
		seen = {"n": 0}

		def stalling_apply(*a, **kw):
			seen["n"] += 1
			out = original(*a, **kw)
			if seen["n"] == args.stall_in_batch:
				print("stalled", flush=True)
				time.sleep(120)  # killed here
			return out

		lead_follow_up._apply = stalling_apply
	print("ready", flush=True)
	result = pool.return_stale_leads(batch_size=args.batch_size)
	print(json.dumps(result), flush=True)
	frappe.destroy()


if __name__ == "__main__":
	os.environ.setdefault("PYTHONUNBUFFERED", "1")
	main()
