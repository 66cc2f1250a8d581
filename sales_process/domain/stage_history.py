"""The stage history of every opportunity: the Opportunity Stage Log and its summary (R1, R3).

The log grows with every move, confiscation and decision; the funnel and the stage-duration report
need only, per opportunity and stage, when it first entered, how often it entered and left, the
days of the stays that ended and the confiscations. The Opportunity Stage Summary keeps exactly
that, one row per opportunity × stage, so a report's cost grows with opportunities × stages and not
with the length of their histories.

One home for writing the log: a document insert (`Opportunity Stage Log.after_insert`) and the
set-based writers (`insert_logs`: confiscation, escalation, the ERPNext migration) both call
`record`, in the same transaction as the log rows. `record` adds to the summary with one
INSERT … ON DUPLICATE KEY UPDATE, so two writers on the same row add up instead of overwriting
each other, then recomputes `converted` for the opportunities it touched. `rebuild` derives the
summary from the log again (the migrate patch, `bench sales-process-rebuild-stage-summary`, and
after a change of the stage sequence); `differences` compares the two.

Which log rows count (the same definitions the reports used on the log itself):
- an entry: to_stage set, from_stage empty or another (Create, Import, Advance, Move Back, Won,
  Lost); it adds to `entries` and may lower `first_entered_at` of to_stage;
- an exit: from_stage set, to_stage empty or another; it adds to `exits`, `days`, `max_days` and,
  for a stay longer than the stage's time limit when it ended, `late` of from_stage;
- a Confiscate row adds to `confiscations` of its stage (which it keeps).
Keep, Return, Reassign, Escalate and the lost request keep the stage and change nothing here.
`converted` of a stage: the opportunity entered the next stage (`next_stages`) at or after it first
entered this one.

A second level, the Opportunity Stage Totals, adds the summary up per stage and current owner (at
most stages × people rows), so the funnel without a company, territory, customer-group or date
filter reads a few hundred rows however many opportunities there are. Each summary row carries the
owner it is counted for (`sales_person`). `record` reads the rows it changed with a locking read
(the latest versions, after its own upsert), works out what each row added before and adds after, and
moves the difference into the totals; an owner change (every one writes a log row) moves the
opportunity's whole contribution from the old owner to the new one in the same way.
"""

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce
from frappe.utils import cint, flt, get_datetime, now_datetime

from sales_process.domain.bulk import CHUNK, insert_autoincrement
from sales_process.domain.stages import stored_stages

LOG = "Opportunity Stage Log"
SUMMARY = "Opportunity Stage Summary"
TOTALS = "Opportunity Stage Totals"
COUNTERS = ("entries", "exits", "timed_exits", "days", "late", "confiscations")
# what a summary row adds to its stage × owner totals; `entered`: the row has an entry at all
TOTALS_COUNTERS = ("entered", "converted", *COUNTERS)
# the summary's row name, the same in SQL and in Python: one row per opportunity and stage
NAME_SQL = "md5(concat({opportunity}, '/', {stage}))"
# the totals' row name: one row per stage and owner (no owner: '')
TOTALS_NAME_SQL = "md5(concat({stage}, '/', coalesce({sales_person}, '')))"
# a totals row as SQL over summary rows `s`, in TOTALS_COUNTERS order
TOTALS_SQL = ", ".join(["sum(s.entries > 0)", "sum(s.converted)", *(f"sum(s.{c})" for c in COUNTERS)])
_UNCHANGED = object()


def next_stages(stage_rows: list) -> dict[str, str]:
	"""{open stage: the stage after it}; the last open stage leads to the won stage."""
	path = [s.name for s in stage_rows if not s.is_lost]
	return {s: path[i + 1] for i, s in enumerate(path[:-1])}


def _is_entry(from_stage, to_stage) -> bool:
	return bool(to_stage) and from_stage != to_stage


def _is_exit(from_stage, to_stage) -> bool:
	return bool(from_stage) and from_stage != to_stage


