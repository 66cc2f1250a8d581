"""Migration from ERPNext CRM (M1, M2): N ERPNext Opportunities → Sales Opportunities, rows/s.

Makes the sales team (one rep per customer group of the dataset, as benchmarks/generate.py does:
each customer belongs to one rep, so O2 holds), bulk-inserts N ERPNext `Opportunity` rows the way
generate.py's ERPNext mirror does (Customer party, sales_stage, amount, probability, owner and
`_assign`), then times `crm_migration.migrate` over all of them and checks the counts: every
opportunity migrated, mapped and logged exactly once, none skipped. Everything happens in one
transaction that is rolled back at the end: the site is left as it was.

    scripts/dev run benchmarks/migration.py [--rows 100000] [--batch-size 2000] [--seed 5]
"""

import argparse
import json
import random
import time
from datetime import timedelta

from benchmarks.common import connect, markdown_table, save_results

TARGET_ROWS_PER_SECOND = 500


def make_sources(n: int, seed: int) -> tuple[list[str], str]:
	import frappe

	from tests.factories import Factory

	random.seed(seed)
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
				f"CRM-OPP-MIG-{tag}-{i:06d}", created, created, user, user, "CRM-OPP-.YYYY.-", "Customer",
				customer, customer, customer, status, (created + timedelta(days=90)).date(), currency, 1,
				amount, amount, stage.name, stage.probability, company, created.date(), user,
				json.dumps([user]),
			)
		)  # fmt: skip
	frappe.db.bulk_insert("Opportunity", columns, rows, chunk_size=5000)
	return [r[0] for r in rows], tag


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
		names, _tag = make_sources(args.rows, args.seed)
		made = time.perf_counter() - start
		before = {
			dt: frappe.db.count(dt)
			for dt in ("Sales Opportunity", "Opportunity Stage Log", "CRM Migration Map")
		}
		start = time.perf_counter()
		report = crm_migration.migrate(batch_size=args.batch_size, commit=False)
		seconds = time.perf_counter() - start
		after = {dt: frappe.db.count(dt) for dt in before}
		m = frappe.qb.DocType("CRM Migration Map")
		mapped = (
			frappe.qb.from_(m)
			.select(frappe.query_builder.functions.Count(m.target_name).distinct())
			.where((m.source_doctype == "Opportunity") & (m.status == "Migrated") & m.source_name.isin(names))
			.run()[0][0]
		)
		checks = {
			"sales_opportunities_added": after["Sales Opportunity"] - before["Sales Opportunity"],
			"import_log_rows_added": after["Opportunity Stage Log"] - before["Opportunity Stage Log"],
			"sources_mapped_to_distinct_targets": mapped,
			"skipped": report["counts"]["skipped"],
		}
		ok = (
			checks["sales_opportunities_added"]
			== checks["import_log_rows_added"]
			== checks["sources_mapped_to_distinct_targets"]
			== len(names)
			and checks["skipped"] == 0
		)
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
		print(f"site {site}; {len(names)} ERPNext opportunities made in {made:.1f} s")
		print(markdown_table([row]))
		save_results(
			"migration",
			{
				"site": site,
				"result": row,
				"checks": checks,
				"counts": report["counts"],
				"source_setup_s": round(made, 1),
				"markdown": "# ERPNext CRM migration (M1, M2)\n\n" + markdown_table([row]),
			},
		)
	finally:
		frappe.db.rollback()
		frappe.destroy()


if __name__ == "__main__":
	main()
