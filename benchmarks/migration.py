"""Migration from ERPNext CRM (M1, M2): N ERPNext Opportunities → Sales Opportunities, rows/s.

Makes the sales team (one rep per customer group of the dataset, as benchmarks/generate.py does:
each customer belongs to one rep, so O2 holds), inserts N ERPNext `Opportunity` rows the way
generate.py's ERPNext mirror does (Customer party, sales_stage, amount, probability, owner and
`_assign`; plain multi-row INSERTs), then times `crm_migration.migrate` over all of them and checks
the counts: every opportunity mapped once as Migrated to a distinct Sales Opportunity that exists
and has exactly one Import log row, none skipped. Everything happens in one transaction that is
rolled back at the end: the site is left as it was.

    scripts/dev run benchmarks/migration.py [--rows 100000] [--batch-size 2000] [--seed 5]
"""

import argparse
import json
import os
import random
import time
from datetime import datetime, timedelta, timezone

from benchmarks.common import connect, markdown_table, save_results

TARGET_ROWS_PER_SECOND = 500
SOURCE_PREFIX = "CRM-OPP-MIG-"


def make_sources(n: int, seed: int) -> tuple[list[str], str]:
	import frappe

	from sales_process.domain.bulk import insert_rows
	from tests.factories import Factory

	random.seed(seed)
	# frappe refuses more than 60 new users a minute (throttle_user_limit); the reps' users may
	frappe.local.conf.throttle_user_limit = 1_000_000
	f = Factory(seed=seed)
	reps = [f.sales_person(is_group=False) for _ in range(20)]
	users = [f.user_of(r.name) for r in reps]
	customers = [(f.customer(), users[i % len(users)]) for i in range(400)]
	stages = frappe.get_all("Sales Process Stage", ["name", "probability", "is_won", "is_lost"])
	for s in stages:
		if not frappe.db.exists("Sales Stage", s.name):
			frappe.get_doc({"doctype": "Sales Stage", "stage_name": s.name}).insert(ignore_permissions=True)
	open_stages = [s for s in stages if not (s.is_won or s.is_lost)]
	company = f.company
	currency = frappe.get_cached_value("Company", company, "default_currency")
	now = frappe.utils.now_datetime()
	tag = frappe.generate_hash(length=5).upper()
	columns = [
		"name", "creation", "modified", "owner", "modified_by", "naming_series", "opportunity_from",
		"party_name", "customer_name", "title", "status", "expected_closing", "currency",
		"conversion_rate", "opportunity_amount", "base_opportunity_amount", "sales_stage", "probability",
		"company", "transaction_date", "opportunity_owner", "_assign",
	]  # fmt: skip
	rows = []
	for i in range(n):
		customer, user = customers[i % len(customers)]
		status = random.choices(("Open", "Converted", "Lost"), (0.7, 0.15, 0.15))[0]
		stage = random.choice(open_stages)
		created = now - timedelta(days=random.randint(1, 700))
		amount = random.randint(1, 500) * 1000
		rows.append(
			(
				f"{SOURCE_PREFIX}{tag}-{i:06d}", created, created, user, user, "CRM-OPP-.YYYY.-", "Customer",
				customer, customer, customer, status, (created + timedelta(days=90)).date(), currency, 1,
				amount, amount, stage.name, stage.probability, company, created.date(), user,
				json.dumps([user]),
			)
		)  # fmt: skip
	insert_rows("Opportunity", columns, rows)
	return [r[0] for r in rows], tag