def _late(days, limit) -> bool:
	return days is not None and cint(limit) > 0 and flt(days) > cint(limit)


def converted(first_entered_at, next_first_entered_at) -> int:
	"""Whether a stage converted: the next stage was entered at or after this one was first."""
	return int(bool(first_entered_at and next_first_entered_at and next_first_entered_at >= first_entered_at))


def _contribution(r, minus: dict | None = None) -> list:
	"""What a summary row adds to its totals (TOTALS_COUNTERS order); with `minus`, what it added
	before those increments (the accumulator of `record`)."""
	m = minus or {}
	entries = cint(r["entries"]) - m.get("entries", 0)
	return [
		int(entries > 0),
		cint(r["converted"]),
		entries,
		cint(r["exits"]) - m.get("exits", 0),
		cint(r["timed_exits"]) - m.get("timed", 0),
		round(flt(r["days"]) - m.get("days", 0.0), 9),
		cint(r["late"]) - m.get("late", 0),
		cint(r["confiscations"]) - m.get("confiscations", 0),
	]


# --- writing ---------------------------------------------------------------------------------------


def insert_logs(fields: list[str], rows: list[tuple]) -> int:
	"""The set-based writer of Opportunity Stage Log rows (tuples in the order of `fields`): one
	multi-row INSERT, and their summary in the same transaction."""
	insert_autoincrement(LOG, fields, rows)
	at = {f: i for i, f in enumerate(fields)}
	record(
		[
			frappe._dict(
				opportunity=r[at["opportunity"]],
				action=r[at["action"]],
				at=r[at["at"]],
				from_stage=r[at["from_stage"]] if "from_stage" in at else None,
				to_stage=r[at["to_stage"]] if "to_stage" in at else None,
				days_in_stage=r[at["days_in_stage"]] if "days_in_stage" in at else None,
			)
			for r in rows
		]
	)
	return len(rows)


def record(logs: list) -> None:
	"""Add log rows (dicts or documents with opportunity, action, at, from_stage, to_stage,
	days_in_stage) to the summary, and the summary rows of their opportunities to the stage × owner
	totals (`_settle`)."""
	stage_rows = stored_stages()
	limits = {s.name: s.time_limit_days for s in stage_rows}
	acc: dict[tuple[str, str], dict] = {}

	def row(opportunity, stage):
		return acc.setdefault(
			(opportunity, stage),
			dict(first=None, entries=0, exits=0, timed=0, days=0.0, max_days=0.0, late=0, confiscations=0),
		)

	for log in logs:
		opp, src, dst = log.get("opportunity"), log.get("from_stage") or None, log.get("to_stage") or None
		if _is_entry(src, dst):
			r = row(opp, dst)
			at = get_datetime(log.get("at"))
			r["entries"] += 1
			r["first"] = at if r["first"] is None else min(r["first"], at)
		if _is_exit(src, dst):
			r = row(opp, src)
			days = log.get("days_in_stage")
			r["exits"] += 1
			if days is not None:
				r["timed"] += 1
				r["days"] += flt(days)
				r["max_days"] = flt(days) if r["timed"] == 1 else max(r["max_days"], flt(days))
			r["late"] += _late(days, limits.get(src))
		if src and log.get("action") == "Confiscate":
			row(opp, src)["confiscations"] += 1
	# every opportunity of the logs is settled, not only those whose counters moved: a Reassign,
	# Return or Keep changes no counter but may change the owner the rows are counted for
	opportunities = sorted({log.get("opportunity") for log in logs if log.get("opportunity")})
	if not opportunities:
		return
	owners = _owners(opportunities)
	now, user = now_datetime(), frappe.session.user
	items = sorted(acc.items())  # one order for every writer: fewer lock waits between them
	name_sql = NAME_SQL.format(opportunity="%s", stage="%s")
	columns = ", ".join(["%s"] * 10)
	values = f"({name_sql}, {columns}, 0, %s, %s, %s, %s)"
	for start in range(0, len(items), CHUNK):
		chunk = items[start : start + CHUNK]
		params = []
		for (opp, stage), r in chunk:
			params += [opp, stage, opp, stage, r["first"], r["entries"], r["exits"], r["timed"], r["days"]]
			params += [r["max_days"], r["late"], r["confiscations"], now, now, user, user]
		# max_days is assigned before timed_exits: MariaDB applies the assignments in order
		# nosemgrep: frappe-using-db-sql -- a multi-row upsert that adds to the counters (frappe.qb has no ON DUPLICATE KEY UPDATE)
		frappe.db.sql(
			f"""insert into `tab{SUMMARY}` (name, opportunity, stage, first_entered_at, entries, exits,
				timed_exits, days, max_days, late, confiscations, converted, creation, modified, owner,
				modified_by)
			values {", ".join([values] * len(chunk))}
			on duplicate key update
				first_entered_at = coalesce(least(first_entered_at, values(first_entered_at)),
					first_entered_at, values(first_entered_at)),
				max_days = case when values(timed_exits) = 0 then max_days
					when timed_exits = 0 then values(max_days)
					else greatest(max_days, values(max_days)) end,
				timed_exits = timed_exits + values(timed_exits),
				entries = entries + values(entries), exits = exits + values(exits),
				days = days + values(days),
				late = late + values(late), confiscations = confiscations + values(confiscations),
				modified = values(modified), modified_by = values(modified_by)""",
			params,
		)
	_settle(opportunities, owners, acc, stage_rows)


