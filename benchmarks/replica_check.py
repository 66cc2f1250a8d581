"""The replica half of benchmarks/replica.sh: shows that the reports read from the MariaDB replica
and that they give the same results there as on the primary.

Needs the site's `read_from_replica`, `replica_host`, `replica_db_port` set, and the two servers'
sockets (SP_PRIMARY_SOCK, SP_REPLICA_SOCK) for root-level status queries; replica.sh provides both.

While Sales Funnel and Sales Forecast run, both servers' general logs are on (as tables) and the
requests' primary connection is traced: every SELECT the primary sees is printed with its reason
(the reports' own queries with their caller; the rest by the connection that sent them), and any
report query on the primary fails the check. The same two reports are then asked for as the desk does
(frappe.desk.query_report.run through frappe.app, in this process), and each primary SELECT is put
down to the request step that sent it (session and user, API handler, the report, after it).
"""

import json
import os
import re
import sys
import time
import traceback
from collections import Counter

if __package__ in (None, ""):
	sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import connect


def root(sock: str):
	import pymysql

	return pymysql.connect(unix_socket=sock, user="root", autocommit=True)


def one(conn, statement: str):
	with conn.cursor() as cur:
		cur.execute(statement)
		return cur.fetchone()


def com_select(conn) -> int:
	return int(one(conn, "show global status like 'Com_select'")[1])


def start_log(conn):
	"""This server's general log from now on, as a table (thread id, statement); sql_log_bin=0 keeps
	the primary's TRUNCATE out of the binlog, so the replica's log is not emptied by it."""
	for statement in (
		"set global general_log = 0",
		"set global log_output = 'TABLE'",
		"set session sql_log_bin = 0",
		"truncate mysql.general_log",
		"set global general_log = 1",
	):
		one(conn, statement)


def stop_log(conn) -> tuple[list[tuple[int, str]], dict[int, str]]:
	"""The SELECTs logged since start_log other than this root connection's own, as (thread id,
	statement), and the connections opened meanwhile (thread id: "user@host on db …")."""
	one(conn, "set global general_log = 0")
	with conn.cursor() as cur:
		cur.execute(
			"select thread_id, command_type, convert(argument using utf8mb4) from mysql.general_log"
			" where thread_id <> connection_id() order by event_time"
		)
		rows = [(thread, command, " ".join(text.split())) for thread, command, text in cur.fetchall()]
	connects = {thread: text for thread, command, text in rows if command == "Connect"}
	return [(t, text) for t, command, text in rows if command == "Query" and is_select(text)], connects


def is_select(statement: str) -> bool:
	return statement.lstrip("( ").lower().startswith("select")


def shape(statement: str) -> str:
	"""A statement without its literals, to group repeated ones."""
	return re.sub(r"'(?:[^'\\]|\\.)*'|\b\d+\b", "?", statement)[:150]


def caller() -> str:
	"""The innermost frame below Frappe's database layer: who issued the query."""
	skip = ("/frappe/database/", "/frappe/query_builder/", "/frappe/model/db_query", "/pypika/")
	for frame in reversed(traceback.extract_stack()[:-2]):
		if not any(part in frame.filename for part in skip):
			return "/".join(frame.filename.split("/")[-2:]) + ":" + frame.name
	return "?"


# where a desk request is when it queries: the step of frappe.app.application it is in
REQUEST_STEPS = {
	"init_request": "before the report: the request's session and user (frappe.app init_request)",
	"validate_auth": "before the report: authentication (frappe.app validate_auth)",
	"handle": "the API handler outside query_report.run's read_only() (e.g. execute_cmd's server scripts)",
}


def request_step(stack: list) -> str:
	"""Why a desk request's query ran on the primary, from its call stack."""
	names = [(frame.filename, frame.name) for frame in stack]
	if any(f.endswith("desk/query_report.py") and n == "run" for f, n in names):
		return "inside query_report.run: the report's (belongs on the replica)"
	steps = [
		i + 1 for i, (f, n) in enumerate(names[:-1]) if f.endswith("frappe/app.py") and n == "application"
	]
	if not steps:
		return "outside a request"
	step = names[steps[-1]][1]  # the innermost application(): the outer ones are WSGI wrappers
	return REQUEST_STEPS.get(step, f"after the report: Frappe's {step}")


