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
"""

import frappe
from frappe.utils import cint, flt, get_datetime, now_datetime

from sales_process.domain.bulk import CHUNK, insert_autoincrement
from sales_process.domain.stages import stored_stages

LOG = "Opportunity Stage Log"
SUMMARY = "Opportunity Stage Summary"
COUNTERS = ("entries", "exits", "timed_exits", "days", "late", "confiscations")
# the summary's row name, the same in SQL and in Python: one row per opportunity and stage
NAME_SQL = "md5(concat({opportunity}, '/', {stage}))"


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
	days_in_stage) to the summary."""
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
	if not acc:
		return
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
	refresh_conversion(sorted({opp for opp, _stage in acc}), stage_rows)


def refresh_conversion(opportunities: list[str] | None = None, stage_rows: list | None = None) -> None:
	"""Recompute `converted` for the opportunities (None: all) from the rows' first entries, with the
	stage sequence as configured now."""
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
	if opportunities is None:
		frappe.db.delete(SUMMARY)
	else:
		frappe.db.delete(SUMMARY, {"opportunity": ("in", opportunities)})
	now, user = now_datetime(), frappe.session.user
	name_sql = NAME_SQL.format(opportunity="s.opportunity", stage="s.stage")
	# nosemgrep: frappe-using-db-sql -- one INSERT … SELECT over the whole log (frappe.qb has no INSERT … SELECT with UNION)
	frappe.db.sql(
		f"""insert into `tab{SUMMARY}` (name, opportunity, stage, first_entered_at, entries, exits,
			timed_exits, days, max_days, late, confiscations, converted, creation, modified, owner,
			modified_by)
		select {name_sql}, s.opportunity, s.stage, s.first_entered_at, s.entries, s.exits,
			s.timed_exits, s.days, s.max_days, s.late, s.confiscations, 0, %s, %s, %s, %s
		from ({derived}) s""",
		[now, now, user, user, *params],
	)
	refresh_conversion(opportunities, stage_rows)
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
		expected[(r.opportunity, r.stage)] = _comparable(
			r, converted=int(bool(then and r.first_entered_at and then >= r.first_entered_at))
		)
	stored = {(r.opportunity, r.stage): _comparable(r, converted=cint(r.converted)) for r in summary}
	return [
		{"opportunity": key[0], "stage": key[1], "log": expected.get(key), "summary": stored.get(key)}
		for key in sorted(set(expected) | set(stored))
		if expected.get(key) != stored.get(key)
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