def _owners(opportunities: list[str]) -> dict[str, str | None]:
	"""The opportunities' current owners, their rows locked: every writer of an opportunity's summary
	holds that lock, so no other can change its rows between this writer's reads and writes."""
	o = frappe.qb.DocType("Sales Opportunity")
	owners = {}
	for start in range(0, len(opportunities), CHUNK):
		chunk = opportunities[start : start + CHUNK]
		query = frappe.qb.from_(o).select(o.name, o.sales_person).where(o.name.isin(chunk))
		owners.update(query.orderby(o.name).for_update().run())
	return owners


def _rows(opportunities: list[str]) -> list:
	"""The opportunities' summary rows as they are now (a locking read: the latest versions, not the
	transaction's snapshot)."""
	summary = frappe.qb.DocType(SUMMARY)
	rows = []
	for start in range(0, len(opportunities), CHUNK):
		chunk = opportunities[start : start + CHUNK]
		query = frappe.qb.from_(summary).select(
			summary.name,
			summary.opportunity,
			summary.stage,
			summary.sales_person,
			summary.first_entered_at,
			summary.converted,
			*(summary[c] for c in COUNTERS),
		)
		rows += query.where(summary.opportunity.isin(chunk)).for_update().run(as_dict=True)
	return rows


def _settle(opportunities: list[str], owners: dict, acc: dict, stage_rows: list) -> None:
	"""After the upsert of `acc`: `converted` and the owner of the opportunities' rows brought up to
	date, and the difference each row makes moved into the totals."""
	follows = next_stages(stage_rows)
	rows = _rows(opportunities)
	firsts = {(r.opportunity, r.stage): r.first_entered_at for r in rows}
	deltas: dict[tuple, list] = {}
	flips, moved = [], set()
	for r in rows:
		before = _contribution(r, acc.get((r.opportunity, r.stage)))
		owner = owners.get(r.opportunity, _UNCHANGED)
		owner = r.sales_person if owner is _UNCHANGED else owner  # an opportunity no longer there
		now_converted = converted(r.first_entered_at, firsts.get((r.opportunity, follows.get(r.stage))))
		if now_converted != cint(r.converted):
			flips.append((r.name, now_converted))
		if owner != r.sales_person:
			moved.add(r.opportunity)
		after = _contribution({**r, "converted": now_converted})
		_add(deltas, (r.stage, r.sales_person), before, -1)
		_add(deltas, (r.stage, owner), after, 1)
	_write(flips, sorted(moved))
	add_totals(deltas)