def desk_requests(frappe, site: str, primary, replica, reports: list[str]) -> list[str]:
	"""Sales Funnel and Sales Forecast as the desk asks for them (frappe.desk.query_report.run, logged
	in as Administrator) through frappe.app in this process: after login, warm, and after
	frappe.clear_cache(). Prints each round's SELECTs per server (Com_select) and the primary's ones
	grouped by the request step they came from (the requests' queries traced in this process, the
	rest of the primary's Com_select put down to other connections); returns the report queries
	that ran on the primary."""
	from werkzeug.test import Client

	from frappe.app import application
	from frappe.database.database import Database

	client, headers = Client(application), {"X-Frappe-Site-Name": site, "Accept": "application/json"}

	def get(path, **kwargs):
		# buffered: the response is closed, so the request ends with frappe.destroy() as under
		# gunicorn (otherwise frappe.local and its replica connection live on into the next request)
		response = client.open(path, headers=headers, buffered=True, **kwargs)
		assert response.status_code == 200, response.get_data(as_text=True)[:300]

	get("/api/method/login", method="POST", json={"usr": "Administrator", "pwd": "admin"})
	on_primary, sql = [], Database.sql

	def traced(db, query, *args, **kwargs):
		if db is not getattr(frappe.local, "replica_db", None) and is_select(str(query)):
			stack = traceback.extract_stack()[:-1]
			on_primary.append((shape(" ".join(str(query).split())), request_step(stack)))
		return sql(db, query, *args, **kwargs)

	report_reads = []
	for label in ("first after login", "warm", "after frappe.clear_cache()"):
		if label.startswith("after"):
			frappe.connect(site)
			frappe.clear_cache()
			frappe.destroy()
		before, on_primary[:] = (com_select(primary), com_select(replica)), []
		Database.sql = traced
		try:
			for report in reports:
				get(
					"/api/method/frappe.desk.query_report.run",
					query_string={"report_name": report, "filters": "{}"},
				)
		finally:
			Database.sql = sql
		after = (com_select(primary), com_select(replica))
		if untraced := after[0] - before[0] - len(on_primary):
			on_primary += [("(not traced)", "other connections than these requests'")] * untraced
		show(f"{label}: Com_select replica / primary", f"{after[1] - before[1]} / {after[0] - before[0]}")
		by_step: dict[str, Counter] = {}
		for statement, step in on_primary:
			by_step.setdefault(step, Counter())[statement] += 1
		for step, statements in sorted(by_step.items(), key=lambda item: -item[1].total()):
			print(f"    {statements.total():>3}  {step}")
			for statement, n in statements.most_common(3):
				print(f"           {n:>3} × {statement}")
			if len(statements) > 3:
				print(f"               … {len(statements) - 3} more kinds")
		report_reads += [s for s, step in on_primary if step.startswith("inside")]
	return report_reads


def primary_reads(log, connects, ours, site_user: str) -> list[tuple[str, list[str]]]:
	"""The primary's SELECTs during the reports grouped by why they were not the replica's, told by
	the connection that sent them: the two requests' own (the reports' queries on it are traced
	separately), the replica's I/O thread, another process of the site, or anyone else."""
	groups: dict[str, list[str]] = {}
	for thread, statement in log:
		user = connects.get(thread, "").split("@")[0]
		if thread in ours:
			reason = "the requests' own primary connection (the reports' reads on it: listed above)"
		elif user == "repl":
			reason = "replication: the replica's I/O thread (re)connecting, not the reports'"
		elif user == site_user:
			reason = "another process of this site (RQ worker, scheduler, web worker), not these requests"
		elif user:
			reason = f"another client ({user}), not these requests"
		else:
			reason = "a connection opened before the reports ran: another client, not these requests"
		groups.setdefault(reason, []).append(statement)
	return sorted(groups.items(), key=lambda item: -len(item[1]))


def show(label: str, value):
	print(f"  {label:<58} {value}")


