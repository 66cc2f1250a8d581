"""G8: "Lead Source Analysis" and "Lead Pool Statistics" (sales_process.reports.leads) against
hand-computed numbers and independent SQL.

Leads and their log rows are written in bulk straight into the tables (the reports read what the
process wrote; how it got there is tested with the process): a hand-built case whose every number is
worked out below, then a seeded random mix, interleaved in insertion order, whose totals are compared
with sums written here in raw SQL. Everything happens in the test's transaction.
"""

import random
from datetime import timedelta

import pytest

import frappe
from frappe.utils import add_days, get_datetime, getdate, now_datetime

from sales_process.domain.bulk import insert_autoincrement
from sales_process.domain.settings import get_settings
from sales_process.reports import leads
from sales_process.sales_process.report.lead_pool_statistics import lead_pool_statistics
from sales_process.sales_process.report.lead_source_analysis import lead_source_analysis
from tests.factories import bulk_opportunities

LEAD_FIELDS = [
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"naming_series",
	"company_name",
	"lead_name",
	"source",
	"territory",
	"sales_person",
	"pool",
	"status",
	"score",
	"held_since",
	"last_contact_at",
	"opportunity",
]
LOG_FIELDS = [
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
	"lead",
	"action",
	"at",
	"by_user",
	"from_sales_person",
	"to_sales_person",
	"pool",
	"reason",
]


# --- bulk data ------------------------------------------------------------------------------------------


def insert_leads(rows: list[dict]) -> None:
	defaults = {"owner": "Administrator", "modified_by": "Administrator", "naming_series": "SLEAD-.YYYY.-"}
	frappe.db.bulk_insert(
		"Sales Lead",
		LEAD_FIELDS,
		[
			tuple(
				{**defaults, "modified": r["creation"], "company_name": r["name"], "score": 0, **r}.get(c)
				for c in LEAD_FIELDS
			)
			for r in rows
		],
	)


def insert_log(rows: list[dict]) -> None:
	"""rows: lead, action, at, from_sp, to_sp, pool."""
	insert_autoincrement(
		"Sales Lead Log",
		LOG_FIELDS,
		[
			(
				r["at"],
				r["at"],
				"Administrator",
				"Administrator",
				0,
				0,
				r["lead"],
				r["action"],
				r["at"],
				"Administrator",
				r.get("from_sp"),
				r.get("to_sp"),
				r.get("pool"),
				None,
			)
			for r in rows
		],
	)


def make_source(factory) -> str:
	return (
		frappe.get_doc({"doctype": "Sales Lead Source", "source_name": factory.unique("Source"), "score": 5})
		.insert(ignore_permissions=True)
		.name
	)