def mapped_counts(tag: str) -> dict[str, int]:
	"""Each source mapped once as Migrated, to a distinct Sales Opportunity that exists, with
	exactly one Import log row: every count equals the number of sources."""
	import frappe
	from frappe.query_builder.functions import Count

	m, o = frappe.qb.DocType("CRM Migration Map"), frappe.qb.DocType("Sales Opportunity")
	log = frappe.qb.DocType("Opportunity Stage Log")
	mine = (
		(m.source_doctype == "Opportunity")
		& (m.status == "Migrated")
		& m.source_name.like(f"{SOURCE_PREFIX}{tag}-%")
	)
	mapped, targets = (
		frappe.qb.from_(m).select(Count("*"), Count(m.target_name).distinct()).where(mine).run()[0]
	)
	existing = (
		frappe.qb.from_(m).join(o).on(o.name == m.target_name).select(Count("*")).where(mine).run()[0][0]
	)
	logs, logged = (
		frappe.qb.from_(m)
		.join(log)
		.on((log.opportunity == m.target_name) & (log.action == "Import"))
		.select(Count("*"), Count(log.opportunity).distinct())
		.where(mine)
		.run()[0]
	)
	return {
		"sources_mapped": mapped,
		"distinct_targets": targets,
		"targets_existing": existing,
		"import_logs_of_targets": logs,
		"targets_with_an_import_log": logged,
	}


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--rows", type=int, default=100_000)
	parser.add_argument("--batch-size", type=int, default=2000)
	parser.add_argument("--seed", type=int, default=5)
	args = parser.parse_args()
	site = connect()
	import frappe

	from sales_process.domain import crm_migration

	try:
		frappe.db.sql("set session innodb_lock_wait_timeout = 120")
		start = time.perf_counter()
		names, tag = make_sources(args.rows, args.seed)
		made = time.perf_counter() - start
		before = {
			dt: frappe.db.count(dt)
			for dt in ("Sales Opportunity", "Opportunity Stage Log", "CRM Migration Map")
		}
		load_before = os.getloadavg()
		start, cpu = time.perf_counter(), time.process_time()
		report = crm_migration.migrate(batch_size=args.batch_size, commit=False)
		seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
		load_after = os.getloadavg()
		after = {dt: frappe.db.count(dt) for dt in before}
		checks = {
			"sales_opportunities_added": after["Sales Opportunity"] - before["Sales Opportunity"],
			"import_log_rows_added": after["Opportunity Stage Log"] - before["Opportunity Stage Log"],
			"map_rows_added": after["CRM Migration Map"] - before["CRM Migration Map"],
			**mapped_counts(tag),
			"skipped": report["counts"]["skipped"],
		}
		n = len(names)
		ok = checks["skipped"] == 0 and all(v == n for k, v in checks.items() if k != "skipped")
		rate = len(names) / seconds
		row = {
			"rows": len(names),
			"batch size": args.batch_size,
			"seconds": round(seconds, 1),
			"rows/s": round(rate),
			"target rows/s": TARGET_ROWS_PER_SECOND,
			"met": "yes" if rate >= TARGET_ROWS_PER_SECOND and ok else "no",
			"count check": "passed" if ok else f"FAILED {checks}",
		}
		notes = (
			f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {site} ({os.cpu_count()} CPUs; load "
			f"average {load_before[0]:.1f} before and {load_after[0]:.1f} after the migration). "
			f"{n} ERPNext Opportunities (seed {args.seed}) made in {made:.0f} s, then migrated in one "
			f"transaction, rolled back at the end; the migrating process itself used {cpu:.0f} s of CPU "
			f"({cpu / seconds:.0%} of the wall time; the rest is the database and other processes).\n\n"
			"Count check (each must equal the rows): "
			+ ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in checks.items())
			+ "."
		)
		print(markdown_table([row]))
		print(notes)
		save_results(
			"migration",
			{
				"site": site,
				"result": row,
				"checks": checks,
				"counts": report["counts"],
				"source_setup_s": round(made, 1),
				"migrate_cpu_s": round(cpu, 1),
				"load_average": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
				"markdown": "# ERPNext CRM migration (M1, M2)\n\n" + markdown_table([row]) + "\n\n" + notes,
			},
		)
	finally:
		frappe.db.rollback()
		frappe.destroy()


if __name__ == "__main__":
	main()
