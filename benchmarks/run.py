"""The whole §5 benchmark in one run, side by side, on a site holding benchmarks/generate.py's data.

    SP_BENCH_SITE=bench-sales-process.localhost scripts/dev run benchmarks/run.py [--runs 7]

Measures (min / median / max over repeated runs in this one process, methods interleaved so that
load from other processes hits all of them alike):

1. Sales Funnel and Sales Forecast `execute()` — as Administrator and as a scoped team lead — against
   the same aggregate written as ONE raw SQL statement (the floor) and against ERPNext's
   `sales_funnel.get_pipeline_data` and "Opportunity Summary by Sales Stage" on the mirrored
   `Opportunity` rows; with correctness checks against independent SQL sums.
2. The confiscation job on 10k overdue opportunities vs a per-document get_doc + save() loop
   (benchmarks/confiscation.py's loop; in one transaction, rolled back).
3. Daily-log inserts through REST (`sales_process.api.daily_log.add_log`) vs plain `ToDo` inserts,
   gunicorn with 2 workers on 127.0.0.1, 4 concurrent clients, bounded request counts.
4. The workbench request (`get_workbench`) for the salesperson with 1k opportunities: in-process
   and over HTTP.

Writes benchmarks/results/benchmark.{json,md}. Only --skip parts to iterate on one of them.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from datetime import timedelta

if __package__ in (None, ""):
	sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import connect, digest_captured, markdown_table, save_results

TARGETS = {
	"floor": 1.5,  # report ≤ 1.5 × floor
	"erpnext": 5.0,  # ERPNext get_pipeline_data ≥ 5 × report
	"confiscation": 50.0,
	"rest_ratio": 0.80,
	"rest_p99_ms": 250.0,
	"workbench_ms": 300.0,
	"funnel_ms": 300.0,  # the whole funnel, median, as Administrator and as a team lead
}
FUNNEL_ROWS = ("Sales Funnel execute() — Administrator", "Sales Funnel execute() — team lead (scoped)")


def say(*parts):
	print(time.strftime("%H:%M:%S"), *parts, flush=True)


def stats(samples: list[float]) -> dict:
	return {
		"runs": len(samples),
		"min_ms": round(min(samples) * 1000, 1),
		"median_ms": round(statistics.median(samples) * 1000, 1),
		"max_ms": round(max(samples) * 1000, 1),
	}


def verdict(ok: bool) -> str:
	return "PASS" if ok else "**MISS**"


# --- 1. reports --------------------------------------------------------------------------------------


def funnel_floor_sql() -> str:
	"""Everything Sales Funnel shows, as one statement over the same rows (no scope, no filters):
	per current stage count / amount / weighted / overdue, per stage entries and conversions (first
	entry per opportunity and stage, pivoted), exits with their days."""
	from sales_process.reports.pipeline import next_stages, stages

	rows = stages()
	follows = next_stages(rows)
	index = {s.name: i for i, s in enumerate(rows)}
	import frappe

	esc = frappe.db.escape
	now = frappe.utils.now_datetime()  # the site's time zone, as the report uses
	entry = "l.to_stage is not null and (l.from_stage is null or l.from_stage <> l.to_stage)"
	pivot = ", ".join(
		f"min(case when l.to_stage = {esc(s.name)} then l.at end) f{i}, "
		f"sum(l.to_stage = {esc(s.name)}) e{i}"
		for i, s in enumerate(rows)
	)
	outer = []
	for i, s in enumerate(rows):
		outer.append(f"count(f{i}) entered_{i}, sum(e{i}) entries_{i}")
		if s.name in follows:
			outer.append(f"sum(f{index[follows[s.name]]} >= f{i}) converted_{i}")
	return f"""
select s.name stage, c.cnt, c.amount, c.weighted, c.overdue, x.lft, x.days, h.*
from `tabSales Process Stage` s
left join (
	select o.stage, count(*) cnt, sum(o.amount) amount,
		sum(case when o.status = 'Won' then o.amount
			when o.status = 'Open' then o.amount * coalesce(st.probability, 0) / 100 else 0 end) weighted,
		sum(o.status = 'Open' and o.stage_due_at < '{now}') overdue
	from `tabSales Opportunity` o left join `tabSales Process Stage` st on st.name = o.stage
	group by o.stage
) c on c.stage = s.name
left join (
	select l.from_stage stage, sum(l.to_stage is null or l.to_stage <> l.from_stage) lft,
		sum(case when l.to_stage is null or l.to_stage <> l.from_stage then l.days_in_stage else 0 end) days
	from `tabOpportunity Stage Log` l where l.from_stage is not null group by l.from_stage
) x on x.stage = s.name
cross join (
	select {", ".join(outer)} from (
		select l.opportunity, {pivot} from `tabOpportunity Stage Log` l where {entry} group by l.opportunity
	) per_opp
) h"""


def summary_floor_sql() -> str:
	"""The funnel's history columns as one statement over the Opportunity Stage Summary (what the
	report reads since the summary is kept), beside its per-stage pipeline part."""
	return """
