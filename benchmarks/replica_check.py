"""The replica half of benchmarks/replica.sh: shows that the reports read from the MariaDB replica
and that they give the same results there as on the primary.

Needs the site's `read_from_replica`, `replica_host`, `replica_db_port` set, and the two servers'
sockets (SP_PRIMARY_SOCK, SP_REPLICA_SOCK) for root-level status queries; replica.sh provides both.
"""

import json
import os
import sys
import time

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


def show(label: str, value):
	print(f"  {label:<58} {value}")


def main():
	site = connect()
	import frappe

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

	def request(fn, replica: bool = True):
		"""Run `fn` the way one web request does: in a fresh frappe.local. (Frappe v15's read_only()
		leaves local.replica_db behind after the first call, so within one request — or one script
		context — only the first read_only() call goes to the replica; each request starts anew.)"""
		frappe.destroy()
		connect(site)
		if not replica:
			frappe.local.conf.read_from_replica = 0
		return fn()

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
	try:
		on_replica(lambda: frappe.db.sql("insert into `tabToDo` (name, description) values ('x', 'x')"))
		show("a write through the replica connection", "accepted (unexpected!)")
	except Exception as e:
		show("a write through the replica connection", f"refused: {str(e)[:70]}")
	frappe.db.rollback()

	pos, status, waited = wait_for_replica()
	print("\n2. The reports' SQL runs on the replica")
	show("replica caught up with primary GTID", f"{pos} (wait {status}, {waited * 1000:.0f} ms)")
	log = os.environ["SP_REPLICA_SOCK"].replace(".sock", "-general.log")
	if os.path.exists(log):
		open(log, "w").close()  # this run's statements only
	one(replica, "set global general_log = 1")
	before = {"primary": com_select(primary), "replica": com_select(replica)}
	request(lambda: sales_funnel.execute({}))
	request(lambda: sales_forecast.execute({}))
	after = {"primary": com_select(primary), "replica": com_select(replica)}
	one(replica, "set global general_log = 0")
	for server in ("primary", "replica"):
		show(f"Com_select on the {server} during Sales Funnel + Forecast", after[server] - before[server])
	if os.path.exists(log):
		with open(log, errors="replace") as f:
			lines = [line for line in f if "tabOpportunity Stage Log" in line]
		show("replica general log lines reading `tabOpportunity Stage Log`", len(lines))
		if lines:
			print("    e.g. " + " ".join(lines[-1].split())[:150] + " …")

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

	show("opportunities before the insert", opportunities)
	show(
		"Sales Funnel on the replica (replication paused)",
		opp_count(request(lambda: sales_funnel.execute({}))[1]),
	)
	show("Sales Funnel on the primary", opp_count(request(lambda: sales_funnel.execute({}), False)[1]))
	one(replica, "start slave sql_thread")
	pos, status, waited = wait_for_replica()
	show("replication resumed; replica caught up", f"{pos} in {waited * 1000:.0f} ms")
	show("Sales Funnel on the replica", opp_count(request(lambda: sales_funnel.execute({}))[1]))

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
	ok = same_funnel and same_forecast
	print("\nRESULT: " + ("reports read from the replica and match the primary" if ok else "MISMATCH"))
	sys.exit(0 if ok else 1)


if __name__ == "__main__":
	main()
