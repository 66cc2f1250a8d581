"""Confiscation job (D3/D4) vs a per-document `get_doc` + `save()` loop doing the same change.

Creates N overdue opportunities (bulk insert, seeded), runs the set-based job over all of them,
then undoes everything and runs the naive loop (same change: owner → superior, deadline restart,
a log row and two notifications per opportunity) over a sample of them. Everything happens in
one transaction that is rolled back at the end: the site is left as it was.

    scripts/dev run benchmarks/confiscation.py [--rows 10000] [--loop-rows 1000] [--seed 7]
"""

import argparse
import random
from datetime import timedelta

from benchmarks.common import connect, digest_captured, markdown_table, save_results, timer


def make_overdue(n: int, seed: int):
	import frappe

	from tests.factories import Factory, bulk_opportunities

	random.seed(seed)
	f = Factory(seed=seed)
	leads = [f.sales_person() for _ in range(10)]
	reps = [f.sales_person(parent=lead.name, is_group=False).name for lead in leads for _ in range(5)]
	customers = [f.customer() for _ in range(200)]
	now = frappe.utils.now_datetime()
	rows = []
	for i in range(n):
		due = now - timedelta(hours=random.randint(1, 240))
		rows.append(
			{
				"name": f"BENCH-CONF-{seed}-{i}",
				"customer": random.choice(customers),
				"sales_person": random.choice(reps),
				"stage": "线索确认",
				"stage_entered_at": due - timedelta(days=7),
				"stage_due_at": due,
				"amount": random.randint(1, 100) * 1000,
			}
		)
	bulk_opportunities(rows)
	return [r["name"] for r in rows]


def naive_loop(names: list[str]):
	"""What a straightforward implementation does: one document at a time."""
	import frappe

	from sales_process.domain import hierarchy, opportunity
	from sales_process.domain.deadlines import due_at
	from sales_process.domain.notify import notify_sales_person

	for name in names:
		doc = frappe.get_doc("Sales Opportunity", name)
		old = doc.sales_person
		doc.previous_sales_person = old
		doc.sales_person = hierarchy.superior_of(old)
		doc.stage_due_at = due_at(frappe.utils.now_datetime(), 7)
		doc.flags.sales_process_transition = True
		doc.save(ignore_permissions=True)
		opportunity.write_log(
			name,
			"Confiscate",
			from_stage=doc.stage,
			to_stage=doc.stage,
			from_sales_person=old,
			to_sales_person=doc.sales_person,
		)
		notify_sales_person(old, doc, f"{name} confiscated")
		notify_sales_person(doc.sales_person, doc, f"{name} confiscated to you")


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--rows", type=int, default=10_000)
	parser.add_argument("--loop-rows", type=int, default=1_000, help="sample size for the slow loop")
	parser.add_argument("--seed", type=int, default=7)
	args = parser.parse_args()

	site = connect()
	import frappe

	from sales_process.scheduled.deadlines import confiscate_overdue

	frappe.db.rollback()
	try:
		frappe.db.sql("set session innodb_lock_wait_timeout = 120")
		names = make_overdue(args.rows, args.seed)
		frappe.db.savepoint("bench_start")
		job_t: list[float] = []
		digest_t: list[float] = []
		from sales_process.domain import notify

		with digest_captured() as captured:  # the digest job is run here, timed separately
			with timer(job_t):
				result = confiscate_overdue(commit=False, batch_size=500)
		with timer(digest_t):
			notify.send_digests(captured["subject"], captured["lines"])
		assert result["confiscated"] == args.rows, result
		logs = frappe.db.count(
			"Opportunity Stage Log",
			{"opportunity": ("like", f"BENCH-CONF-{args.seed}-%"), "action": "Confiscate"},
		)
		assert logs == args.rows, logs
		frappe.db.rollback(save_point="bench_start")

		sample = names[: args.loop_rows]
		loop_t: list[float] = []
		with timer(loop_t):
			naive_loop(sample)
		job_rate = args.rows / job_t[0]
		full_rate = args.rows / (job_t[0] + digest_t[0])
		loop_rate = len(sample) / loop_t[0]
		rows = [
			{
				"method": "set-based job (confiscate_overdue)",
				"opportunities": args.rows,
				"seconds": round(job_t[0], 2),
				"per_second": round(job_rate, 1),
			},
			{
				"method": "… plus its digest-email worker job",
				"opportunities": args.rows,
				"seconds": round(job_t[0] + digest_t[0], 2),
				"per_second": round(full_rate, 1),
			},
			{
				"method": "per-document get_doc + save() loop",
				"opportunities": len(sample),
				"seconds": round(loop_t[0], 2),
				"per_second": round(loop_rate, 1),
			},
		]
		ratio = job_rate / loop_rate
		full_ratio = full_rate / loop_rate
		md = markdown_table(rows) + (
			f"\n\nspeed-up (throughput ratio): job **{ratio:.0f}×**, job + digest emails **{full_ratio:.0f}×** "
			f"(target ≥ 50×) — site {site}, seed {args.seed}; the loop also sends one email per notification"
		)
		print(md)
		save_results(
			"confiscation",
			{
				"rows": rows,
				"ratio": round(ratio, 1),
				"ratio_with_emails": round(full_ratio, 1),
				"markdown": md,
				"args": vars(args),
			},
		)
	finally:
		frappe.db.rollback()
		frappe.destroy()


if __name__ == "__main__":
	main()