select s.stage, count(s.first_entered_at) entered, sum(s.entries) entries, sum(s.converted) converted,
	sum(s.exits) exits, sum(s.days) days, max(s.max_days) max_days, sum(s.late) late,
	sum(s.confiscations) confiscations
from `tabOpportunity Stage Summary` s group by s.stage"""


def totals_floor_sql() -> str:
	"""The same columns over the Opportunity Stage Totals (stage × owner), what the funnel reads when
	no filter needs the opportunities themselves."""
	return """
select t.stage, sum(t.entered) entered, sum(t.entries) entries, sum(t.converted) converted,
	sum(t.exits) exits, sum(t.days) days, sum(t.late) late, sum(t.confiscations) confiscations
from `tabOpportunity Stage Totals` t group by t.stage"""


def forecast_floor_sql(start, end) -> str:
	"""Sales Forecast's numbers (open pipeline by close month × owner with the category split, won
	amount by month × owner) as one statement."""
	return f"""
select date_format(o.expected_close_date, '%%Y-%%m') month, o.sales_person, count(*) n, sum(o.amount) amount,
	sum(case when st.probability >= 80 then o.amount * st.probability / 100 else 0 end) commit_,
	sum(case when st.probability >= 50 and st.probability < 80 then o.amount * st.probability / 100 else 0 end) best,
	sum(case when st.probability < 50 then o.amount * st.probability / 100 else 0 end) pipe, 0 closed