def main():
	site = connect()
	import frappe

	from sales_process.domain import stage_history
	from sales_process.reports import pipeline
	from sales_process.sales_process.report.sales_forecast import sales_forecast
	from sales_process.sales_process.report.sales_funnel import sales_funnel
	from tests.factories import bulk_opportunities

	primary, replica = root(os.environ["SP_PRIMARY_SOCK"]), root(os.environ["SP_REPLICA_SOCK"])
	conf = frappe.conf
	print(
		f"site {site}: db {conf.db_host}:{conf.db_port}, read_from_replica={conf.read_from_replica}, "
		f"replica {conf.replica_host}:{conf.replica_db_port}"
	)

	def wait_for_replica(timeout=60):
		pos = one(primary, "select @@gtid_binlog_pos")[0]
		t0 = time.perf_counter()
		status = one(replica, f"select master_gtid_wait('{pos}', {timeout})")[0]
		return pos, status, time.perf_counter() - t0

	def request(fn, replica: bool = True, trace: dict | None = None):
		"""Run `fn` the way one web request does: in a fresh frappe.local. (Frappe v15's read_only()
		leaves local.replica_db behind after the first call, so within one request — or one script
		context — only the first read_only() call goes to the replica; each request starts anew.)
		With `trace`, note this request's primary connection (its server thread id) and every
		query `fn` sends through it, with the caller."""
		frappe.destroy()
		connect(site)
		if not replica:
			frappe.local.conf.read_from_replica = 0
		if trace is None:
			return fn()
		db = frappe.local.db

		def sql(query, *args, **kwargs):
			trace["calls"].append((str(query), caller()))
			return type(db).sql(db, query, *args, **kwargs)

		db.sql = sql  # on this connection object only, as frappe.recorder does
		try:
			return fn()
		finally:
			del db.sql
			if db._conn:  # Frappe connects on the first query: none when all went to the replica
				trace["threads"].add(db._conn.thread_id())

	def on_replica(fn):
		return request(frappe.read_only()(fn))

	def rows_of(result):
		return json.loads(json.dumps(result[1], default=str, sort_keys=True))

	where = lambda: frappe.db.sql("select @@server_id, @@port, @@read_only")[0]  # noqa: E731
	print("\n1. Where the connection points")
	show("plain frappe.db (primary): server_id, port, read_only", where())
	show("inside @frappe.read_only(): server_id, port, read_only", on_replica(where))
	show(
		"a second read_only() call in the same context",
		f"{frappe.read_only()(where)()} (frappe v15 keeps the first call's state)",
	)
	refused = False
	try:
		on_replica(lambda: frappe.db.sql("insert into `tabToDo` (name, description) values ('x', 'x')"))
		show("a write through the replica connection", "accepted (unexpected!)")
	except Exception as e:
		refused = True
		show("a write through the replica connection", f"refused: {str(e)[:70]}")
	frappe.db.rollback()

	pos, status, waited = wait_for_replica()
	print("\n2. The reports' SQL runs on the replica")
	show("replica caught up with primary GTID", f"{pos} (wait {status}, {waited * 1000:.0f} ms)")
	start_log(primary)
	start_log(replica)
	trace = {"threads": set(), "calls": []}
	before = {"primary": com_select(primary), "replica": com_select(replica)}
	request(lambda: sales_funnel.execute({}), trace=trace)
	request(lambda: sales_forecast.execute({}), trace=trace)
	after = {"primary": com_select(primary), "replica": com_select(replica)}
	(primary_log, connects), (replica_log, _) = stop_log(primary), stop_log(replica)
	show("Com_select on the replica during Sales Funnel + Forecast", after["replica"] - before["replica"])
	stage_summary = [s for _, s in replica_log if stage_history.SUMMARY in s or stage_history.TOTALS in s]
	show("  of them reading the stage summary (general log)", len(stage_summary))
	if stage_summary:
		print("    e.g. " + stage_summary[-1][:150] + " …")
	show("Com_select on the primary during Sales Funnel + Forecast", after["primary"] - before["primary"])
	report_reads = [(q, where) for q, where in trace["calls"] if is_select(q)]
	show("  of them sent by the reports (outside read_only)", len(report_reads))
	for (statement, where), n in Counter((shape(" ".join(q.split())), w) for q, w in report_reads).items():
		print(f"    {n:>3} × {where}: {statement}")
	print("  the primary's other SELECTs (general log), with their reason:")
	for reason, statements in primary_reads(primary_log, connects, trace["threads"], conf.db_name):
		print(f"    {len(statements):>3}  {reason}")
		for statement, n in Counter(shape(s) for s in statements).most_common(5):
			print(f"           {n:>3} × {statement}")
	if not primary_log:
		print("      none")

	print("\n   The same two reports as desk requests (query_report.run through frappe.app):")
	desk_reads = desk_requests(frappe, site, primary, replica, ["Sales Funnel", "Sales Forecast"])
	connect(site)

	print("\n3. A row written on the primary while replication is paused")
	opportunities = frappe.db.count("Sales Opportunity")
	customer, sales_person = frappe.db.get_value("Sales Opportunity", {}, ["customer", "sales_person"])
	stage = pipeline.stages()[0].name
	one(replica, "stop slave sql_thread")
	bulk_opportunities(
		[
			{
				"name": "SOPP-REPLICA-DEMO",
				"customer": customer,
				"sales_person": sales_person,
				"stage": stage,
				"amount": 1_000_000,
				"stage_entered_at": frappe.utils.now_datetime(),
			}
		]
	)
	frappe.db.commit()

	def opp_count(rows):
		return sum(r["count"] for r in rows)

	counts = [
		opportunities,
		opp_count(request(lambda: sales_funnel.execute({}))[1]),
		opp_count(request(lambda: sales_funnel.execute({}), False)[1]),
	]
	show("opportunities before the insert", counts[0])
	show("Sales Funnel on the replica (replication paused)", counts[1])
	show("Sales Funnel on the primary", counts[2])
	one(replica, "start slave sql_thread")
	pos, status, waited = wait_for_replica()
	show("replication resumed; replica caught up", f"{pos} in {waited * 1000:.0f} ms")
	counts.append(opp_count(request(lambda: sales_funnel.execute({}))[1]))
	show("Sales Funnel on the replica", counts[3])
	paused = counts == [opportunities, opportunities, opportunities + 1, opportunities + 1]

	print("\n4. Same results on the replica and on the primary")
	funnel_replica = request(lambda: sales_funnel.execute({}))
	forecast_replica = request(lambda: sales_forecast.execute({}))
	funnel_primary = request(lambda: sales_funnel.execute({}), replica=False)
	forecast_primary = request(lambda: sales_forecast.execute({}), replica=False)
	same_funnel = rows_of(funnel_replica) == rows_of(funnel_primary)
	same_forecast = rows_of(forecast_replica) == rows_of(forecast_primary)
	show("Sales Funnel rows identical", f"{same_funnel} ({len(funnel_primary[1])} rows)")
	show("Sales Forecast rows identical", f"{same_forecast} ({len(forecast_primary[1])} rows)")
	show(
		"funnel total amount replica / primary",
		f"{sum(r['amount'] for r in funnel_replica[1]):,.2f} / {sum(r['amount'] for r in funnel_primary[1]):,.2f}",
	)
	frappe.db.sql("delete from `tabSales Opportunity` where name = 'SOPP-REPLICA-DEMO'")
	frappe.db.commit()
	wait_for_replica()
	show(
		"demo row removed again; funnel on the replica",
		opp_count(request(lambda: sales_funnel.execute({}))[1]),
	)
	frappe.destroy()
	checks = {
		"writes refused": refused,
		"no report reads on the primary": not report_reads and not desk_reads,
		"paused replica behind, then caught up": paused,
		"funnel rows identical": same_funnel,
		"forecast rows identical": same_forecast,
	}
	ok = all(checks.values())
	if ok:
		print("\nRESULT: reports read from the replica and match the primary")
	else:
		print("\nRESULT: FAILED: " + ", ".join(name for name, passed in checks.items() if not passed))
	sys.exit(0 if ok else 1)


if __name__ == "__main__":
	main()
