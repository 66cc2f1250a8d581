"""Seeded generator of the benchmark dataset (§5, docs/benchmarks.md), with multi-row INSERTs.

Scale M (the reference): 200 sales persons in a 5-level tree (each with a User and an Employee,
as `sales_process.domain.hierarchy` maps Sales Person → Employee.user_id → User), 10k customers,
100k Sales Opportunities across every stage, 1M Opportunity Stage Log rows, 2M Sales Daily Log
entries (with ~3M activity rows), help alerts with responses, and the opportunities mirrored into
ERPNext's `Opportunity` (sales_stage, opportunity_amount, probability …) for the peer comparison.
Scale S is 1/50 of it, for quick checks; XS is 1/500.

    SP_BENCH_SITE=bench-sales-process.localhost scripts/dev run benchmarks/generate.py [--scale M] [--seed 9]

Never on the test site (it refuses to): create a benchmark site first (see README, "Benchmarks").

What the rows are like — consistent with the app's rules, but written without the controllers:
- The people are created through the normal builders (`sales_process.setup.org.make_person`), so
  the tree's nested set, users, roles and employees are exactly what the app sees in production.
- Each customer belongs to one leaf salesperson; that person owns every opportunity of the
  customer (O2 holds: no customer has open opportunities of two teams) and logs work on it.
- An opportunity's stage-log rows are its history: Create into the first stage, one Advance per
  later stage (with days_in_stage), Won or Lost at the end for closed ones; other actions that
  keep the stage (Confiscate, Keep, Return, Reassign) fill it up to the target row count.
- Daily logs form valid per-salesperson SHA-256 chains (chain_seq, previous_entry, previous_hash,
  content_hash set by `sales_process.domain.daily_log.chain_in_bulk`, names taken in order
  and the doctype's sequence moved past them), so `verify_chain` passes on the generated data.
  Dated from the day before yesterday backwards: today's REST inserts start with an empty day.
- Pipeline snapshots (K7): SNAPSHOT_DAYS days up to today. Today's is taken by the real job
  (`sales_process.domain.pipeline_snapshot.take`); each earlier day's person rows come from the
  opportunities' generated stage history (the same intervals the stage log records: open from
  Create until Won/Lost, in each stage from its entry to the next), as the job would have seen it
  when it ran at that day's midnight, weighted with `domain.weighted`; one multi-row INSERT for all
  of them, then each day's team rows rolled up by the job's own `roll_up_teams`.
- The ERPNext mirror: one `Opportunity` per Sales Opportunity (status Open → Open, Won → Converted,
  Lost → Lost), `sales_stage` = our stage (a `Sales Stage` of the same name is created), the same
  amount, probability, currency, transaction_date = creation date.

Idempotent: each phase records `<seed>:<scale>` in the site's defaults when done and is skipped
next time; a different seed or scale on a site that already has data is refused.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta

if __package__ in (None, ""):
	sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import connect

SCALES = {
	"M": dict(
		persons=200, customers=10_000, opportunities=100_000, stage_logs=1_000_000, daily_logs=2_000_000
	),
	"S": dict(persons=40, customers=1_000, opportunities=2_000, stage_logs=20_000, daily_logs=40_000),
	"XS": dict(persons=20, customers=100, opportunities=200, stage_logs=2_000, daily_logs=4_000),
}
# the tree: share of the people on each of the five levels (level 1 = the director)
LEVEL_WIDTH = {"M": (1, 3, 12, 48, 136), "S": (1, 2, 4, 8, 25), "XS": (1, 1, 2, 4, 12)}
WORKBENCH_OPPORTUNITIES = 1_000  # the first leaf owns exactly this many opportunities (M)
BATCH = 5_000
SNAPSHOT_DAYS = 365  # K7: a year of daily pipeline snapshots
PREFIX = "BENCH"
STATUS_SHARE = (("Open", 0.70), ("Won", 0.15), ("Lost", 0.15))
NOTES = (
	"电话沟通需求，客户关注交付周期",
	"拜访客户，演示了核心功能",
	"Followed up on the quotation; waiting for the budget decision.",
	"整理会议纪要并发送给客户",
	"Discussed payment terms with procurement.",
	"",
)


def say(*parts):
	print(time.strftime("%H:%M:%S"), *parts, flush=True)


def q(value) -> str:
	"""One SQL literal (values here are generated, but quote them properly anyway)."""
	import frappe

	if value is None:
		return "NULL"
	if isinstance(value, bool):
		return "1" if value else "0"
	if isinstance(value, int | float):
		return repr(value)
	if isinstance(value, datetime):
		return f"'{value:%Y-%m-%d %H:%M:%S.%f}'"
	if isinstance(value, date):
		return f"'{value:%Y-%m-%d}'"
	return frappe.db.escape(str(value))


def insert_rows(table: str, columns: list[str], rows, label: str, total: int | None = None):
	"""Multi-row INSERTs of BATCH rows from an iterable of tuples; commits every batch."""
	import frappe

	head = f"insert into `{table}` ({', '.join(f'`{c}`' for c in columns)}) values "
	done, batch, started = 0, [], time.perf_counter()

	def flush():
		nonlocal batch, done
		if batch:
			frappe.db.sql(head + ",".join(batch))
			frappe.db.commit()
			done += len(batch)
			batch = []
			if total and (done // BATCH) % 40 == 0:
				rate = done / (time.perf_counter() - started)
				say(f"  {label}: {done:,}/{total:,} ({rate:,.0f} rows/s)")

	for row in rows:
		batch.append("(" + ",".join(map(q, row)) + ")")
		if len(batch) >= BATCH:
			flush()
	flush()
	say(f"  {label}: {done:,} rows in {time.perf_counter() - started:.1f}s")
	return done


class Generator:
	def __init__(self, scale: str, seed: int, mirror: bool = True):
		import frappe

		self.scale, self.seed, self.mirror = scale, seed, mirror
		self.size = SCALES[scale]
		self.rng = random.Random(seed)
		self.key = f"{seed}:{scale}"
		self.company = frappe.defaults.get_global_default("company")
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")
		self.now = frappe.utils.now_datetime().replace(microsecond=0)
		self.today = self.now.date()

	# --- bookkeeping -------------------------------------------------------------------------------

	def done(self, phase: str) -> bool:
		import frappe

		value = frappe.db.get_default(f"sp_bench_{phase}")
		if value and value != self.key:
			sys.exit(f"phase {phase} was generated with {value}, not {self.key}: use a fresh site")
		return value == self.key

	def mark(self, phase: str):
		import frappe

		frappe.db.set_default(f"sp_bench_{phase}", self.key)
		frappe.db.commit()

	def run(self):
		started = time.perf_counter()
		for phase in (
			"people",
			"customers",
			"opportunities",
			"stage_logs",
			"stage_summary",
			"daily_logs",
			"help_alerts",
			"pipeline_snapshots",
		):
			if self.done(phase):
				say(f"{phase}: already there ({self.key})")
				continue
			say(f"{phase} …")
			self.undo(phase)
			getattr(self, phase)()
			self.mark(phase)
		if self.mirror:
			if self.done("erpnext_mirror"):
				say(f"erpnext_mirror: already there ({self.key})")
			else:
				say("erpnext_mirror …")
				self.undo("erpnext_mirror")
				self.erpnext_mirror()
				self.mark("erpnext_mirror")
		say(f"dataset {self.key} ready in {time.perf_counter() - started:.0f}s")
		self.report()

	UNDO = {  # what a phase that did not finish may have left behind (it is rebuilt from scratch)
		"customers": ["delete from `tabCustomer` where name like 'BENCH Customer %%'"],
		"opportunities": ["delete from `tabSales Opportunity` where name like 'SOPP-BENCH-%%'"],
		"stage_logs": ["delete from `tabOpportunity Stage Log` where opportunity like 'SOPP-BENCH-%%'"],
		"stage_summary": [
			"delete from `tabOpportunity Stage Summary` where opportunity like 'SOPP-BENCH-%%'"
		],
		"daily_logs": [
			"delete from `tabSales Daily Log Activity` where owner like 'bench.sp%%@bench.example.com'",
			"delete from `tabSales Daily Log` where sales_person like 'BENCH SP %%'",
		],
		"help_alerts": [
			"delete from `tabHelp Alert Response` where parent like 'HELP-BENCH-%%'",
			"delete from `tabHelp Alert` where name like 'HELP-BENCH-%%'",
		],
		"erpnext_mirror": ["delete from `tabOpportunity` where name like 'CRM-OPP-BENCH-%%'"],
		"pipeline_snapshots": [
			"delete from `tabSales Pipeline Snapshot` where sales_person like 'BENCH SP %%'"
		],
	}

	def undo(self, phase: str):
		import frappe

		for statement in self.UNDO.get(phase, []):
			frappe.db.sql(statement, ())
		frappe.db.commit()

	def report(self):
		import frappe

		for doctype in (
			"Sales Person",
			"Customer",
			"Sales Opportunity",
			"Opportunity Stage Log",
			"Opportunity Stage Summary",
			"Sales Daily Log",
			"Sales Daily Log Activity",
			"Help Alert",
			"Sales Pipeline Snapshot",
			"Opportunity",
		):
			count = frappe.db.sql(f"select count(*) from `tab{doctype}`")[0][0]
			print(f"  {doctype:<26} {count:>12,}")

	# --- the people -------------------------------------------------------------------------------

	def person_name(self, i: int) -> str:
		return f"{PREFIX} SP {i:04d}"

	def people(self):
		import frappe

		from sales_process.setup.org import make_person

		widths = LEVEL_WIDTH[self.scale]
		# frappe refuses more than 60 new users a minute (throttle_user_limit); this process may
		frappe.local.conf.throttle_user_limit = 1_000_000
		assert sum(widths) == self.size["persons"], widths
		i, previous = 0, [None]
		for level, width in enumerate(widths, start=1):
			current = []
			for n in range(width):
				parent = previous[n % len(previous)]
				name = self.person_name(i)
				if not frappe.db.exists("Sales Person", name):
					make_person(
						name,
						f"bench.sp{i:04d}@bench.example.com",
						self.company,
						parent=parent,
						roles=("Sales User",),
						is_group=level < len(widths),
						joined=self.today - timedelta(days=400),
					)
				current.append(name)
				i += 1
			frappe.db.commit()
			say(f"  level {level}: {width} sales persons")
			previous = current

	def leaves(self) -> list[str]:
		import frappe

		return frappe.get_all(
			"Sales Person",
			filters={"name": ("like", f"{PREFIX} SP %"), "is_group": 0},
			pluck="name",
			order_by="name",
		)

	def all_people(self) -> list[str]:
		import frappe

		return frappe.get_all(
			"Sales Person", filters={"name": ("like", f"{PREFIX} SP %")}, pluck="name", order_by="name"
		)

	def users(self) -> dict[str, str]:
		import frappe

		rows = frappe.db.sql(
			"""select sp.name, e.user_id from `tabSales Person` sp join `tabEmployee` e on e.name = sp.employee
			where sp.name like %s""",
			f"{PREFIX} SP %",
		)
		return dict(rows)

	# --- customers ---------------------------------------------------------------------------------

	def customer_name(self, i: int) -> str:
		return f"{PREFIX} Customer {i:05d}"

	def customers(self):
		import frappe

		group = frappe.db.get_value("Customer Group", {"is_group": 0}, "name")
		territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
		rng = random.Random(self.seed + 1)
		n = self.size["customers"]
		columns = [
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"naming_series",
			"customer_name",
			"customer_type",
			"customer_group",
			"territory",
			"language",
			"founding_date",
		]

		def rows():
			for i in range(n):
				founded = self.today - timedelta(days=rng.randint(365, 365 * 30))
				yield (
					self.customer_name(i),
					self.now,
					self.now,
					"Administrator",
					"Administrator",
					"CUST-.YYYY.-",
					self.customer_name(i),
					"Company",
					group,
					territory,
					"zh",
					founded,
				)

		insert_rows("tabCustomer", columns, rows(), "customers", n)

	def customer_owners(self) -> dict[int, str]:
		"""customer index → its leaf salesperson (round robin, so every leaf has customers)."""
		leaves = self.leaves()
		return {i: leaves[i % len(leaves)] for i in range(self.size["customers"])}

	# --- opportunities ------------------------------------------------------------------------------

	def stages(self):
		from sales_process.reports.pipeline import stages

		rows = stages()
		open_ = [s for s in rows if not (s.is_won or s.is_lost)]
		won = next(s for s in rows if s.is_won)
		lost = next(s for s in rows if s.is_lost)
		return open_, won, lost

	def opportunity_name(self, i: int) -> str:
		return f"SOPP-{PREFIX}-{i:06d}"

	def plan(self):
		"""The opportunities as plain tuples (deterministic from the seed), shared by the phases."""
		import frappe

		if getattr(self, "_plan", None):
			return self._plan
		rng = random.Random(self.seed + 2)
		open_, won, lost = self.stages()
		leaves = self.leaves()
		owners = self.customer_owners()
		by_leaf: dict[str, list[int]] = {}
		for i, sp in owners.items():
			by_leaf.setdefault(sp, []).append(i)
		n = self.size["opportunities"]
		territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
		group = frappe.db.get_value("Customer Group", {"is_group": 0}, "name")
		# the first leaf (the workbench user's) owns WORKBENCH_OPPORTUNITIES at M, the rest spread evenly
		first = min(WORKBENCH_OPPORTUNITIES * n // 100_000, n)
		plan = []
		for i in range(n):
			sp = leaves[0] if i < first else leaves[1 + (i - first) % (len(leaves) - 1)]
			customer = rng.choice(by_leaf[sp])
			r = rng.random()
			status = "Open" if r < 0.70 else "Won" if r < 0.85 else "Lost"
			reached = rng.randint(0, len(open_) - 1)  # the last open stage it reached
			if status == "Open":
				stage = open_[reached]
			else:
				stage = won if status == "Won" else lost
			created = self.now - timedelta(days=rng.randint(20, 540), minutes=rng.randint(0, 1439))
			days = [rng.randint(1, max(2, 2 * (s.time_limit_days or 7))) for s in open_[: reached + 1]]
			entered = created + timedelta(days=sum(days[:-1]))
			if status != "Open":
				entered = entered + timedelta(days=days[-1])
			if entered >= self.now:  # keep the history in the past
				entered = self.now - timedelta(hours=rng.randint(1, 240))
			limit = stage.time_limit_days or 0
			due = entered + timedelta(days=limit) if status == "Open" and limit else None
			amount = round(rng.randint(10, 5_000) * 1000 + rng.randint(0, 99) / 100, 2)
			close = self.today + timedelta(days=rng.randint(-60, 240))
			next_action = self.today + timedelta(days=rng.randint(-5, 30)) if rng.random() < 0.3 else None
			plan.append(
				frappe._dict(
					i=i,
					name=self.opportunity_name(i),
					customer=self.customer_name(customer),
					sales_person=sp,
					status=status,
					stage=stage,
					reached=reached,
					days=days,
					created=created,
					entered=entered,
					due=due,
					amount=amount,
					close=close,
					next_action=next_action,
					territory=territory,
					group=group,
				)
			)
		self._plan = plan
		return plan

	def opportunities(self):
		columns = [
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"naming_series",
			"customer",
			"customer_name",
			"company",
			"status",
			"sales_person",
			"stage",
			"stage_entered_at",
			"stage_due_at",
			"probability",
			"amount",
			"currency",
			"expected_close_date",
			"territory",
			"customer_group",
			"next_action_date",
			"next_action",
			"lost_requested",
		]
		users = self.users()

		def rows():
			for o in self.plan():
				yield (
					o.name,
					o.created,
					o.entered,
					users[o.sales_person],
					users[o.sales_person],
					"SOPP-.YYYY.-",
					o.customer,
					o.customer,
					self.company,
					o.status,
					o.sales_person,
					o.stage.name,
					o.entered,
					o.due,
					o.stage.probability,
					o.amount,
					self.currency,
					o.close,
					o.territory,
					o.group,
					o.next_action,
					"回访客户" if o.next_action else None,
					0,
				)

		insert_rows("tabSales Opportunity", columns, rows(), "opportunities", self.size["opportunities"])

	# --- stage log ------------------------------------------------------------------------------------

	def stage_logs(self):
		import frappe

		open_, won, lost = self.stages()
		users = self.users()
		rng = random.Random(self.seed + 3)
		plan = self.plan()
		base = (frappe.db.sql("select coalesce(max(name), 0) from `tabOpportunity Stage Log`")[0][0]) + 1
		# the natural history of every opportunity, then same-stage actions up to the target count
		natural = sum(o.reached + 1 + (o.status != "Open") for o in plan)
		extra = max(0, self.size["stage_logs"] - natural)
		keep_actions = ("Confiscate", "Keep", "Return", "Reassign")
		columns = [
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"opportunity",
			"action",
			"at",
			"by_user",
			"from_stage",
			"to_stage",
			"days_in_stage",
			"from_sales_person",
			"to_sales_person",
			"note",
		]
		counter = [base]

		def row(o, action, at, from_stage, to_stage, days=0.0, note=None):
			name = counter[0]
			counter[0] += 1
			user = users[o.sales_person]
			return (
				name,
				at,
				at,
				user,
				user,
				o.name,
				action,
				at,
				user,
				from_stage,
				to_stage,
				days,
				o.sales_person,
				o.sales_person,
				note,
			)

		per_opp_extra = extra / max(len(plan), 1)

		def rows():
			budget = extra
			for o in plan:
				at = o.created
				yield row(o, "Create", at, None, open_[0].name)
				for k in range(o.reached):
					at = at + timedelta(days=o.days[k])
					yield row(o, "Advance", at, open_[k].name, open_[k + 1].name, float(o.days[k]))
				if o.status != "Open":
					end = won if o.status == "Won" else lost
					yield row(o, o.status, o.entered, open_[o.reached].name, end.name, float(o.days[-1]))
				# same-stage actions (confiscations and the superior's decision) while in the last stage
				k = int(per_opp_extra) + (1 if rng.random() < per_opp_extra % 1 else 0)
				k = min(k, budget)
				budget -= k
				stage = open_[o.reached].name
				for j in range(k):
					at_j = o.entered - timedelta(hours=k - j)
					yield row(o, keep_actions[j % 4], at_j, stage, stage, note="bench")
			for o in plan[:budget]:  # rounding leftovers
				stage = open_[o.reached].name
				yield row(o, "Keep", o.entered - timedelta(minutes=1), stage, stage, note="bench")

		insert_rows("tabOpportunity Stage Log", columns, rows(), "stage log", natural + extra)
		frappe.db.sql(
			"select setval(`opportunity_stage_log_id_seq`, %s)", counter[0]
		)  # nextval() continues after the generated names
		frappe.db.commit()

	# --- pipeline snapshots (K7) -----------------------------------------------------------------------

	def stage_intervals(self, o, open_):
		"""(stage, entered, left) of each open stage the opportunity was in, from its plan as the stage
		log has it; `left` is None for the stage an open opportunity is still in."""
		starts = [o.created]
		for k in range(o.reached):
			starts.append(starts[-1] + timedelta(days=o.days[k]))
		ends = [*starts[1:], None if o.status == "Open" else o.entered]
		return [(open_[k], starts[k], ends[k]) for k in range(o.reached + 1)]

	def pipeline_snapshots(self):
		"""Every person's pipeline on each of the SNAPSHOT_DAYS days, with difference arrays over the
		days (per opportunity and stage one +/- pair, not one row per opportunity and day), so M's 100k
		opportunities cost seconds."""
		import frappe

		from sales_process.domain import bulk, pipeline_snapshot, weighted

		open_, _won, _lost = self.stages()
		first = self.today - timedelta(days=SNAPSHOT_DAYS - 1)
		days = SNAPSHOT_DAYS - 1  # the earlier days; today's is the job's

		def index(moment) -> int:
			"""The first day whose midnight snapshot sees something that happened at `moment`."""
			return min(max((moment.date() - first).days + 1, 0), days)

		open_delta: dict[str, list] = {}  # person → per day [count, amount, weighted] changes
		won_on: dict[str, list] = {}  # person → per day [count, amount] won since the day before
		for o in self.plan():
			delta = open_delta.setdefault(o.sales_person, [[0, 0.0, 0.0] for _ in range(days + 1)])
			opened, closed = index(o.created), index(o.entered) if o.status != "Open" else days
			if opened < closed:
				for i, sign in ((opened, 1), (closed, -1)):
					delta[i][0] += sign
					delta[i][1] += sign * o.amount
			for stage, entered, left in self.stage_intervals(o, open_):
				start, end = index(entered), index(left) if left else days
				if start < end:
					value = weighted.amount(o.amount, stage.probability)
					delta[start][2] += value
					delta[end][2] -= value
			if o.status == "Won" and o.entered.date() >= first.replace(day=1) and index(o.entered) < days:
				won = won_on.setdefault(o.sales_person, [[0, 0.0] for _ in range(days + 1)])
				won[index(o.entered)][0] += 1
				won[index(o.entered)][1] += o.amount
		rows = []
		for person, delta in open_delta.items():
			count, amount, weight, won_count, won_amount = 0, 0.0, 0.0, 0, 0.0
			won = won_on.get(person)
			for i in range(days):
				day = first + timedelta(days=i)
				count, amount, weight = count + delta[i][0], amount + delta[i][1], weight + delta[i][2]
				if day.day == 1:  # at the month's first midnight nothing is won in it yet
					won_count, won_amount = 0, 0.0
				elif won:
					won_count, won_amount = won_count + won[i][0], won_amount + won[i][1]
				if count or won_count:
					rows.append(
						(
							day,
							person,
							0,
							self.company,
							self.currency,
							count,
							round(amount, 2),
							round(weight, 2),
							won_count,
							round(won_amount, 2),
						)
					)
		started = time.perf_counter()
		bulk.insert_autoincrement(
			pipeline_snapshot.DOCTYPE, [*pipeline_snapshot.KEY, *pipeline_snapshot.MEASURES], rows
		)
		teams = sum(pipeline_snapshot.roll_up_teams(first + timedelta(days=i)) for i in range(days))
		today = pipeline_snapshot.take(self.today, commit=False)
		frappe.db.commit()
		say(
			f"  pipeline snapshots: {len(rows):,} person and {teams:,} team rows over {days} days, "
			f"today {today['persons']} + {today['teams']} by the job, {time.perf_counter() - started:.1f}s"
		)

	# --- daily logs -------------------------------------------------------------------------------

	def stage_summary(self):
		"""What the stage log's writer keeps beside the log (R1, R3), derived from the generated
		history the way the migrate patch does it."""
		from sales_process.domain import stage_history

		t0 = time.perf_counter()
		rows = stage_history.rebuild()
		say(f"  {rows:,} summary rows from the stage log in {time.perf_counter() - t0:.1f}s")

	def daily_logs(self):
		"""Hash-chained entries for every salesperson, oldest first, ending the day before yesterday."""
		import frappe

		from sales_process.domain.daily_log import chain_in_bulk, reset_chain_heads

		rng = random.Random(self.seed + 4)
		people = self.all_people()
		plan = self.plan()
		activities = frappe.get_all(
			"Sales Activity Type", fields=["name", "score", "is_effective"], order_by="name"
		)
		by_person: dict[str, list] = {}
		for o in plan:
			if o.status == "Open":
				by_person.setdefault(o.sales_person, []).append(o)
		owners = self.customer_owners()
		customers_of: dict[str, list[str]] = {}
		for i, sp in owners.items():
			customers_of.setdefault(sp, []).append(self.customer_name(i))
		# managers log work on their team's customers
		leaves = self.leaves()
		total = self.size["daily_logs"]
		per_person = total // len(people)
		days_back = 365
		base = frappe.db.sql("select coalesce(max(name), 0) from `tabSales Daily Log`")[0][0] + 1
		counter = [base]
		children: list[tuple] = []
		columns = [
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"log_date",
			"sales_person",
			"customer",
			"opportunity",
			"minutes",
			"cost",
			"difficulty",
			"note",
			"effective_score",
			"stage",
			"entered_at",
			"chain_seq",
			"previous_entry",
			"previous_hash",
			"content_hash",
			"chain_version",
		]
		child_columns = [
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"parent",
			"parenttype",
			"parentfield",
			"idx",
			"activity_type",
		]
		users = self.users()

		def entries():
			for p_index, sp in enumerate(people):
				count = per_person + (1 if p_index < total - per_person * len(people) else 0)
				user = users[sp]
				mine = customers_of.get(sp) or customers_of[leaves[p_index % len(leaves)]]
				opps = by_person.get(sp) or []
				# spread `count` entries over days_back days ending the day before yesterday
				per_day = count / days_back
				seq = 0
				for d in range(days_back, 1, -1):
					day = self.today - timedelta(days=d)
					k = int(per_day) + (1 if rng.random() < per_day % 1 else 0)
					if seq + k > count or d == 2:
						k = count - seq if d == 2 else min(k, count - seq)
					minute = 8 * 60
					for _ in range(k):
						seq += 1
						name = counter[0]
						counter[0] += 1
						opp = rng.choice(opps) if opps and rng.random() < 0.6 else None
						customer = opp.customer if opp else rng.choice(mine)
						picked = rng.sample(activities, rng.randint(1, 2))
						minutes = rng.randint(5, 25)
						minute = min(minute + minutes, 23 * 60 + 59)
						at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
						yield {
							"name": name,
							"creation": at,
							"modified": at,
							"owner": user,
							"modified_by": user,
							"log_date": day,
							"sales_person": sp,
							"customer": customer,
							"opportunity": opp.name if opp else None,
							"activities": [a.name for a in picked],
							"minutes": minutes,
							"cost": float(rng.choice((0, 0, 0, 50, 120, 300))),
							"difficulty": 0,
							"note": rng.choice(NOTES),
							"corrects": None,
							"effective_score": sum(float(a.score) for a in picked if a.is_effective),
							"stage": opp.stage.name if opp else None,
							"entered_at": at,
						}

		def rows():
			for row in chain_in_bulk(entries()):
				for idx, activity in enumerate(row["activities"], start=1):
					at, user = row["entered_at"], row["owner"]
					children.append(
						(f"bench-{row['name']}-{idx}", at, at, user, user)
						+ (str(row["name"]), "Sales Daily Log", "activities", idx, activity)
					)
				if len(children) > 200_000:
					self._flush_children(child_columns, children)
				yield tuple(row[c] for c in columns)

		insert_rows("tabSales Daily Log", columns, rows(), "daily logs", total)
		self._flush_children(child_columns, children)
		frappe.db.sql("select setval(`sales_daily_log_id_seq`, %s)", counter[0])
		reset_chain_heads()  # the bulk rows bypassed the controller that keeps each chain's head
		frappe.db.commit()

	def _flush_children(self, columns, children):
		import frappe

		if children:
			head = (
				f"insert into `tabSales Daily Log Activity` ({', '.join(f'`{c}`' for c in columns)}) values "
			)
			for start in range(0, len(children), BATCH):
				chunk = children[start : start + BATCH]
				frappe.db.sql(head + ",".join("(" + ",".join(map(q, r)) + ")" for r in chunk))
			children.clear()
			# the parents' batch is committed by insert_rows; these rows go with the next commit

	# --- help alerts ------------------------------------------------------------------------------

	def help_alerts(self):
		import frappe

		rng = random.Random(self.seed + 5)
		users = self.users()
		people = self.all_people()
		reasons = frappe.get_all("Help Alert Reason", pluck="name", order_by="name")
		candidates = [o for o in self.plan() if o.status == "Open"]
		n = max(10, self.size["opportunities"] // 50)  # 2,000 at M
		alerts, responses = [], []
		for i, o in enumerate(rng.sample(candidates, min(n, len(candidates)))):
			name = f"HELP-{PREFIX}-{i:05d}"
			raised = o.entered + timedelta(hours=rng.randint(1, 48))
			raised = min(raised, self.now - timedelta(hours=1))
			resolved = rng.random() < 0.4
			count = rng.randint(0, 3)
			first = None
			for j in range(count):
				responder = rng.choice(people)
				if responder == o.sales_person:
					continue
				at = raised + timedelta(hours=j + 1)
				first = first or at
				responses.append(
					(
						f"{name}-R{j}",
						at,
						at,
						users[responder],
						users[responder],
						name,
						"Help Alert",
						"responses",
						j + 1,
						users[responder],
						responder,
						at,
						"先确认客户的预算审批流程，再约决策人面谈。",
						"准备两套报价方案",
						1 if resolved and j == 0 else 0,
					)
				)
			alerts.append(
				(
					name,
					raised,
					raised,
					users[o.sales_person],
					users[o.sales_person],
					"HELP-.YYYY.-",
					o.name,
					rng.choice(reasons),
					"Resolved" if resolved and first else "Open",
					users[o.sales_person],
					o.sales_person,
					raised,
					first,
					(first + timedelta(hours=2)) if resolved and first else None,
					o.customer,
					o.stage.name,
					o.amount,
					self.currency,
					"客户迟迟不给预算答复，需要支持。",
				)
			)
		insert_rows(
			"tabHelp Alert",
			[
				"name",
				"creation",
				"modified",
				"owner",
				"modified_by",
				"naming_series",
				"opportunity",
				"reason",
				"status",
				"raised_by",
				"raised_by_sales_person",
				"raised_at",
				"first_response_at",
				"resolved_at",
				"customer",
				"stage",
				"amount",
				"currency",
				"description",
			],
			alerts,
			"help alerts",
		)
		insert_rows(
			"tabHelp Alert Response",
			[
				"name",
				"creation",
				"modified",
				"owner",
				"modified_by",
				"parent",
				"parenttype",
				"parentfield",
				"idx",
				"responder",
				"responder_sales_person",
				"responded_at",
				"analysis",
				"countermeasure",
				"is_effective",
			],
			responses,
			"help alert responses",
		)

	# --- ERPNext mirror -------------------------------------------------------------------------

	def erpnext_mirror(self):
		import frappe

		open_, won, lost = self.stages()
		for s in (*open_, won, lost):
			if not frappe.db.exists("Sales Stage", s.name):
				frappe.get_doc({"doctype": "Sales Stage", "stage_name": s.name}).insert(
					ignore_permissions=True
				)
		frappe.db.commit()
		users = self.users()
		status = {"Open": "Open", "Won": "Converted", "Lost": "Lost"}
		columns = [
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"naming_series",
			"opportunity_from",
			"party_name",
			"customer_name",
			"title",
			"opportunity_type",
			"status",
			"expected_closing",
			"currency",
			"conversion_rate",
			"opportunity_amount",
			"base_opportunity_amount",
			"sales_stage",
			"probability",
			"territory",
			"customer_group",
			"company",
			"transaction_date",
			"opportunity_owner",
			"_assign",
		]

		def rows():
			for o in self.plan():
				user = users[o.sales_person]
				yield (
					f"CRM-OPP-{PREFIX}-{o.i:06d}",
					o.created,
					o.entered,
					user,
					user,
					"CRM-OPP-.YYYY.-",
					"Customer",
					o.customer,
					o.customer,
					o.customer,
					"Sales",
					status[o.status],
					o.close,
					self.currency,
					1,
					o.amount,
					o.amount,
					o.stage.name,
					o.stage.probability,
					o.territory,
					o.group,
					self.company,
					o.created.date(),
					user,
					json.dumps([user]),
				)

		insert_rows("tabOpportunity", columns, rows(), "ERPNext Opportunity", self.size["opportunities"])


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--scale", choices=sorted(SCALES), default="M")
	parser.add_argument("--seed", type=int, default=9)
	parser.add_argument("--no-erpnext-mirror", action="store_true", help="skip the ERPNext Opportunity copy")
	args = parser.parse_args()

	site = connect()
	import frappe

	if site in ("test-sales-process.localhost", os.environ.get("SP_TEST_SITE")):
		sys.exit("refusing to load benchmark data into the test site: set SP_BENCH_SITE to a benchmark site")
	say(f"site {site}, scale {args.scale} {SCALES[args.scale]}, seed {args.seed}")
	try:
		frappe.db.sql("set session innodb_lock_wait_timeout = 120")
		Generator(args.scale, args.seed, mirror=not args.no_erpnext_mirror).run()
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