from `tabSales Opportunity` o left join `tabSales Process Stage` st on st.name = o.stage
where o.status = 'Open' and o.expected_close_date between '{start}' and '{end}'
group by 1, 2
union all
select date_format(o.stage_entered_at, '%%Y-%%m'), o.sales_person, 0, 0, 0, 0, 0, sum(o.amount)
from `tabSales Opportunity` o
where o.status = 'Won' and o.stage_entered_at >= '{start}' and o.stage_entered_at < '{end + timedelta(days=1)}'
group by 1, 2"""


def reports(runs: int, ctx: dict) -> tuple[list[dict], dict]:
	import frappe

	from erpnext.crm.report.opportunity_summary_by_sales_stage import opportunity_summary_by_sales_stage
	from erpnext.selling.page.sales_funnel import sales_funnel as erpnext_funnel

	from sales_process.reports import pipeline
	from sales_process.sales_process.report.sales_forecast import sales_forecast
	from sales_process.sales_process.report.sales_funnel import sales_funnel

	company = ctx["company"]
	lead_user = ctx["lead_user"]
	start, end = pipeline.forecast_range()
	funnel_sql = funnel_floor_sql()
	summary_sql = summary_floor_sql()
	totals_sql = totals_floor_sql()
	forecast_sql = forecast_floor_sql(start, end)
	erp_from, erp_to = "2000-01-01", "2100-12-31"
	trend = {"show": "Trend", "trend_from": frappe.utils.add_days(frappe.utils.today(), -364)}
	erp_summary_filters = {
		"based_on": "Opportunity Owner",
		"data_based_on": "Amount",
		"company": company,
		"status": ["Open", "Quotation", "Replied"],
	}
	pipeline_floor_sql = """select sales_stage, sum(opportunity_amount * probability / 100)
		from `tabOpportunity` where status in ('Open', 'Quotation', 'Replied') and company = %s
		and transaction_date between %s and %s group by sales_stage"""

	def as_user(user, fn):
		def call():
			frappe.set_user(user)
			try:
				return fn()
			finally:
				frappe.set_user("Administrator")

		return call

	methods = {
		"Sales Funnel execute() — Administrator": lambda: sales_funnel.execute({}),
		"Sales Funnel — one raw SQL statement (floor)": lambda: frappe.db.sql(funnel_sql),
		"Sales Funnel history part — one raw SQL statement over the stage summary": lambda: frappe.db.sql(
			summary_sql
		),
		"Sales Funnel history part — one raw SQL statement over the stage totals": lambda: frappe.db.sql(
			totals_sql
		),
		"Sales Funnel execute() — team lead (scoped)": as_user(lead_user, lambda: sales_funnel.execute({})),
		"Sales Funnel, its per-stage pipeline part only (what ERPNext computes)": lambda: pipeline._current(
			frappe._dict(), None, frappe.utils.now_datetime()
		),
		"Sales Forecast execute() — Administrator": lambda: sales_forecast.execute({}),
		"Sales Forecast — one raw SQL statement (floor)": lambda: frappe.db.sql(forecast_sql, ()),
		"Sales Forecast execute() — team lead (scoped)": as_user(
			lead_user, lambda: sales_forecast.execute({})
		),
		# K7: the trend over the dataset's year of daily snapshots
		"Sales Forecast Trend execute(), a year — Administrator": lambda: sales_forecast.execute(trend),
		"Sales Forecast Trend execute(), a year — team lead (scoped)": as_user(
			lead_user, lambda: sales_forecast.execute(trend)
		),
		"ERPNext get_pipeline_data (mirrored rows)": lambda: erpnext_funnel.get_pipeline_data(
			erp_from, erp_to, company
		),
		"ERPNext pipeline aggregate — one raw SQL statement": lambda: frappe.db.sql(
			pipeline_floor_sql, (company, erp_from, erp_to)
		),
		"ERPNext Opportunity Summary by Sales Stage (Amount, by owner)": lambda: (
			opportunity_summary_by_sales_stage.execute(erp_summary_filters)
		),
	}
	samples: dict[str, list[float]] = {name: [] for name in methods}
	for fn in methods.values():  # warm-up: caches, buffer pool
		fn()
	names = list(methods)
	for r in range(runs):
		# a different method goes first in each run, so none always pays for a cold buffer pool
		for name in names[r % len(names) :] + names[: r % len(names)]:
			fn = methods[name]
			frappe.db.rollback()
			start_t = time.perf_counter()
			fn()
			samples[name].append(time.perf_counter() - start_t)
		say(f"  reports: run {r + 1}/{runs}: " + ", ".join(f"{v[-1] * 1000:.0f}" for v in samples.values()))

	checks = report_checks(ctx, start, end, erp_from, erp_to)
	s = {name: stats(v) for name, v in samples.items()}
	med = {name: v["median_ms"] for name, v in s.items()}
	erp = med["ERPNext get_pipeline_data (mirrored rows)"]
	rows = []
	for name in methods:
		row = {"measurement": name, **s[name], "ratio": "", "target": "", "result": ""}
		if name.startswith("Sales Forecast execute() — Administrator"):
			floor = med[name.split(" execute()")[0] + " — one raw SQL statement (floor)"]
			ratio = med[name] / floor
			faster = erp / med[name]
			row.update(
				ratio=f"{ratio:.2f}× floor; ERPNext's time ÷ ours = {faster:.2f}",
				target="≤ 1.5× floor; ≥ 5× faster than ERPNext",
				result=verdict(ratio <= TARGETS["floor"] and faster >= TARGETS["erpnext"])
				+ ("" if ratio <= TARGETS["floor"] else " (floor)")
				+ ("" if faster >= TARGETS["erpnext"] else " (vs ERPNext)"),
			)
		if name in FUNNEL_ROWS:
			faster = erp / med[name]
			floor_part = (
				f"{med[name] / med['Sales Funnel — one raw SQL statement (floor)']:.2f}× the log floor; "
				if name == FUNNEL_ROWS[0]
				else ""
			)
			row.update(
				ratio=f"{floor_part}ERPNext's time ÷ ours = {faster:.2f}",
				target="≤ 300 ms median; ≥ 5× faster than ERPNext",
				result=verdict(med[name] <= TARGETS["funnel_ms"] and faster >= TARGETS["erpnext"])
				+ ("" if med[name] <= TARGETS["funnel_ms"] else " (300 ms)")
				+ ("" if faster >= TARGETS["erpnext"] else " (vs ERPNext)"),
			)
		if name.startswith("Sales Funnel, its per-stage pipeline part"):
			faster = erp / med[name]
			row.update(
				ratio=f"ERPNext's time ÷ ours = {faster:.2f}",
				target="≥ 5× faster than ERPNext",
				result=verdict(faster >= TARGETS["erpnext"]),
			)
		rows.append(row)
	return rows, {"samples": s, "checks": checks}


def report_checks(ctx, start, end, erp_from, erp_to) -> dict:
	"""Our totals against independent SQL sums; ERPNext's per-stage totals against the truth."""
	import frappe
	from frappe.utils import flt

	from erpnext.selling.page.sales_funnel import sales_funnel as erpnext_funnel

	from sales_process.domain import stage_history
	from sales_process.reports import pipeline

	rows = pipeline.funnel({})
	truth = frappe.db.sql(
		"""select count(*), sum(o.amount),
			sum(case when o.status = 'Open' then o.amount * st.probability / 100 else 0 end),
			sum(o.status = 'Open' and o.stage_due_at < %s)
		from `tabSales Opportunity` o left join `tabSales Process Stage` st on st.name = o.stage""",
		frappe.utils.now_datetime(),
	)[0]
	entered = dict(
		frappe.db.sql(
			"""select to_stage, count(distinct opportunity) from `tabOpportunity Stage Log`
			where to_stage is not null and (from_stage is null or from_stage <> to_stage) group by to_stage"""
		)
	)
	funnel_parts = {
		"count": sum(r["count"] for r in rows) == truth[0],
		"amount": abs(sum(r["amount"] for r in rows) - flt(truth[1])) < 0.01 * len(rows) + 1e-6,
		"weighted": abs(sum(r["weighted_amount"] for r in rows if r["kind"] == "Open") - flt(truth[2]))
		< len(rows),
		# the job may confiscate or time may pass between the two reads: overdue is checked loosely
		"overdue": abs(sum(r["overdue"] for r in rows) - truth[3]) <= 5,
		"entered": all(r.get("entered") == entered.get(r["stage"], 0) for r in rows if r["kind"]),
		# the stage × owner totals the unfiltered funnel read are the sums of the summary's rows
		"totals": stage_history.totals_differences() == [],
	}
	funnel_ok = all(funnel_parts.values())
	fc = pipeline.forecast({})
	fc_truth = frappe.db.sql(
		"""select count(*), sum(o.amount), sum(o.amount * st.probability / 100)
		from `tabSales Opportunity` o join `tabSales Process Stage` st on st.name = o.stage
		where o.status = 'Open' and o.expected_close_date between %s and %s""",
		(start, end),
	)[0]
	forecast_ok = (
		sum(r["opportunities"] for r in fc.rows) == fc_truth[0]
		and abs(sum(r["amount"] for r in fc.rows) - flt(fc_truth[1])) < 0.01 * len(fc.rows) + 1e-6
		and abs(sum(r["weighted"] for r in fc.rows) - flt(fc_truth[2])) < 0.01 * len(fc.rows) + 1
	)
	erp = erpnext_funnel.get_pipeline_data(erp_from, erp_to, ctx["company"])
	erp_stage = {} if erp == "empty" else dict(zip(erp["labels"], erp["datasets"][0]["values"], strict=True))
	erp_truth = dict(
		frappe.db.sql(
			"""select sales_stage, sum(opportunity_amount * probability / 100) from `tabOpportunity`
			where status in ('Open', 'Quotation', 'Replied') and company = %s
			and transaction_date between %s and %s group by sales_stage""",
			(ctx["company"], erp_from, erp_to),
		)
	)
	per_stage = {
		stage: {
			"erpnext": round(flt(erp_stage.get(stage)), 2),
			"sql": round(flt(value), 2),
			"erpnext_share_of_truth": round(flt(erp_stage.get(stage)) / flt(value), 6) if value else None,
		}
		for stage, value in erp_truth.items()
	}
	return {
		"funnel_totals_match_sql": bool(funnel_ok),
		"funnel_checks": funnel_parts,
		"funnel_total": {"count": truth[0], "amount": flt(truth[1], 2), "weighted_open": flt(truth[2], 2)},
		"forecast_totals_match_sql": bool(forecast_ok),
		"forecast_total": {
			"open": fc_truth[0],
			"amount": flt(fc_truth[1], 2),
			"weighted": flt(fc_truth[2], 2),
		},
		"erpnext_pipeline_per_stage": per_stage,
		"erpnext_total_vs_sql": round(
			sum(flt(v) for v in erp_stage.values()) / flt(sum(erp_truth.values()) or 1), 6
		),
	}