def _add(deltas: dict, key: tuple, values: list, sign: int) -> None:
	row = deltas.setdefault(key, [0] * len(TOTALS_COUNTERS))
	for i, v in enumerate(values):
		row[i] += sign * v


def _write(flips: list[tuple], moved: list[str]) -> None:
	"""Set `converted` on the rows of `flips` ((name, converted): the few that change) and the
	opportunity's owner on every row of the `moved` opportunities."""
	summary = frappe.qb.DocType(SUMMARY)
	for start in range(0, len(flips), CHUNK):
		chunk = flips[start : start + CHUNK]
		flag = Case()
		for name, conv in chunk:
			flag = flag.when(summary.name == name, conv)
		frappe.qb.update(summary).set(summary.converted, flag).where(
			summary.name.isin([name for name, _conv in chunk])
		).run()
	for start in range(0, len(moved), CHUNK):
		_assign_owners(moved[start : start + CHUNK])


def _assign_owners(opportunities: list[str] | None) -> None:
	"""Count the opportunities' (None: all) summary rows for their owner as the opportunity says."""
	where = "not (s.sales_person <=> o.sales_person)"
	if opportunities is not None:
		where = f"s.opportunity in ({', '.join(['%s'] * len(opportunities))})"
	# nosemgrep: frappe-using-db-sql -- a joined UPDATE (frappe.qb cannot join in an UPDATE)
	frappe.db.sql(
		f"""update `tab{SUMMARY}` s join `tabSales Opportunity` o on o.name = s.opportunity
		set s.sales_person = o.sales_person
		where {where}""",
		opportunities or [],
	)


def add_totals(deltas: dict[tuple, list]) -> None:
	"""Add {(stage, sales person): [TOTALS_COUNTERS…]} to the totals: one multi-row upsert per chunk,
	in one order for every writer (fewer lock waits between them)."""
	items = sorted(
		((key, values) for key, values in deltas.items() if any(round(flt(v), 9) for v in values)),
		key=lambda item: (item[0][0], item[0][1] or ""),
	)
	if not items:
		return
	now, user = now_datetime(), frappe.session.user
	name_sql = TOTALS_NAME_SQL.format(stage="%s", sales_person="%s")
	values = f"({name_sql}, %s, %s, {', '.join(['%s'] * len(TOTALS_COUNTERS))}, %s, %s, %s, %s)"
	columns = ", ".join(TOTALS_COUNTERS)
	adds = ", ".join(f"{c} = {c} + values({c})" for c in TOTALS_COUNTERS)
	for start in range(0, len(items), CHUNK):
		chunk = items[start : start + CHUNK]
		params = []
		for (stage, person), counts in chunk:
			params += [stage, person, stage, person, *counts, now, now, user, user]
		# nosemgrep: frappe-using-db-sql -- a multi-row upsert that adds to the counters (frappe.qb has no ON DUPLICATE KEY UPDATE)
		frappe.db.sql(
			f"""insert into `tab{TOTALS}` (name, stage, sales_person, {columns}, creation, modified,
				owner, modified_by)
			values {", ".join([values] * len(chunk))}
			on duplicate key update {adds}, modified = values(modified), modified_by = values(modified_by)""",
			params,
		)


