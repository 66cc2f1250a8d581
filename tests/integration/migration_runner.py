"""Runs the ERPNext CRM migration in its own process, like the bench command (own connection,
one commit per batch), for tests/integration/test_crm_migration.py.

    python -m tests.integration.migration_runner SITE BATCH_SIZE [--stall-in-batch N]

--stall-in-batch N makes the Nth batch stop after its rows and map rows are written but before its
commit, print "stalled" and sleep: the test kills the process there (a fault injected from
outside; the app's code is unchanged). Prints the result's counts as JSON at the end."""

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
	from sales_process.domain import crm_migration

	if args.stall_in_batch:
		original = crm_migration._write_map
		seen = {"n": 0}

		def stalling_write_map(*a, **kw):
			seen["n"] += 1
			out = original(*a, **kw)
			if seen["n"] == args.stall_in_batch:
				print("stalled", flush=True)
				time.sleep(120)  # killed here
			return out

		crm_migration._write_map = stalling_write_map
	print("ready", flush=True)
	result = crm_migration.migrate(batch_size=args.batch_size)
	print(json.dumps(result["counts"]), flush=True)
	frappe.destroy()


if __name__ == "__main__":
	os.environ.setdefault("PYTHONUNBUFFERED", "1")
	main()