# --- 2. confiscation -----------------------------------------------------------------------------------


def confiscation(rows_n: int, loop_n: int, seed: int, ctx: dict) -> tuple[list[dict], dict]:
	"""10k overdue opportunities on top of the dataset (whose own overdue ones — the generator does
	not run the job, so most open ones are past due — first get a deadline 30 days ahead, so the job
	sees exactly these), the job, then the loop over a sample; all rolled back."""
	import random

	import frappe

	from benchmarks.confiscation import naive_loop
	from sales_process.domain import notify
	from sales_process.scheduled.deadlines import confiscate_overdue
	from tests.factories import bulk_opportunities

	rng = random.Random(seed)
	frappe.db.rollback()
	try:
		frappe.db.sql("set session innodb_lock_wait_timeout = 120")
		now = frappe.utils.now_datetime()
		frappe.db.sql(
			"""update `tabSales Opportunity` set stage_due_at = %s + interval 30 day
			where status = 'Open' and stage_due_at <= %s""",
			(now, now),
		)
		rows = []
		for i in range(rows_n):
			sp, customer = rng.choice(ctx["leaf_customers"])
			due = now - timedelta(hours=rng.randint(1, 240))
			rows.append(
				{
					"name": f"BENCH-CONF-{seed}-{i}",
					"customer": customer,
					"sales_person": sp,
					"stage": ctx["first_stage"],
					"stage_entered_at": due - timedelta(days=7),
					"stage_due_at": due,
					"amount": rng.randint(1, 100) * 1000,
				}
			)
		for start in range(0, rows_n, 2000):
			bulk_opportunities(rows[start : start + 2000])
		frappe.db.savepoint("bench_start")
		with digest_captured() as captured:
			t0 = time.perf_counter()
			result = confiscate_overdue(commit=False, batch_size=500)
			job = time.perf_counter() - t0
		t0 = time.perf_counter()
		notify.send_digests(captured["subject"], captured["lines"])
		digest = time.perf_counter() - t0
		assert result["confiscated"] == rows_n, result
		frappe.db.rollback(save_point="bench_start")
		sample = [r["name"] for r in rows[:loop_n]]
		t0 = time.perf_counter()
		naive_loop(sample)
		loop = time.perf_counter() - t0
	finally:
		frappe.db.rollback()
	job_rate, full_rate, loop_rate = rows_n / job, rows_n / (job + digest), loop_n / loop
	out = [
		{
			"measurement": f"confiscate_overdue, {rows_n:,} overdue (job)",
			"runs": 1,
			"min_ms": round(job * 1000),
			"median_ms": round(job * 1000),
			"max_ms": round(job * 1000),
			"ratio": f"{job_rate:,.0f}/s = {job_rate / loop_rate:.0f}× the loop",
			"target": "≥ 50×",
			"result": verdict(job_rate / loop_rate >= TARGETS["confiscation"]),
		},
		{
			"measurement": "… job + its digest-email worker job",
			"runs": 1,
			"min_ms": round((job + digest) * 1000),
			"median_ms": round((job + digest) * 1000),
			"max_ms": round((job + digest) * 1000),
			"ratio": f"{full_rate:,.0f}/s = {full_rate / loop_rate:.0f}× the loop",
			"target": "≥ 50×",
			"result": verdict(full_rate / loop_rate >= TARGETS["confiscation"]),
		},
		{
			"measurement": f"per-document get_doc + save() loop, {loop_n} of them",
			"runs": 1,
			"min_ms": round(loop * 1000),
			"median_ms": round(loop * 1000),
			"max_ms": round(loop * 1000),
			"ratio": f"{loop_rate:,.1f}/s",
			"target": "",
			"result": "",
		},
	]
	return out, {"job_per_s": job_rate, "job_with_digest_per_s": full_rate, "loop_per_s": loop_rate}