def make_pool(factory, claimable_by=None) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Sales Lead Pool",
				"pool_name": factory.unique("Pool"),
				"enabled": 1,
				"claimable_by": claimable_by,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_territories(factory) -> tuple[str, str, str]:
	"""A territory group with two territories below it (the reports filter by the group)."""
	root = frappe.db.get_value("Territory", {"parent_territory": ("in", ("", None))}, "name")
	group = (
		frappe.get_doc(
			{
				"doctype": "Territory",
				"territory_name": factory.unique("Region"),
				"parent_territory": root,
				"is_group": 1,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
	children = [
		frappe.get_doc(
			{"doctype": "Territory", "territory_name": factory.unique("City"), "parent_territory": group}
		)
		.insert(ignore_permissions=True)
		.name
		for _ in range(2)
	]
	return group, children[0], children[1]


def opportunity(name, customer, sales_person, status, amount, created):
	stage = {"Won": "赢单", "Lost": "输单"}.get(status, "线索确认")
	bulk_opportunities(
		[
			{
				"name": name,
				"creation": created,
				"customer": customer,
				"status": status,
				"sales_person": sales_person,
				"stage": stage,
				"stage_entered_at": created,
				"amount": amount,
			}
		]
	)


@pytest.fixture
def case(factory):
	"""The hand-built case. Two sources, two territories (one group), a team lead ─ rep, rep2 and an
	outsider elsewhere in the tree; one pool. t0 is 30 days ago."""
	team = factory.team()
	outsider = factory.sales_person(is_group=False).name
	s1, s2 = make_source(factory), make_source(factory)
	group, t1, t2 = make_territories(factory)
	pool = make_pool(factory)
	customer = factory.customer()
	now = now_datetime()
	t0 = get_datetime(add_days(now, -30)).replace(microsecond=0)
	month = t0.strftime("%Y-%m")
	tag = frappe.generate_hash(length=6)

	def at(days):
		return t0 + timedelta(days=days)

	# won / open opportunities of the converted leads
	opportunity(f"SOPP-LR-{tag}-1", customer, team.rep, "Won", 50000, at(10))
	opportunity(f"SOPP-LR-{tag}-2", customer, team.rep, "Open", 99000, at(4))
	opportunity(f"SOPP-LR-{tag}-3", customer, team.rep2, "Won", 20000, at(6))

	def lead(n, source, territory, status, holder=None, contact=None, opp=None):
		return {
			"name": f"SLEAD-LR-{tag}-{n}",
			"creation": t0,
			"source": source,
			"territory": territory,
			"sales_person": holder,
			"pool": pool,
			"status": status,
			"held_since": t0 if holder else None,
			"last_contact_at": contact,
			"opportunity": opp,
		}

	# S1 in t1: New (pool), Contacted (rep), Converted (rep, won 50,000 after 10 days), Disqualified
	# S2 in t2: Qualified (rep2), Converted (rep, open opp, 4 days), Converted (rep2, won 20,000, 6 days)
	# and one more S2 lead of the outsider, in t2 too: counted for managers, not for the team lead
	rows = [
		lead(1, s1, t1, "New"),
		lead(2, s1, t1, "Contacted", team.rep, contact=at(1)),
		lead(3, s1, t1, "Converted", team.rep, contact=at(2), opp=f"SOPP-LR-{tag}-1"),
		lead(4, s1, t1, "Disqualified"),
		lead(5, s2, t2, "Qualified", team.rep2, contact=at(3)),
		lead(6, s2, t2, "Converted", team.rep, opp=f"SOPP-LR-{tag}-2"),
		lead(7, s2, t2, "Converted", team.rep2, opp=f"SOPP-LR-{tag}-3"),
		lead(8, s2, t2, "New", outsider),
	]
	insert_leads(rows)
	name = {i: f"SLEAD-LR-{tag}-{i}" for i in range(1, 9)}
	insert_log(
		[
			# lead 1: in the pool, claimed by rep after 2 days, released a day later, claimed by rep2
			# after 2 more days, released again at day 7 (in the pool now, since day 7)
			{"lead": name[1], "action": "Create", "at": at(0), "pool": pool},
			{"lead": name[1], "action": "Claim", "at": at(2), "to_sp": team.rep, "pool": pool},
			{"lead": name[1], "action": "Release", "at": at(3), "from_sp": team.rep, "pool": pool},
			{"lead": name[1], "action": "Claim", "at": at(5), "to_sp": team.rep2, "pool": pool},
			{"lead": name[1], "action": "Release", "at": at(7), "from_sp": team.rep2, "pool": pool},
			# lead 2: in the pool, assigned to rep after 1 day
			{"lead": name[2], "action": "Create", "at": at(0), "pool": pool},
			{"lead": name[2], "action": "Assign", "at": at(1), "to_sp": team.rep, "pool": pool},
			# lead 3: entered by rep, converted at day 10 (a second Convert row later must not count)
			{"lead": name[3], "action": "Create", "at": at(0), "to_sp": team.rep, "pool": pool},
			{"lead": name[3], "action": "Convert", "at": at(10), "from_sp": team.rep, "to_sp": team.rep},
			# lead 4: in the pool, disqualified after a day
			{"lead": name[4], "action": "Create", "at": at(0), "pool": pool},
			{"lead": name[4], "action": "Disqualify", "at": at(1), "pool": pool},
			# lead 5: claimed by rep2 after 3 days; then returned by the stale-lead job at day 20 and
			# claimed again by rep2 at day 24 (4 days in the pool)
			{"lead": name[5], "action": "Create", "at": at(0), "pool": pool},
			{"lead": name[5], "action": "Claim", "at": at(3), "to_sp": team.rep2, "pool": pool},
			{"lead": name[5], "action": "Return", "at": at(20), "from_sp": team.rep2, "pool": pool},
			{"lead": name[5], "action": "Claim", "at": at(24), "to_sp": team.rep2, "pool": pool},
			# leads 6, 7: converted after 4 and 6 days
			{"lead": name[6], "action": "Create", "at": at(0), "to_sp": team.rep, "pool": pool},
			{"lead": name[6], "action": "Convert", "at": at(4), "from_sp": team.rep, "to_sp": team.rep},
			{"lead": name[7], "action": "Create", "at": at(0), "to_sp": team.rep2, "pool": pool},
			{"lead": name[7], "action": "Convert", "at": at(6), "from_sp": team.rep2, "to_sp": team.rep2},
			{"lead": name[3], "action": "Convert", "at": at(15), "from_sp": team.rep, "to_sp": team.rep},
			# lead 8: the outsider's own
			{"lead": name[8], "action": "Create", "at": at(0), "to_sp": outsider, "pool": pool},
		]
	)
	return frappe._dict(
		team=team,
		outsider=outsider,
		s1=s1,
		s2=s2,
		group=group,
		t1=t1,
		t2=t2,
		pool=pool,
		t0=t0,
		month=month,
		now=now,
		name=name,
		period={"from_date": str(getdate(t0)), "to_date": str(getdate(now))},
	)


def by(rows, key):
	return {r[key]: r for r in rows}


# --- Lead Source Analysis ------------------------------------------------------------------------------


def test_source_analysis_by_source_is_hand_computed(case):
	rows = by(leads.source_analysis({"group_by": "Source", "territory": case.group, **case.period}), "source")
	assert set(rows) == {case.s1, case.s2}
	s1, s2 = rows[case.s1], rows[case.s2]
	assert {k: s1[k] for k in ("leads", "contacted", "qualified", "converted", "disqualified")} == {
		"leads": 4,
		"contacted": 2,  # Contacted, Converted (New and Disqualified without a contact)
		"qualified": 1,  # Converted
		"converted": 1,
		"disqualified": 1,
	}
	assert s1["conversion_rate"] == 25.0
	assert s1["avg_days_to_convert"] == 10.0  # the first Convert row, not the one at day 15
	assert (s1["won_opportunities"], s1["won_amount"]) == (1, 50000)

	# S2: the team's three leads and the outsider's New lead
	assert {k: s2[k] for k in ("leads", "contacted", "qualified", "converted", "disqualified")} == {
		"leads": 4,
		"contacted": 3,  # Qualified (contact at day 3), two Converted
		"qualified": 3,
		"converted": 2,
		"disqualified": 0,
	}
	assert s2["conversion_rate"] == 50.0
	assert s2["avg_days_to_convert"] == 5.0  # (4 + 6) / 2
	assert (s2["won_opportunities"], s2["won_amount"]) == (1, 20000)  # the open 99,000 is not won


def test_source_analysis_groups_by_source_territory_and_month(case):
	rows = leads.source_analysis({"territory": case.group, **case.period})
	keyed = {(r["source"], r["territory"], r["month"]): r for r in rows}
	assert set(keyed) == {(case.s1, case.t1, case.month), (case.s2, case.t2, case.month)}
	by_territory = by(
		leads.source_analysis({"group_by": "Territory", "territory": case.group, **case.period}), "territory"
	)
	assert {t: r["leads"] for t, r in by_territory.items()} == {case.t1: 4, case.t2: 4}
	by_month = leads.source_analysis({"group_by": "Month", "territory": case.group, **case.period})
	assert [(r["month"], r["leads"], r["converted"], r["won_amount"]) for r in by_month] == [
		(case.month, 8, 3, 70000)
	]
	# a period that ends before the leads were created holds none of them
	before = str(add_days(getdate(case.t0), -1))
	assert leads.source_analysis({"territory": case.group, "to_date": before}) == []


def test_source_analysis_scope_and_filters(case):
	"""A1: the team lead counts the team's leads and the pool's (a pool anyone may claim from), not
	the outsider's; the person filter takes the subtree."""
	lead_user = frappe.db.get_value(
		"Employee", frappe.db.get_value("Sales Person", case.team.lead, "employee"), "user_id"
	)
	mine = by(
		leads.source_analysis({"group_by": "Source", "territory": case.group, **case.period}, user=lead_user),
		"source",
	)
	assert mine[case.s2]["leads"] == 3  # not the outsider's lead 8
	assert mine[case.s1]["leads"] == 4  # leads 1 and 4 wait in a pool open to everyone
	person = by(
		leads.source_analysis(
			{"group_by": "Source", "territory": case.group, "sales_person": case.team.lead, **case.period}
		),
		"source",
	)
	assert (person[case.s1]["leads"], person[case.s2]["leads"]) == (2, 3)  # held by rep / rep2 only
	only = leads.source_analysis({"group_by": "Source", "source": case.s2, **case.period})
	assert [r["source"] for r in only] == [case.s2]
	with pytest.raises(frappe.ValidationError):
		leads.source_analysis({"group_by": "Colour"})


def test_source_report_execute_has_chart_and_summary(case):
	columns, rows, _message, chart, summary = lead_source_analysis.execute(
		frappe._dict({"group_by": "Source", "territory": case.group, **case.period})
	)
	assert [c["fieldname"] for c in columns][:2] == ["source", "leads"]
	assert len(rows) == 2
	assert chart["type"] == "axis-mixed"
	datasets = {d["name"]: d["values"] for d in chart["data"]["datasets"]}
	assert sorted(datasets["Leads"]) == [4, 4] and sorted(datasets["Converted"]) == [1, 2]
	values = {s["label"]: s["value"] for s in summary}
	assert (values["Leads"], values["Converted"], values["Won Amount"]) == (8, 3, 70000)
	assert values["Conversion Rate (%)"] == 37.5


# --- Lead Pool Statistics -------------------------------------------------------------------------------


def test_pool_statistics_per_person_is_hand_computed(case):
	rows = by(leads.pool_statistics({"pool": case.pool, **case.period}), "sales_person")
	rep, rep2 = rows[case.team.rep], rows[case.team.rep2]
	counts = ("claimed", "assigned", "released", "returned", "converted", "disqualified")
	assert {k: rep[k] for k in counts} == {
		"claimed": 1,
		"assigned": 1,
		"released": 1,
		"returned": 0,
		"converted": 3,  # leads 3 (two Convert rows) and 6
		"disqualified": 0,
	}
	assert {k: rep2[k] for k in counts} == {
		"claimed": 3,  # lead 1 once, lead 5 twice
		"assigned": 0,
		"released": 1,
		"returned": 1,
		"converted": 1,
		"disqualified": 0,
	}
	assert rep["avg_days_in_pool"] == 1.5  # lead 1 waited 2 days, lead 2 1 day
	assert rep2["avg_days_in_pool"] == 3.0  # lead 1: 2 days after rep's release; lead 5: 3, then 4
	# held now: rep leads 2 (Contacted); rep2 lead 5 (Qualified); converted ones do not count
	assert (rep["held"], rep2["held"]) == (1, 1)
	assert rows[case.outsider]["held"] == 1
	assert rep["hold_limit"] == get_settings().lead_hold_limit


def test_pool_statistics_per_pool_is_hand_computed(case):
	rows = leads.pool_statistics({"view": "Pool", "pool": case.pool, **case.period})
	assert len(rows) == 1
	row = rows[0]
	assert row["pool"] == case.pool
	assert {
		k: row[k] for k in ("claimed", "assigned", "released", "returned", "converted", "disqualified")
	} == {"claimed": 4, "assigned": 1, "released": 2, "returned": 1, "converted": 4, "disqualified": 1}
	# waits before a claim or an assignment out of the pool: 2, 2, 3, 4 (claims) and 1 (assign)
	assert row["avg_days_in_pool"] == round((2 + 2 + 3 + 4 + 1) / 5, 1)
	# in the pool now: lead 1 (since its release at day 7); held: leads 2, 5, 8
	assert (row["in_pool"], row["held"]) == (1, 3)
	expected_wait = (case.now - (case.t0 + timedelta(days=7))).total_seconds() / 86400
	assert abs(row["avg_days_waiting"] - expected_wait) < 0.2


def test_pool_statistics_scope_and_period(case):
	lead_user = frappe.db.get_value(
		"Employee", frappe.db.get_value("Sales Person", case.team.lead, "employee"), "user_id"
	)
	mine = by(leads.pool_statistics({"pool": case.pool, **case.period}, user=lead_user), "sales_person")
	assert case.outsider not in mine and {case.team.rep, case.team.rep2} <= set(mine)
	# a period of days 4 to 21 (t0 + 4 … t0 + 21): rep2's claim of lead 1 (day 5) and its release
	# (day 7), lead 5's return (day 20); lead 3's first conversion is at day 10
	window = {
		"pool": case.pool,
		"from_date": str(getdate(case.t0 + timedelta(days=4))),
		"to_date": str(getdate(case.t0 + timedelta(days=21))),
	}
	rows = by(leads.pool_statistics(window), "sales_person")
	assert (rows[case.team.rep2]["claimed"], rows[case.team.rep2]["released"]) == (1, 1)
	assert rows[case.team.rep2]["returned"] == 1
	assert rows[case.team.rep]["converted"] == 3  # lead 6 at day 4, lead 3 at days 10 and 15
	with pytest.raises(frappe.ValidationError):
		leads.pool_statistics({"view": "Planet"})


def test_pool_report_execute(case):
	columns, rows, _message, chart, summary = lead_pool_statistics.execute(
		frappe._dict({"view": "Pool", "pool": case.pool, **case.period})
	)
	assert columns[0]["fieldname"] == "pool" and rows[0]["in_pool"] == 1
	assert chart["data"]["labels"] == [case.pool]
	values = {s["label"]: s["value"] for s in summary}
	assert (values["In Pool Now"], values["Claimed"], values["Returned to Pool"]) == (1, 4, 1)


# --- a random mix against independent SQL --------------------------------------------------------------


def test_totals_match_independent_sql(factory):
	rng = random.Random(20261201)
	team = factory.team()
	people = [team.rep, team.rep2, team.lead]
	sources = [make_source(factory) for _ in range(3)]
	group, t1, t2 = make_territories(factory)
	pools = [make_pool(factory), make_pool(factory)]
	customer = factory.customer()
	now = now_datetime().replace(microsecond=0)
	tag = frappe.generate_hash(length=6)
	statuses = ["New", "Contacted", "Qualified", "Converted", "Disqualified"]
	lead_rows, log_rows, opps = [], [], []
	for i in range(240):  # sources, territories and months interleaved in insertion order
		created = now - timedelta(days=rng.randint(1, 150), hours=rng.randint(0, 23))
		status = rng.choice(statuses)
		holder = rng.choice([None, *people]) if status != "Converted" else rng.choice(people)
		opp = None
		if status == "Converted":
			opp = f"SOPP-LRR-{tag}-{i}"
			opps.append(
				(opp, holder, rng.choice(["Won", "Open", "Lost"]), rng.randint(1, 90) * 1000, created)
			)
		name = f"SLEAD-LRR-{tag}-{i}"
		pool = pools[i % 2]
		lead_rows.append(
			{
				"name": name,
				"creation": created,
				"source": sources[i % 3],
				"territory": (t1, t2)[i % 2 == 0 and i % 3 != 0],
				"sales_person": holder,
				"pool": pool,
				"status": status,
				"held_since": created if holder else None,
				"last_contact_at": created + timedelta(days=1) if rng.random() < 0.3 else None,
				"opportunity": opp,
			}
		)
		log_rows.append({"lead": name, "action": "Create", "at": created, "pool": pool})
		at = created
		for _ in range(rng.randint(0, 4)):
			at += timedelta(hours=rng.randint(1, 200))
			action = rng.choice(["Claim", "Assign", "Release", "Return"])
			who = rng.choice(people)
			if action in ("Claim", "Assign"):
				log_rows.append({"lead": name, "action": action, "at": at, "to_sp": who, "pool": pool})
			else:
				log_rows.append({"lead": name, "action": action, "at": at, "from_sp": who, "pool": pool})
		if status in ("Converted", "Disqualified"):
			at += timedelta(hours=rng.randint(1, 100))
			action = "Convert" if status == "Converted" else "Disqualify"
			log_rows.append(
				{"lead": name, "action": action, "at": at, "from_sp": holder, "to_sp": holder, "pool": pool}
			)
	for opp, holder, status, amount, created in opps:
		opportunity(opp, customer, holder, status, amount, created)
	insert_leads(lead_rows)
	rng.shuffle(log_rows)  # insertion order must not matter
	insert_log(log_rows)

	# the later moves of the newest leads lie ahead: a period reaching past them
	period = {
		"from_date": str(getdate(now - timedelta(days=400))),
		"to_date": str(getdate(now + timedelta(days=60))),
	}
	names = [r["name"] for r in lead_rows]
	sql_total = frappe.db.sql(
		"""select count(*), sum(l.status = 'Converted'), sum(l.status in ('Contacted', 'Qualified', 'Converted')
			or l.last_contact_at is not null), sum(l.status in ('Qualified', 'Converted')),
			coalesce(sum(case when l.status = 'Converted' and o.status = 'Won' then o.amount end), 0)
		from `tabSales Lead` l left join `tabSales Opportunity` o on o.name = l.opportunity
		where l.name in %(names)s""",
		{"names": names},
	)[0]
	for group_by in leads.SOURCE_GROUPINGS:
		rows = leads.source_analysis({"group_by": group_by, "territory": group, **period})
		got = (
			sum(r["leads"] for r in rows),
			sum(r["converted"] for r in rows),
			sum(r["contacted"] for r in rows),
			sum(r["qualified"] for r in rows),
			sum(r["won_amount"] for r in rows),
		)
		assert got == tuple(int(x or 0) for x in sql_total[:4]) + (float(sql_total[4]),), group_by
	# per source: the count of each source straight from SQL
	per_source = dict(
		frappe.db.sql(
			"select source, count(*) from `tabSales Lead` where name in %(names)s group by source",
			{"names": names},
		)
	)
	rows = leads.source_analysis({"group_by": "Source", "territory": group, **period})
	assert {r["source"]: r["leads"] for r in rows} == per_source

	# pool statistics: each action's count per pool, and the holdings, from SQL
	per_pool_sql = {
		(pool, action): n
		for pool, action, n in frappe.db.sql(
			"""select pool, action, count(*) from `tabSales Lead Log` where lead in %(names)s
			group by pool, action""",
			{"names": names},
		)
	}
	for pool in pools:
		(row,) = leads.pool_statistics({"view": "Pool", "pool": pool, **period})
		for action, column in leads.POOL_ACTIONS.items():
			assert row[column] == per_pool_sql.get((pool, action), 0), (pool, action)
		waiting, held = frappe.db.sql(
			"""select sum(sales_person is null), sum(sales_person is not null) from `tabSales Lead`
			where name in %(names)s and pool = %(pool)s and status not in ('Converted', 'Disqualified')""",
			{"names": names, "pool": pool},
		)[0]
		assert (row["in_pool"], row["held"]) == (int(waiting or 0), int(held or 0))
	claims_sql = dict(
		frappe.db.sql(
			"""select to_sales_person, count(*) from `tabSales Lead Log` where lead in %(names)s
			and action = 'Claim' group by to_sales_person""",
			{"names": names},
		)
	)
	people_rows = by(leads.pool_statistics({"sales_person": team.head, **period}), "sales_person")
	assert {sp: r["claimed"] for sp, r in people_rows.items() if r["claimed"]} == claims_sql
	# the average wait in the pool, from a self-join instead of the window function
	wait = frappe.db.sql(
		"""select avg(timestampdiff(second, (select max(p.at) from `tabSales Lead Log` p
				where p.lead = l.lead and (p.at < l.at or (p.at = l.at and p.name < l.name))), l.at)) / 86400
		from `tabSales Lead Log` l
		where l.lead in %(names)s and l.action in ('Claim', 'Assign') and l.from_sales_person is null
			and l.pool = %(pool)s""",
		{"names": names, "pool": pools[0]},
	)[0][0]
	(row,) = leads.pool_statistics({"view": "Pool", "pool": pools[0], **period})
	assert row["avg_days_in_pool"] == round(float(wait), 1)
