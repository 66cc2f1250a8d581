"""Daily-log benchmark (L1–L3): `add_log` through REST vs plain ToDo inserts through the same server,
and a profile of one `add_log` in-process.

    SP_BENCH_SITE=<site> scripts/dev run benchmarks/daily_logs.py [--rest-requests 40]
        [--rest-rounds 3] [--profile-runs 50] [--skip profile rest] [--seed 7]

1. Profile (in-process, rolled back): a salesperson files entries with `add_log` as a request would
   (the request-level caches are dropped before each call), and plain ToDo inserts for comparison.
   Prints the median time of each and the SQL statements of one `add_log` in order, with their
   time, counted through a wrapper of `frappe.db.sql` installed by this script only; then the
   functions where the time goes (cProfile, cumulative).
2. REST: gunicorn with 2 workers on 127.0.0.1 (the tests' Server), 4 salespeople as concurrent
   clients, each filing entries on its own customer (one activity, 1 minute, a note); ToDo inserts
   by the same clients, rounds interleaved, as `benchmarks/leads.py` measures `claim_lead`. The
   people and customers are committed (the server has its own connections) and removed afterwards
   with their entries.

Writes benchmarks/results/daily_logs.{json,md}.
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time

if __package__ in (None, ""):
	sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import connect, markdown_table, save_results

TARGETS = {"rest_ratio": 0.80, "rest_p99_ms": 250}
ACTIVITY = "电话沟通"


def say(*parts):
	print(time.strftime("%H:%M:%S"), *parts, flush=True)


def verdict(ok: bool) -> str:
	return "PASS" if ok else "**MISS**"


def make_people(tag: str) -> dict:
	"""A team (group + 4 salespeople with users) and a customer for each salesperson, committed."""
	import frappe

	from sales_process.setup.org import default_company, make_person

	company = default_company()
	head = make_person(f"BENCH LOGS {tag}", f"bench-logs-{tag}@bench.example.com", company, is_group=True)
	reps = [
		make_person(
			f"BENCH LOGS {tag} rep {i}", f"bench-logs-{tag}-{i}@bench.example.com", company, parent=head.name
		)
		for i in range(4)
	]
	customers = [
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"Bench logs {tag} customer {i}",
				"customer_type": "Company",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
			}
		)
		.insert(ignore_permissions=True)
		.name
		for i in range(4)
	]
	frappe.db.commit()
	return {
		"head": head.name,
		"reps": [r.name for r in reps],
		"employees": [p.employee for p in [*reps, head]],
		"users": [f"bench-logs-{tag}-{i}@bench.example.com" for i in range(4)]
		+ [f"bench-logs-{tag}@bench.example.com"],
		"customers": customers,
	}


def entry(customer: str, note: str) -> dict:
	return {"customer": customer, "activities": [ACTIVITY], "minutes": 1, "cost": 0, "note": note}


# --- 1. profile ---------------------------------------------------------------------------------------


def as_request(user: str):
	"""What a new request starts from: the user set afresh and Frappe's request-level caches empty
	(the site cache in Redis stays, as it does between requests)."""
	import frappe

	frappe.set_user(user)
	frappe.local.request_cache.clear()
	frappe.db.value_cache.clear()


def caller() -> str:
	"""Where a statement or Redis command comes from: the innermost frames of the app and of
	Frappe's model/permission code, skipping the database and cache plumbing."""
	import traceback

	plumbing = ("/database/", "/query_builder/", "redis_wrapper", "/redis/", "pymysql", "daily_logs.py")
	frames = [f for f in traceback.extract_stack() if not any(p in f.filename for p in plumbing)]
	return " < ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.name}" for f in frames[-3:][::-1])