# --- 3./4. REST and the workbench ---------------------------------------------------------------------


def api_keys(users: list[str]) -> dict[str, str]:
	"""token header per user (keys generated once and committed: the server has its own connections)."""
	import frappe

	out = {}
	for user in users:
		doc = frappe.get_doc("User", user)
		if not doc.api_key:
			doc.api_key = frappe.generate_hash(length=15)
		secret = frappe.generate_hash(length=15)
		doc.api_secret = secret
		doc.save(ignore_permissions=True)
		out[user] = f"token {doc.api_key}:{secret}"
	frappe.db.commit()
	return out


def todo_request(label: str, users: list[str]):
	"""`make_request` for `hammer`: the plain ToDo insert the REST targets are set against, allocated
	to the client's own user as the desk's new ToDo is (without it Frappe refuses a Sales User's
	ToDo with 403, and the baseline would time refusals)."""

	def make(index, n, _source):
		return (
			"POST",
			"/api/resource/ToDo",
			{"description": f"{label} {index}-{n}", "allocated_to": users[index]},
		)

	return make


def merge_rounds(rounds: list[dict]) -> dict:
	"""`hammer` results of several rounds as one: rate, percentiles and errors."""
	lat = sorted(x for r in rounds for x in r["latencies"])
	return {
		"requests": len(lat),
		"per_second": len(lat) / sum(r["seconds"] for r in rounds),
		"seconds": sum(r["seconds"] for r in rounds),
		"p50_ms": 1000 * lat[len(lat) // 2],
		"p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
		"min_ms": 1000 * lat[0],
		"max_ms": 1000 * lat[-1],
		"errors": sum(r["error_count"] for r in rounds),
		"error_samples": [e for r in rounds for e in r["errors"]][:3],
	}


def interleaved(server, clients, per_client: int, rounds: int, requests: dict, warmup: int = 5) -> dict:
	"""Each kind of request (the first is the baseline) warmed up in both workers, then `rounds`
	rounds in which every kind runs once in turn, so load from other work hits all alike; returns
	each kind's rounds merged (`merge_rounds`). A failing warm-up of a measured kind stops the run."""
	for n, (name, make) in enumerate(requests.items()):
		warm = hammer(server, clients, warmup, make)
		assert n == 0 or not warm["error_count"], (name, warm["errors"])
	results = {name: [] for name in requests}
	for r in range(rounds):
		for name, make in requests.items():
			results[name].append(hammer(server, clients, per_client, make))
		say(
			f"  REST round {r + 1}/{rounds}: "
			+ ", ".join(f"{name} {results[name][-1]['per_second']:.1f}/s" for name in requests)
		)
	return {name: merge_rounds(v) for name, v in results.items()}


def require_baseline(merged: dict, what: str = "ToDo"):
	"""A ratio against a baseline that failed means nothing: stop with its errors instead."""
	if merged["errors"]:
		raise SystemExit(
			f"the {what} baseline had {merged['errors']} failed requests: {merged['error_samples']}"
		)


def hammer(server, clients: list[tuple[str, str]], per_client: int, make_request) -> dict:
	"""`per_client` requests from each client concurrently (one thread, one session each)."""
	import requests

	latencies: list[float] = []
	errors: list[str] = []
	lock = threading.Lock()

	def work(index, auth, payload_source):
		session = requests.Session()
		session.headers.update(server.headers())
		session.headers["Authorization"] = auth
		mine = []
		for n in range(per_client):
			method, path, body = make_request(index, n, payload_source)
			t0 = time.perf_counter()
			response = session.request(method, server.base + path, json=body, timeout=60)
			mine.append(time.perf_counter() - t0)
			if not response.ok:
				with lock:
					errors.append(f"{response.status_code} {response.text[:200]}")
		with lock:
			latencies.extend(mine)

	threads = [
		threading.Thread(target=work, args=(i, auth, source)) for i, (auth, source) in enumerate(clients)
	]
	t0 = time.perf_counter()
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	elapsed = time.perf_counter() - t0
	latencies.sort()
	return {
		"requests": len(latencies),
		"seconds": elapsed,
		"per_second": len(latencies) / elapsed,
		"p50_ms": 1000 * latencies[len(latencies) // 2],
		"p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
		"errors": errors[:5],
		"error_count": len(errors),
		"latencies": latencies,
	}


def rest_and_workbench(site: str, ctx: dict, per_client: int, rounds: int, wb_runs: int):
	import frappe

	from sales_process.api.workbench import get_workbench

	# in-process workbench first (no server running)
	frappe.set_user(ctx["workbench_user"])
	get_workbench()
	wb_samples = []
	for _ in range(wb_runs):
		frappe.db.rollback()
		t0 = time.perf_counter()
		result = get_workbench()
		wb_samples.append(time.perf_counter() - t0)
	frappe.set_user("Administrator")
	wb_check = {
		"open_opportunities_in_forecast_panel": result["forecast"]["count"],
		"pipeline_rows": len(result["pipeline"]),
	}

	rest_users = ctx["rest_users"]  # [(user, customer)]
	auth = api_keys([u for u, _c in rest_users] + [ctx["workbench_user"]])
	clients = [(auth[u], c) for u, c in rest_users]
	from tests.integration.rest import Server  # the tests' gunicorn on 127.0.0.1

	server = Server(site=site, name="benchmark")
	say(f"  gunicorn up on {server.base} (2 workers)")
	try:
		todo = todo_request("bench-rest", [u for u, _c in rest_users])

		def add_log(index, n, customer):
			return (
				"POST",
				"/api/method/sales_process.api.daily_log.add_log",
				{
					"customer": customer,
					"activities": ["电话沟通"],
					"minutes": 1,
					"cost": 0,
					"note": f"bench {n}",
				},
			)

		merged = interleaved(server, clients, per_client, rounds, {"ToDo": todo, "add_log": add_log})
		wb_http = []
		import requests

		session = requests.Session()
		session.headers.update(server.headers())
		session.headers["Authorization"] = auth[ctx["workbench_user"]]
		url = server.base + "/api/method/sales_process.api.workbench.get_workbench"
		session.get(url, timeout=60).raise_for_status()
		for _ in range(wb_runs):
			t0 = time.perf_counter()
			session.get(url, timeout=60).raise_for_status()
			wb_http.append(time.perf_counter() - t0)
		worker_rss = worker_peak_rss_mb(server.proc.pid)
	finally:
		server.stop()
		say("  gunicorn stopped")
		cleanup_rest(ctx)

	todo_m, log_m = merged["ToDo"], merged["add_log"]
	require_baseline(todo_m)
	ratio = log_m["per_second"] / todo_m["per_second"]
	rows = [
		{
			"measurement": f"REST add_log (2 workers, {len(clients)} clients, {log_m['requests']} requests)",
			"runs": rounds,
			"min_ms": round(log_m["min_ms"], 1),
			"median_ms": round(log_m["p50_ms"], 1),
			"max_ms": round(log_m["max_ms"], 1),
			"ratio": f"{log_m['per_second']:.1f}/s = {100 * ratio:.0f}% of ToDo; p99 {log_m['p99_ms']:.0f} ms",
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
			"runs": rounds,
			"min_ms": round(todo_m["min_ms"], 1),
			"median_ms": round(todo_m["p50_ms"], 1),
			"max_ms": round(todo_m["max_ms"], 1),
			"ratio": f"{todo_m['per_second']:.1f}/s; p99 {todo_m['p99_ms']:.0f} ms",
			"target": "",
			"result": "",
		},
	]
	wb_in, wb_web = stats(wb_samples), stats(wb_http)
	rows += [
		{
			"measurement": f"get_workbench over HTTP, user with {wb_check['open_opportunities_in_forecast_panel']:,} open opportunities",
			**wb_web,
			"ratio": "",
			"target": "< 300 ms median",
			"result": verdict(wb_web["median_ms"] < TARGETS["workbench_ms"]),
		},
		{
			"measurement": "get_workbench in-process (same user)",
			**wb_in,
			"ratio": "",
			"target": "",
			"result": "",
		},
	]
	return rows, {"add_log": log_m, "todo": todo_m, "workbench": wb_check, "worker_peak_rss_mb": worker_rss}


def worker_peak_rss_mb(master_pid: int) -> dict[int, float]:
	"""Peak resident memory (VmHWM) of each gunicorn worker, the master's children, in MB."""
	peaks = {}
	for child in open(f"/proc/{master_pid}/task/{master_pid}/children").read().split():
		for line in open(f"/proc/{child}/status"):
			if line.startswith("VmHWM:"):
				peaks[int(child)] = round(int(line.split()[1]) / 1024, 1)
	return peaks


def peak_rss_mb() -> float:
	"""This process's peak resident memory, in MB (Linux reports ru_maxrss in KB)."""
	import resource

	return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the funnel's cost as the stage log grows --------------------------------------------------------


def log_growth(factor: int, runs: int, ctx: dict) -> tuple[list[dict], dict]:
	"""Lengthen the stage log to `factor` × its rows with real-looking history (each extra pair: a
	manager moves an open opportunity back one stage, its owner advances it again), written through
	the app's set-based writer so the summary follows; time the whole funnel again; roll back."""
	import frappe

	from sales_process.domain import stage_history
	from sales_process.reports.pipeline import stages
	from sales_process.sales_process.report.sales_funnel import sales_funnel

	log_rows = frappe.db.count("Opportunity Stage Log")
	extra = (factor - 1) * log_rows
	open_path = [s.name for s in stages() if not (s.is_won or s.is_lost)]
	previous = dict(zip(open_path[1:], open_path[:-1], strict=False))
	opps = frappe.db.sql(
		"select name, stage, sales_person from `tabSales Opportunity` where status = 'Open' and stage in %(s)s",
		{"s": list(previous)},
	)
	fields = ["creation", "modified", "owner", "modified_by", "opportunity", "action", "at", "by_user"]
	fields += ["from_stage", "to_stage", "from_sales_person", "to_sales_person", "days_in_stage"]
	now = frappe.utils.now_datetime()
	t0 = time.perf_counter()
	written, batch, i = 0, [], 0
	while written < extra:
		name, stage, owner = opps[i % len(opps)]
		back, again = now - timedelta(days=3 + i % 40), now - timedelta(days=1 + i % 40)
		for at, action, src, dst, days in (
			(back, "Move Back", stage, previous[stage], 5.0 + i % 9),
			(again, "Advance", previous[stage], stage, 2.0),
		):
			batch.append((now, now, "Administrator", "Administrator", name, action, at, "Administrator"))
			batch[-1] += (src, dst, owner, owner, days)
		written, i = written + 2, i + 1
		if len(batch) >= 20_000 or written >= extra:
			stage_history.insert_logs(fields, batch)
			batch = []
	write_s = time.perf_counter() - t0
	counts = {
		"log_rows": frappe.db.count("Opportunity Stage Log"),
		"summary_rows": frappe.db.count("Opportunity Stage Summary"),
	}
	say(
		f"  stage log × {factor}: {counts['log_rows']:,} rows ({write_s:.0f}s), summary {counts['summary_rows']:,}"
	)

	def as_lead():
		frappe.set_user(ctx["lead_user"])
		try:
			return sales_funnel.execute({})
		finally:
			frappe.set_user("Administrator")

	methods = {
		f"Sales Funnel execute() — Administrator, stage log × {factor}": lambda: sales_funnel.execute({}),
		f"Sales Funnel execute() — team lead (scoped), stage log × {factor}": as_lead,
	}
	samples = {name: [] for name in methods}
	for fn in methods.values():
		fn()
	for _r in range(runs):
		for name, fn in methods.items():
			t = time.perf_counter()
			fn()
			samples[name].append(time.perf_counter() - t)
	frappe.db.rollback()
	rows = [
		{
			"measurement": f"{name} ({counts['log_rows']:,} log rows, {counts['summary_rows']:,} summary rows)",
			**stats(v),
			"ratio": "",
			"target": "flat as the log grows",
			"result": "",
		}
		for name, v in samples.items()
	]
	return rows, {**counts, "write_seconds": round(write_s, 1)}


def cleanup_rest(ctx):
	"""Remove what the REST run wrote (today's benchmark entries are the chains' last ones, so the
	chains stay intact), keeping re-runs on the same day within the minutes-per-day limit."""
	import frappe

	people = [sp for sp, _u in ctx["rest_people"]]
	frappe.db.rollback()
	names = frappe.db.sql_list(
		"""select name from `tabSales Daily Log` where sales_person in %(p)s and log_date = %(d)s
		and note like 'bench %%'""",
		{"p": people, "d": frappe.utils.today()},
	)
	for start in range(0, len(names), 500):
		chunk = [str(n) for n in names[start : start + 500]]
		frappe.db.sql("delete from `tabSales Daily Log Activity` where parent in %(n)s", {"n": chunk})
		frappe.db.sql("delete from `tabSales Daily Log` where name in %(n)s", {"n": chunk})
	frappe.db.sql("delete from `tabToDo` where description like 'bench-rest %%'")
	frappe.db.commit()


# --- main ------------------------------------------------------------------------------------------------


def context() -> dict:
	import frappe

	from sales_process.reports.pipeline import stages

	company = frappe.defaults.get_global_default("company")
	leaves = frappe.get_all(
		"Sales Person", filters={"name": ("like", "BENCH SP %"), "is_group": 0}, pluck="name", order_by="name"
	)
	if not leaves:
		sys.exit("no benchmark data on this site: run benchmarks/generate.py first")
	level2 = frappe.db.sql(
		"""select c.name from `tabSales Person` c join `tabSales Person` p on p.name = c.parent_sales_person
		where p.name like 'BENCH SP %%' and p.parent_sales_person not like 'BENCH SP %%' order by c.name limit 1"""
	)[0][0]
	users = dict(
		frappe.db.sql(
			"""select sp.name, e.user_id from `tabSales Person` sp join `tabEmployee` e on e.name = sp.employee
			where sp.name like 'BENCH SP %%'"""
		)
	)
	owned = frappe.db.sql(
		"""select sales_person, min(customer) from `tabSales Opportunity`
		where sales_person in %(l)s group by sales_person""",
		{"l": leaves},
	)
	leaf_customers = [(sp, c) for sp, c in owned]
	rest_people = [(sp, users[sp]) for sp, _c in leaf_customers[1:5]]
	return {
		"company": company,
		"lead_user": users[level2],
		"lead": level2,
		"workbench_user": users[leaves[0]],
		"workbench_sales_person": leaves[0],
		"leaf_customers": leaf_customers,
		"rest_people": rest_people,
		"rest_users": [(users[sp], c) for sp, c in leaf_customers[1:5]],
		"first_stage": stages()[0].name,
	}


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--runs", type=int, default=7, help="repetitions of each report measurement")
	parser.add_argument("--confiscate", type=int, default=10_000)
	parser.add_argument("--loop-rows", type=int, default=300, help="sample size for the slow save() loop")
	parser.add_argument("--rest-requests", type=int, default=60, help="per client and round")
	parser.add_argument("--rest-rounds", type=int, default=2)
	parser.add_argument("--workbench-runs", type=int, default=15)
	parser.add_argument("--seed", type=int, default=7)
	parser.add_argument(
		"--results", default="benchmark", help="file name under benchmarks/results/ (without .md/.json)"
	)
	parser.add_argument("--skip", nargs="*", default=[], choices=["reports", "confiscation", "rest"])
	parser.add_argument(
		"--grow-log", type=int, default=3, help="then time the funnel with N × the stage log (1: not)"
	)
	args = parser.parse_args()

	site = connect()
	import frappe

	counts = {
		d: frappe.db.sql(f"select count(*) from `tab{d}`")[0][0]
		for d in (
			"Sales Person",
			"Customer",
			"Sales Opportunity",
			"Opportunity Stage Log",
			"Opportunity Stage Summary",
			"Sales Daily Log",
			"Help Alert",
			"Opportunity",
		)
	}
	say(f"site {site}: " + ", ".join(f"{d} {n:,}" for d, n in counts.items()))
	ctx = context()
	rows, detail = [], {"counts": counts, "args": vars(args), "site": site}
	try:
		if "reports" not in args.skip:
			say("reports …")
			r, detail["reports"] = reports(args.runs, ctx)
			rows += r
		if "reports" not in args.skip and args.grow_log > 1:
			say(f"the funnel with {args.grow_log} × the stage log …")
			r, detail["log_growth"] = log_growth(args.grow_log, args.runs, ctx)
			rows += r
		if "confiscation" not in args.skip:
			say("confiscation …")
			r, detail["confiscation"] = confiscation(args.confiscate, args.loop_rows, args.seed, ctx)
			rows += r
		if "rest" not in args.skip:
			say("REST and workbench …")
			r, detail["rest"] = rest_and_workbench(
				site, ctx, args.rest_requests, args.rest_rounds, args.workbench_runs
			)
			rows += r
	finally:
		frappe.db.rollback()
		frappe.destroy()

	checks = detail.get("reports", {}).get("checks", {})
	notes = [
		f"Site `{site}`: " + ", ".join(f"{n:,} {d}" for d, n in counts.items()) + ".",
		f"{os.cpu_count()} CPUs shared with other work; times are ms, min/median/max of the runs in this process.",
		f"Peak memory (RSS): this benchmark process {peak_rss_mb()} MB"
		+ (
			"; gunicorn workers "
			+ ", ".join(f"{mb} MB" for mb in detail["rest"]["worker_peak_rss_mb"].values())
			if detail.get("rest", {}).get("worker_peak_rss_mb")
			else ""
		)
		+ ".",
	]
	if checks:
		notes.append(
			f"Correctness: funnel totals = independent SQL sums: **{checks['funnel_totals_match_sql']}**; "
			f"forecast totals = independent SQL sums: **{checks['forecast_totals_match_sql']}**; "
			f"ERPNext get_pipeline_data's total is **{checks['erpnext_total_vs_sql']:.4%}** of the SQL sum over "
			"the same rows (itertools.groupby over unsorted rows keeps only each stage's last run)."
		)
	md = markdown_table(rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)
	print()
	print(md)
	save_results(args.results, {"rows": rows, "detail": detail, "markdown": md})


if __name__ == "__main__":
	main()