def recount_totals(sales_persons: list[str | None] | None = None) -> None:
	"""Add the totals up from the summary again, for the owners given (None: all): after a rebuild, a
	new stage order, or a Sales Person renamed or merged into another."""
	if sales_persons is not None and not sales_persons:
		return
	where, params = "", []
	if sales_persons is not None:
		named = sorted({p for p in sales_persons if p})
		parts = [f"{{t}}.sales_person in ({', '.join(['%s'] * len(named))})"] if named else []
		parts += ["{t}.sales_person is null"] if None in sales_persons else []
		where, params = f"where {' or '.join(parts)}", named
	# nosemgrep: frappe-using-db-sql -- the same owner condition as the INSERT … SELECT below
	frappe.db.sql(f"delete from `tab{TOTALS}` {where.format(t=f'`tab{TOTALS}`')}", params)
	now, user = now_datetime(), frappe.session.user
	name_sql = TOTALS_NAME_SQL.format(stage="s.stage", sales_person="s.sales_person")
	# nosemgrep: frappe-using-db-sql -- one INSERT … SELECT … GROUP BY over the summary (frappe.qb has no INSERT … SELECT)
	frappe.db.sql(
		f"""insert into `tab{TOTALS}` (name, stage, sales_person, {", ".join(TOTALS_COUNTERS)}, creation,
			modified, owner, modified_by)
		select {name_sql}, s.stage, s.sales_person, {TOTALS_SQL}, %s, %s, %s, %s
		from `tab{SUMMARY}` s {where.format(t="s")}
		group by s.stage, s.sales_person""",
		[now, now, user, user, *params],
	)


def rebuild_totals() -> int:
	"""Every summary row counted for its opportunity's owner again, and the totals added up anew;
	returns the number of totals rows."""
	_assign_owners(None)
	recount_totals()
	return frappe.db.count(TOTALS)


def forget(opportunities: list[str]) -> None:
	"""Remove the summary of opportunities that are being deleted, and their part of the totals
	(opportunities are not deleted in use; a test that made some removes them so)."""
	if not opportunities:
		return
	opportunities = sorted(set(opportunities))
	deltas: dict[tuple, list] = {}
	for r in _rows(opportunities):
		_add(deltas, (r.stage, r.sales_person), _contribution(r), -1)
	add_totals(deltas)
	frappe.db.delete(SUMMARY, {"opportunity": ("in", opportunities)})


def refresh_conversion(opportunities: list[str] | None = None, stage_rows: list | None = None) -> None:
	"""Recompute `converted` for the opportunities (None: all, and the totals with it) from the rows'
	first entries, with the stage sequence as configured now. For a subset the caller recounts the
	totals."""
	follows = next_stages(stage_rows if stage_rows is not None else stored_stages())
	if opportunities is not None and not opportunities:
		return
	chunks = (
		[None]
		if opportunities is None
		else [opportunities[i : i + CHUNK] for i in range(0, len(opportunities), CHUNK)]
	)
	for chunk in chunks:
		where = "" if chunk is None else f"where a.opportunity in ({', '.join(['%s'] * len(chunk))})"
		params = [] if chunk is None else list(chunk)
		if not follows:
			# nosemgrep: frappe-using-db-sql -- see below; with no stage after another nothing converts
			frappe.db.sql(f"update `tab{SUMMARY}` a set a.converted = 0 {where}", params)
			continue
		case = " ".join("when %s then %s" for _s in follows)
		# nosemgrep: frappe-using-db-sql -- a self-join UPDATE of the summary (frappe.qb cannot join in an UPDATE)
		frappe.db.sql(
			f"""update `tab{SUMMARY}` a
			left join `tab{SUMMARY}` b on b.opportunity = a.opportunity
				and b.stage = (case a.stage {case} end)
			set a.converted = coalesce(b.first_entered_at >= a.first_entered_at, 0)
			{where}""",
			[v for pair in follows.items() for v in pair] + params,
		)
	if opportunities is None:
		recount_totals()


# --- deriving it again from the log ---------------------------------------------------------------