class RoundTrips:
	"""Wraps frappe.db.sql and frappe.cache's execute_command of this process (this script only) to
	list every SQL statement and Redis command, their time and caller."""

	def __init__(self):
		import frappe

		self.db, self.cache = frappe.db, frappe.cache
		self.real_sql, self.real_redis = frappe.db.sql, frappe.cache.execute_command
		self.statements, self.redis = [], []

	def __enter__(self):
		def sql(query, *args, **kwargs):
			t0 = time.perf_counter()
			try:
				return self.real_sql(query, *args, **kwargs)
			finally:
				ms = 1000 * (time.perf_counter() - t0)
				self.statements.append((ms, " ".join(str(query).split()), caller()))

		def redis(*args, **kwargs):
			t0 = time.perf_counter()
			try:
				return self.real_redis(*args, **kwargs)
			finally:
				ms = 1000 * (time.perf_counter() - t0)
				self.redis.append((ms, " ".join(str(a) for a in args[:2]), caller()))

		self.db.sql, self.cache.execute_command = sql, redis
		return self

	def __exit__(self, *exc):
		# the instance attributes shadowed the methods
		del self.db.sql
		del self.cache.execute_command

	def lines(self) -> list[str]:
		return [f"SQL   {t:.2f} ms  {q[:160]}  ← {c}" for t, q, c in self.statements] + [
			f"Redis {t:.2f} ms  {q[:100]}  ← {c}" for t, q, c in self.redis
		]


def profile(people: dict, runs: int, seed: int) -> tuple[list[dict], dict]:
	import frappe

	from sales_process.api.daily_log import add_log

	rng = random.Random(seed)
	user, customer = people["users"][0], people["customers"][0]
	frappe.db.rollback()
	timings = {"add_log": [], "ToDo": []}
	try:
		for i in range(5):  # warm-up: imports, meta, the site cache
			as_request(user)
			add_log(**entry(customer, f"warm {i}"))
			frappe.get_doc({"doctype": "ToDo", "description": f"warm {i}", "allocated_to": user}).insert()
		for i in range(runs):
			for what in rng.sample(list(timings), 2):
				as_request(user)
				t0 = time.perf_counter()
				if what == "add_log":
					add_log(**entry(customer, f"profile {i}"))
				else:
					frappe.get_doc(
						{"doctype": "ToDo", "description": f"profile {i}", "allocated_to": user}
					).insert()
				timings[what].append(time.perf_counter() - t0)
		as_request(user)
		with RoundTrips() as log:
			add_log(**entry(customer, "counted"))
		as_request(user)
		with RoundTrips() as todo_log:
			frappe.get_doc({"doctype": "ToDo", "description": "counted", "allocated_to": user}).insert()
		profiler = cProfile.Profile()
		for i in range(runs):
			as_request(user)
			profiler.enable()
			add_log(**entry(customer, f"cprofile {i}"))
			profiler.disable()
	finally:
		frappe.db.rollback()
		frappe.set_user("Administrator")
	out = io.StringIO()
	pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
	log_ms, todo_ms = (1000 * statistics.median(timings[k]) for k in ("add_log", "ToDo"))

	def row(measurement, ms, trips):
		return {
			"measurement": measurement,
			"ms": round(ms, 2),
			"SQL statements": len(trips.statements),
			"SQL ms": round(sum(t for t, *_ in trips.statements), 2),
			"Redis commands": len(trips.redis),
			"Redis ms": round(sum(t for t, *_ in trips.redis), 2),
		}

	rows = [
		row(f"add_log in-process, median of {runs}", log_ms, log),
		row(f"ToDo insert in-process, median of {runs}", todo_ms, todo_log),
	]
	details = {
		"add_log_round_trips": log.lines(),
		"todo_round_trips": todo_log.lines(),
		"cprofile": out.getvalue(),
	}
	return rows, details


# --- 2. REST --------------------------------------------------------------------------------------------


