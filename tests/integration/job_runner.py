"""Runs the confiscation job in its own process, the way the scheduler would (own connection,
commits per batch), for tests/integration/test_races.py and test_fault_confiscation.py.

    python -m tests.integration.job_runner SITE BATCH_SIZE [--go-on-stdin] [--stall-in-batch N]

Prints "ready" once connected; with --go-on-stdin it then waits for a line on stdin before running
(so a test can start it at the same moment as a request). --stall-in-batch N makes batch N stop
after its UPDATE and log rows are written but before its commit, prints "stalled" and sleeps: the
test kills the process there (a fault injected from outside; the app's code is unchanged)."""

import argparse
import json
import os
import sys
import time

import frappe


def main():
	p = argparse.ArgumentParser()
	p.add_argument("site")
	p.add_argument("batch_size", type=int)
	p.add_argument("--go-on-stdin", action="store_true")
	p.add_argument("--stall-in-batch", type=int, default=0)
	args = p.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from sales_process.domain import confiscation
	from sales_process.scheduled import deadlines

	if args.stall_in_batch:
		original = confiscation._apply
		seen = {"n": 0}

		def stalling_apply(*a, **kw):
			seen["n"] += 1
			out = original(*a, **kw)
			if seen["n"] == args.stall_in_batch:
				print("stalled", flush=True)
				time.sleep(120)  # killed here
			return out

		confiscation._apply = stalling_apply
	print("ready", flush=True)
	if args.go_on_stdin:
		sys.stdin.readline()
	result = deadlines.confiscate_overdue(batch_size=args.batch_size)
	print(json.dumps(result), flush=True)
	frappe.destroy()


if __name__ == "__main__":
	os.environ.setdefault("PYTHONUNBUFFERED", "1")
	main()