def _from_log(opportunities: list[str] | None, stage_rows: list) -> tuple[str, list]:
	"""One SELECT of the summary's rows as the log gives them, for the opportunities (None: all),
	with its parameters: the same definitions as `record`, in SQL."""
	where, ids = "", []
	if opportunities is not None:
		where = f"and l.opportunity in ({', '.join(['%s'] * len(opportunities))})"
		ids = list(opportunities)
	limited = [(s.name, cint(s.time_limit_days)) for s in stage_rows if cint(s.time_limit_days) > 0]
	late = " or ".join("(l.from_stage = %s and l.days_in_stage > %s)" for _s in limited) or "false"
	leaving = "(l.to_stage is null or l.to_stage = '' or l.to_stage != l.from_stage)"
	sql = f"""
		select opportunity, stage, min(entered_at) as first_entered_at, sum(entry) as entries,
			sum(leaving) as exits, count(days) as timed_exits, coalesce(sum(days), 0) as days,
			coalesce(max(days), 0) as max_days,
			sum(late) as late, sum(confiscation) as confiscations
		from (
			select l.opportunity, l.to_stage as stage, l.at as entered_at, 1 as entry, 0 as leaving,
				null as days, 0 as late, 0 as confiscation
			from `tab{LOG}` l
			where l.to_stage is not null and l.to_stage != ''
				and (l.from_stage is null or l.from_stage = '' or l.from_stage != l.to_stage) {where}
			union all
			select l.opportunity, l.from_stage, null, 0, {leaving},
				case when {leaving} then l.days_in_stage end,
				case when {leaving} and ({late}) then 1 else 0 end,
				l.action = 'Confiscate'
			from `tab{LOG}` l
			where l.from_stage is not null and l.from_stage != ''
				and ({leaving} or l.action = 'Confiscate') {where}
		) x
		group by opportunity, stage"""
	return sql, [*ids, *(v for pair in limited for v in pair), *ids]


def rebuild(opportunities: list[str] | None = None) -> int:
	"""Derive the summary of the opportunities (None: all) from the log again, in the caller's
	transaction; returns the number of summary rows written."""
	if opportunities is not None and not opportunities:
		return 0
	stage_rows = stored_stages()
	derived, params = _from_log(opportunities, stage_rows)
	owners = None
	if opportunities is None:
		frappe.db.delete(SUMMARY)
	else:
		opportunities = sorted(set(opportunities))
		owners = set(_owners(opportunities).values()) | {r.sales_person for r in _rows(opportunities)}
		frappe.db.delete(SUMMARY, {"opportunity": ("in", opportunities)})
	now, user = now_datetime(), frappe.session.user
	name_sql = NAME_SQL.format(opportunity="s.opportunity", stage="s.stage")
	# nosemgrep: frappe-using-db-sql -- one INSERT … SELECT over the whole log (frappe.qb has no INSERT … SELECT with UNION)
	frappe.db.sql(
		f"""insert into `tab{SUMMARY}` (name, opportunity, stage, sales_person, first_entered_at,
			entries, exits, timed_exits, days, max_days, late, confiscations, converted, creation,
			modified, owner, modified_by)
		select {name_sql}, s.opportunity, s.stage, o.sales_person, s.first_entered_at, s.entries,
			s.exits, s.timed_exits, s.days, s.max_days, s.late, s.confiscations, 0, %s, %s, %s, %s
		from ({derived}) s
		left join `tabSales Opportunity` o on o.name = s.opportunity""",
		[now, now, user, user, *params],
	)
	refresh_conversion(opportunities, stage_rows)
	if owners is not None:
		recount_totals(list(owners))
	return (
		frappe.db.count(SUMMARY)
		if opportunities is None
		else frappe.db.count(SUMMARY, {"opportunity": ("in", opportunities)})
	)