def rest(site: str, people: dict, per_client: int, rounds: int, tag: str) -> tuple[list[dict], dict]:
	import frappe

	from benchmarks.run import api_keys, interleaved, require_baseline, todo_request
	from tests.integration.rest import Server

	users = people["users"][:4]
	auth = api_keys(users)
	clients = [(auth[u], c) for u, c in zip(users, people["customers"], strict=True)]
	todo = todo_request(f"bench-logs {tag}", users)

	def add_log(index, n, customer):
		return "POST", "/api/method/sales_process.api.daily_log.add_log", entry(customer, f"bench {tag} {n}")

	server = Server(site=site, name="benchmark-daily-logs")
	say(f"  gunicorn up on {server.base} (2 workers)")
	try:
		merged = interleaved(server, clients, per_client, rounds, {"ToDo": todo, "add_log": add_log})
	finally:
		server.stop()
		say("  gunicorn stopped")
	frappe.db.rollback()
	filed = frappe.db.count("Sales Daily Log", {"sales_person": ("in", people["reps"])})
	assert filed == 4 * (5 + per_client * rounds), filed
	from sales_process.domain import daily_log

	chains = daily_log.verify(people["reps"])
	assert chains["ok"], chains["problems"][:3]

	todo_m, log_m = merged["ToDo"], merged["add_log"]
	require_baseline(todo_m)
	ratio = log_m["per_second"] / todo_m["per_second"]
	rows = [
		{
			"measurement": f"REST add_log (2 workers, 4 clients, {log_m['requests']} requests)",
			"seconds": round(log_m["seconds"], 2),
			"ratio": f"{log_m['per_second']:.1f}/s = {100 * ratio:.0f}% of ToDo; p50 {log_m['p50_ms']:.0f} ms, "
			f"p99 {log_m['p99_ms']:.0f} ms",
			"target": "≥ 80% of ToDo, p99 < 250 ms",
			"result": verdict(
				ratio >= TARGETS["rest_ratio"]
				and log_m["p99_ms"] < TARGETS["rest_p99_ms"]
				and not log_m["errors"]
			)
			+ (f" ({log_m['errors']} errors)" if log_m["errors"] else ""),
		},
		{
			"measurement": f"REST ToDo insert (same server, {todo_m['requests']} requests)",
			"seconds": round(todo_m["seconds"], 2),
			"ratio": f"{todo_m['per_second']:.1f}/s; p50 {todo_m['p50_ms']:.0f} ms, p99 {todo_m['p99_ms']:.0f} ms",
			"target": "",
			"result": "",
		},
	]
	strip = ("latencies",)
	return rows, {
		"add_log": {k: v for k, v in log_m.items() if k not in strip},
		"todo": {k: v for k, v in todo_m.items() if k not in strip},
		"chains_verified": len(people["reps"]),
		"entries_filed": filed,
	}


def cleanup(people: dict, tag: str):
	import frappe

	from tests.integration.world import remove_committed

	frappe.db.rollback()
	frappe.db.delete("ToDo", {"description": ("like", f"bench-logs {tag} %")})
	frappe.db.commit()
	remove_committed(
		people["customers"], people["reps"][::-1] + [people["head"]], people["employees"], people["users"]
	)


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--rest-requests", type=int, default=40, help="per client and round")
	parser.add_argument("--rest-rounds", type=int, default=3)
	parser.add_argument("--profile-runs", type=int, default=50)
	parser.add_argument("--seed", type=int, default=7)
	parser.add_argument("--label", default="", help="e.g. before / after: printed with the table")
	parser.add_argument("--save-as", default="daily_logs", help="results file name (benchmarks/results/)")
	parser.add_argument("--skip", nargs="*", default=[], choices=["profile", "rest"])
	args = parser.parse_args()

	site = connect()
	import frappe

	tag = frappe.generate_hash(length=6)
	people = make_people(tag)
	rows, details = [], {}
	try:
		if "profile" not in args.skip:
			say("profile of add_log in-process …")
			profile_rows, details["profile"] = profile(people, args.profile_runs, args.seed)
			print(markdown_table(profile_rows))
			print("\nRound trips of one add_log:")
			print("\n".join(details["profile"]["add_log_round_trips"]))
			print("\nRound trips of one ToDo insert:")
			print("\n".join(details["profile"]["todo_round_trips"]))
			print(details["profile"]["cprofile"])
			details["profile"]["rows"] = profile_rows
		if "rest" not in args.skip:
			say("REST add_log …")
			rest_rows, details["rest"] = rest(site, people, args.rest_requests, args.rest_rounds, tag)
			rows += rest_rows
	finally:
		frappe.db.rollback()
		cleanup(people, tag)
		frappe.destroy()
	counts = f"{os.cpu_count()} CPUs shared with other work"
	md = ""
	if rows:
		md = markdown_table(rows)
	if "profile" in details:
		md += ("\n\n" if md else "") + markdown_table(details["profile"]["rows"])
	md += (
		f"\n\n- Site `{site}`, seed {args.seed}; {counts}; one run{f' ({args.label})' if args.label else ''}."
	)
	print()
	print(md)
	save_results(
		args.save_as, {"rows": rows, "args": vars(args), "site": site, "details": details, "markdown": md}
	)


if __name__ == "__main__":
	main()
