"""Lead benchmarks (G5): `claim_lead` through REST vs plain ToDo inserts through the same server, and
`return_stale_leads` on 10k stale leads vs a per-document loop.

    SP_BENCH_SITE=<site> scripts/dev run benchmarks/leads.py [--stale 10000] [--loop-rows 300]
        [--rest-requests 40] [--rest-rounds 2] [--seed 7]

1. The stale-lead job: N held leads without contact for 60 days (bulk insert, seeded), the job over
   all of them (its digest-email worker job timed apart), then — rolled back to before the job each
   time — over a sample, the per-document loop the target is set against (get_doc + save(), as in
   benchmarks/confiscation.py, a Return log row and a notification per lead), and for reference the
   app's own single-lead path (lead.transition, no save()). One transaction, rolled back: the site
   is left as it was.
2. REST: gunicorn with 2 workers on 127.0.0.1 (the tests' Server), 4 salespeople as concurrent
   clients, each claiming its own pool leads; ToDo inserts by the same clients, rounds interleaved.
   The people and leads are committed (the server has its own connections) and removed afterwards;
   the hold limit is raised for the run and restored.

Writes benchmarks/results/leads.{json,md}.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta

if __package__ in (None, ""):
	sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import connect, digest_captured, markdown_table, save_results

TARGETS = {"stale": 50.0, "rest_ratio": 0.80}
LEAD_COLUMNS = [
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"naming_series",
	"company_name",
	"lead_name",
	"source",
	"status",
	"sales_person",
	"pool",
	"held_since",
	"score",
]


def say(*parts):
	print(time.strftime("%H:%M:%S"), *parts, flush=True)


def verdict(ok: bool) -> str:
	return "PASS" if ok else "**MISS**"


def bulk_leads(names: list[str], holders: list[str | None], held_since, pool: str):
	import frappe

	now = frappe.utils.now_datetime()
	rows = [
		(name, now, now, "Administrator", "Administrator", "SLEAD-.YYYY.-", f"Bench lead {name}", None, "Other",
		 "New", holder, pool, held_since if holder else None, 0)
		for name, holder in zip(names, holders, strict=True)
	]  # fmt: skip
	for start in range(0, len(rows), 2000):
		frappe.db.bulk_insert("Sales Lead", LEAD_COLUMNS, rows[start : start + 2000])


def make_people(tag: str) -> dict:
	"""A team (group + 4 salespeople with users), committed."""
	import frappe

	from sales_process.setup.org import default_company, make_person

	company = default_company()
	head = make_person(f"BENCH LEADS {tag}", f"bench-leads-{tag}@bench.example.com", company, is_group=True)
	reps = [
		make_person(
			f"BENCH LEADS {tag} rep {i}",
			f"bench-leads-{tag}-{i}@bench.example.com",
			company,
			parent=head.name,
		)
		for i in range(4)
	]
	frappe.db.commit()
	return {
		"head": head.name,
		"reps": [r.name for r in reps],
		"employees": [p.employee for p in [*reps, head]],
		"users": [f"bench-leads-{tag}-{i}@bench.example.com" for i in range(4)]
		+ [f"bench-leads-{tag}@bench.example.com"],
	}


def save_loop(names: list[str]):
	"""What a straightforward job does, as the confiscation benchmark's loop does: one lead at a
	time, loaded, changed and saved with `save()` (the lead's guard, which refuses a form or REST
	edit of the holder, skipped with `ignore_validate`, an in-process flag), its log row and a
	notification to its holder."""
	import frappe

	from sales_process.domain import lead
	from sales_process.domain.notify import notify_sales_person

	for name in names:
		doc = frappe.get_doc("Sales Lead", name, for_update=True)
		old = doc.sales_person
		doc.sales_person, doc.held_since = None, None
		doc.flags.ignore_validate = True
		doc.save(ignore_permissions=True)
		lead.write_log(name, "Return", from_sp=old, reason="No contact for 14 days.", pool=doc.pool)
		notify_sales_person(old, doc, f"Lead {name} returned to the pool")


def transition_loop(names: list[str]):
	"""The same change through the app's own single-lead path (lead.transition: one UPDATE of the
	protected fields and its log row, no save()) and a notification: the cheapest per-lead loop."""
	import frappe

	from sales_process.domain import lead
	from sales_process.domain.notify import notify_sales_person

	for name in names:
		doc = frappe.get_doc("Sales Lead", name, for_update=True)
		old = doc.sales_person
		lead.transition(doc, "Return", {"sales_person": None, "held_since": None}, "No contact for 14 days.")
		notify_sales_person(old, doc, f"Lead {name} returned to the pool")


def stale(rows_n: int, loop_n: int, seed: int, people: dict) -> list[dict]:
	import frappe

	from sales_process.domain import notify
	from sales_process.domain.lead import default_pool
	from sales_process.scheduled.pool import return_stale_leads

	rng = random.Random(seed)
	frappe.db.rollback()
	try:
		frappe.db.sql("set session innodb_lock_wait_timeout = 120")
		names = [f"SLEAD-BENCH-STALE-{seed}-{i}" for i in range(rows_n)]
		held = frappe.utils.now_datetime() - timedelta(days=60)
		bulk_leads(names, [rng.choice(people["reps"]) for _ in names], held, default_pool())
		frappe.db.savepoint("bench_start")
		with digest_captured() as captured:
			t0 = time.perf_counter()
			result = return_stale_leads(commit=False)
			job = time.perf_counter() - t0
		t0 = time.perf_counter()
		notify.send_digests(captured["subject"], captured["lines"])
		digest = time.perf_counter() - t0
		assert result["returned"] >= rows_n, result
		returned = frappe.db.count(
			"Sales Lead Log", {"lead": ("like", f"SLEAD-BENCH-STALE-{seed}-%"), "action": "Return"}
		)
		assert returned == rows_n, returned
		frappe.db.rollback(save_point="bench_start")
		sample = names[:loop_n]
		t0 = time.perf_counter()
		save_loop(sample)
		loop = time.perf_counter() - t0
		frappe.db.rollback(save_point="bench_start")
		t0 = time.perf_counter()
		transition_loop(sample)
		light = time.perf_counter() - t0
	finally:
		frappe.db.rollback()
	job_rate, full_rate, loop_rate = rows_n / job, rows_n / (job + digest), loop_n / loop
	light_rate = loop_n / light

	def row(measurement, seconds, ratio, target="", result=""):
		return {
			"measurement": measurement,
			"seconds": round(seconds, 2),
			"ratio": ratio,
			"target": target,
			"result": result,
		}

	return [
		row(
			f"return_stale_leads, {rows_n:,} stale leads (job)",
			job,
			f"{job_rate:,.0f}/s = {job_rate / loop_rate:.0f}× the loop",
			"≥ 50×",
			verdict(job_rate / loop_rate >= TARGETS["stale"]),
		),
		row(
			"… job + its digest-email worker job",
			job + digest,
			f"{full_rate:,.0f}/s = {full_rate / loop_rate:.0f}× the loop",
			"≥ 50×",
			verdict(full_rate / loop_rate >= TARGETS["stale"]),
		),
		row(
			f"per-document loop (get_doc + save() + log row + notify), {loop_n} of them",
			loop,
			f"{loop_rate:,.1f}/s",
		),
		row(
			f"… the app's own single-lead path (get_doc + lead.transition + notify), {loop_n} of them",
			light,
			f"{light_rate:,.1f}/s; the job = {job_rate / light_rate:.0f}× this",
		),
	]


def rest(site: str, people: dict, per_client: int, rounds: int, tag: str) -> list[dict]:
	import frappe

	from benchmarks.run import api_keys, interleaved, require_baseline, todo_request
	from sales_process.domain.lead import default_pool
	from tests.integration.rest import Server

	users = people["users"][:4]
	auth = api_keys(users)
	warmup = 5
	per_rep = warmup + per_client * rounds
	names = {i: [f"SLEAD-BENCH-CLAIM-{tag}-{i}-{n}" for n in range(per_rep)] for i in range(4)}
	bulk_leads([n for i in range(4) for n in names[i]], [None] * (4 * per_rep), None, default_pool())
	frappe.db.commit()
	queues = {i: iter(names[i]) for i in range(4)}
	clients = [(auth[u], i) for i, u in enumerate(users)]

	todo = todo_request(f"bench-leads {tag}", users)

	def claim(_index, _n, source):
		return "POST", "/api/method/sales_process.api.lead.claim_lead", {"name": next(queues[source])}

	server = Server(site=site, name="benchmark-leads")
	say(f"  gunicorn up on {server.base} (2 workers)")
	try:
		merged = interleaved(server, clients, per_client, rounds, {"ToDo": todo, "claim_lead": claim}, warmup)
	finally:
		server.stop()
		say("  gunicorn stopped")
	frappe.db.rollback()
	claimed = frappe.db.count(
		"Sales Lead Log", {"lead": ("like", f"SLEAD-BENCH-CLAIM-{tag}-%"), "action": "Claim"}
	)

	todo_m, claim_m = merged["ToDo"], merged["claim_lead"]
	require_baseline(todo_m)
	ratio = claim_m["per_second"] / todo_m["per_second"]
	assert claimed == 4 * per_rep, (claimed, claim_m["error_samples"])
	return [
		{
			"measurement": f"REST claim_lead (2 workers, 4 clients, {claim_m['requests']} requests)",
			"seconds": round(claim_m["seconds"], 2),
			"ratio": f"{claim_m['per_second']:.1f}/s = {100 * ratio:.0f}% of ToDo; p50 {claim_m['p50_ms']:.0f} ms, "
			f"p99 {claim_m['p99_ms']:.0f} ms",
			"target": "≥ 80% of ToDo",
			"result": verdict(ratio >= TARGETS["rest_ratio"] and not claim_m["errors"])
			+ (f" ({claim_m['errors']} errors)" if claim_m["errors"] else ""),
		},
		{
			"measurement": f"REST ToDo insert (same server, {todo_m['requests']} requests)",
			"seconds": round(todo_m["seconds"], 2),
			"ratio": f"{todo_m['per_second']:.1f}/s; p50 {todo_m['p50_ms']:.0f} ms, p99 {todo_m['p99_ms']:.0f} ms",
			"target": "",
			"result": "",
		},
	]


def cleanup(people: dict, tag: str):
	import frappe

	from tests.integration.world import remove_committed

	frappe.db.rollback()
	leads = frappe.get_all("Sales Lead", {"name": ("like", f"SLEAD-BENCH-CLAIM-{tag}-%")}, pluck="name")
	for start in range(0, len(leads), 500):
		chunk = leads[start : start + 500]
		frappe.db.delete("Sales Lead Log", {"lead": ("in", chunk)})
		frappe.db.delete("Version", {"ref_doctype": "Sales Lead", "docname": ("in", chunk)})
		frappe.db.delete("Sales Lead", {"name": ("in", chunk)})
	frappe.db.delete("ToDo", {"description": ("like", f"bench-leads {tag} %")})
	frappe.db.commit()
	remove_committed([], people["reps"][::-1] + [people["head"]], people["employees"], people["users"])


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--stale", type=int, default=10_000)
	parser.add_argument("--loop-rows", type=int, default=300, help="sample size for the slow save() loop")
	parser.add_argument("--rest-requests", type=int, default=40, help="per client and round")
	parser.add_argument("--rest-rounds", type=int, default=2)
	parser.add_argument("--seed", type=int, default=7)
	parser.add_argument("--skip", nargs="*", default=[], choices=["stale", "rest"])
	args = parser.parse_args()

	site = connect()
	import frappe

	from sales_process.domain.settings import get_settings

	tag = frappe.generate_hash(length=6)
	limit = get_settings().lead_hold_limit
	people = make_people(tag)
	rows = []
	try:
		if "stale" not in args.skip:
			say("return_stale_leads …")
			rows += stale(args.stale, args.loop_rows, args.seed, people)
		if "rest" not in args.skip:
			say("REST claim_lead …")
			# each client claims up to warm-up + requests × rounds leads: above the hold limit
			frappe.db.set_single_value("Sales Process Settings", "lead_hold_limit", 100_000)
			frappe.db.commit()
			rows += rest(site, people, args.rest_requests, args.rest_rounds, tag)
	finally:
		frappe.db.rollback()
		frappe.db.set_single_value("Sales Process Settings", "lead_hold_limit", limit)
		frappe.db.commit()
		cleanup(people, tag)
		frappe.destroy()
	counts = f"{os.cpu_count()} CPUs shared with other work"
	md = markdown_table(rows) + f"\n\n- Site `{site}`, seed {args.seed}; {counts}; one run of each."
	print()
	print(md)
	save_results("leads", {"rows": rows, "args": vars(args), "site": site, "markdown": md})


if __name__ == "__main__":
	main()