def differences(opportunities: list[str] | None = None) -> list[dict]:
	"""Rows where the summary and the log disagree (empty when they agree), for the opportunities
	(None: all). `converted` is compared with what the first entries give."""
	stage_rows = stored_stages()
	sql, params = _from_log(opportunities, stage_rows)
	# nosemgrep: frappe-using-db-sql -- the same SELECT as `rebuild`, compared instead of written
	derived = frappe.db.sql(sql, params, as_dict=True)
	summary = frappe.get_all(
		SUMMARY,
		filters=None if opportunities is None else {"opportunity": ("in", opportunities)},
		fields=["opportunity", "stage", "first_entered_at", "converted", *COUNTERS, "max_days"],
		limit_page_length=0,
	)
	follows = next_stages(stage_rows)
	firsts = {(r.opportunity, r.stage): r.first_entered_at for r in derived}
	expected = {}
	for r in derived:
		then = firsts.get((r.opportunity, follows.get(r.stage)))
		expected[(r.opportunity, r.stage)] = _comparable(r, converted=converted(r.first_entered_at, then))
	stored = {(r.opportunity, r.stage): _comparable(r, converted=cint(r.converted)) for r in summary}
	wrong = [
		{"opportunity": key[0], "stage": key[1], "log": expected.get(key), "summary": stored.get(key)}
		for key in sorted(set(expected) | set(stored))
		if expected.get(key) != stored.get(key)
	]
	return wrong + _owner_differences(opportunities) + (totals_differences() if opportunities is None else [])


def _owner_differences(opportunities: list[str] | None) -> list[dict]:
	"""Summary rows counted for someone other than their opportunity's owner."""
	summary, o = frappe.qb.DocType(SUMMARY), frappe.qb.DocType("Sales Opportunity")
	query = (
		frappe.qb.from_(summary)
		.join(o)
		.on(o.name == summary.opportunity)
		.select(summary.opportunity, summary.stage, summary.sales_person, o.sales_person.as_("owner"))
		.where(Coalesce(summary.sales_person, "") != Coalesce(o.sales_person, ""))
	)
	if opportunities is not None:
		query = query.where(summary.opportunity.isin(opportunities))
	return [
		{"opportunity": r.opportunity, "stage": r.stage, "summary": r.sales_person, "owner": r.owner}
		for r in query.orderby(summary.opportunity, summary.stage).run(as_dict=True)
	]


def totals_differences() -> list[dict]:
	"""Stage × owner totals that are not the sum of their summary rows (rows of zeros left behind by
	an owner who has none any more are equal to no rows)."""
	# nosemgrep: frappe-using-db-sql -- the same aggregate as `recount_totals`, compared instead of written
	derived = frappe.db.sql(
		f"select s.stage, s.sales_person, {TOTALS_SQL} from `tab{SUMMARY}` s group by s.stage, s.sales_person"
	)
	totals = frappe.qb.DocType(TOTALS)
	stored = (
		frappe.qb.from_(totals)
		.select(totals.stage, totals.sales_person, *(totals[c] for c in TOTALS_COUNTERS))
		.run()
	)

	def by_key(rows) -> dict:
		result: dict[tuple, list] = {}
		for stage, person, *values in rows:
			_add(result, (stage, person), [round(flt(v), 6) for v in values], 1)
		return {k: tuple(round(v, 6) for v in vs) for k, vs in result.items() if any(vs)}

	expected, kept = by_key(derived), by_key(stored)
	return [
		{"stage": key[0], "sales_person": key[1], "summary": expected.get(key), "totals": kept.get(key)}
		for key in sorted(set(expected) | set(kept), key=lambda k: (k[0], k[1] or ""))
		if expected.get(key) != kept.get(key)
	]


def _comparable(r, converted: int) -> tuple:
	return (
		r.first_entered_at and get_datetime(r.first_entered_at),
		cint(r.entries),
		cint(r.exits),
		round(flt(r.days), 6),
		round(flt(r.max_days), 6) if cint(r.timed_exits) else None,
		cint(r.late),
		cint(r.confiscations),
		converted,
	)


def schedule_refresh() -> None:
	"""A stage was added, removed or moved in the sequence: `converted` follows the new order once
	the change is committed (one queued job however many stages a fixture sync saves)."""
	frappe.enqueue(
		"sales_process.domain.stage_history.refresh_conversion",
		queue="long",
		job_id="sales_process:stage_summary_conversion",
		deduplicate=True,
		enqueue_after_commit=True,
		now=bool(frappe.flags.in_test or frappe.flags.in_install or frappe.flags.in_migrate),
	)
