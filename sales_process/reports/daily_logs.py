"""Analytics over the daily logs (L4–L7, R5).

Every number is aggregated in SQL (frappe.qb); Python only shapes the aggregated rows (one per
person, period, rule or week) into report rows, explanations and charts. Every function limits the
logs to the user's data scope (A1, `hierarchy.apply_scope` on the log's sales person) unless its
docstring says otherwise.

- `diligence_ability`: minutes (diligence) and effective score (ability) per person or team and
  day or month (L4); `with_days_below` and `standard_summary` add the days below the minimum
  daily standard (K6, `domain.daily_standard`).
- `false_report_flags`, `false_report_summary`, `early_warning`: the false-report rules, the
  silent opportunities (K9, `domain.silence`) and the resignation early warning (L5).
- `leaderboard`: effective score, minutes and won amount with ranks (L6).
- `trial_comparison`: a new salesperson's weeks against the team's at the same tenure (L7).
"""

import math

from pypika import analytics as an

import frappe
from frappe import _
from frappe.query_builder import Case, Criterion, Interval, Order
from frappe.query_builder.custom import ConstantColumn
from frappe.query_builder.functions import (
	Cast,
	Coalesce,
	Count,
	CustomFunction,
	DateFormat,
	Extract,
	Floor,
	GroupConcat,
	Lower,
	Max,
	Min,
	Sum,
)
from frappe.utils import (
	add_days,
	cint,
	flt,
	format_date,
	format_datetime,
	get_datetime,
	getdate,
	now_datetime,
	today,
)

from sales_process.domain import check_in, daily_standard, deadlines, hierarchy, settings, silence
from sales_process.domain.deadlines import DateDiff
from sales_process.domain.stages import stored_stages
from sales_process.reports.help_alerts import responses_per_sales_person

PERIODS = ("Daily", "Monthly")
GROUPINGS = ("Sales Person", "Team")
RULES = (
	"stagnant",
	"repeated_note",
	"implausible_minutes",
	"bulk_entry",
	"zero_cost_visit",
	"visit_without_check_in",
	"check_in_far",
	"silent",
)
RECENT_DAYS = 14  # early warning: the recent window …
BASELINE_DAYS = 28  # … against the average 14-day rate of the weeks before it
CHART_SERIES = 10  # at most this many lines / bars in a chart
NOTE_PREVIEW = 60

RegexpReplace = CustomFunction("REGEXP_REPLACE", ["subject", "pattern", "replacement"])


# --- shared pieces --------------------------------------------------------------------------------


def date_range(from_date, to_date) -> tuple:
	start, end = getdate(from_date), getdate(to_date)
	if not start or not end:
		frappe.throw(_("Both From Date and To Date are required."), frappe.ValidationError)
	if start > end:
		frappe.throw(
			_("From Date {0} is after To Date {1}.").format(format_date(start), format_date(end)),
			frappe.ValidationError,
		)
	return start, end


def _restrict(query, log, from_date, to_date, sales_person=None, user=None):
	"""Period, optional subtree filter and the user's scope on the log table `log`."""
	query = query.where(log.log_date[from_date:to_date])
	if (criterion := hierarchy.subtree_filter(log.sales_person, sales_person)) is not None:
		query = query.where(criterion)
	return hierarchy.apply_scope(query, log.sales_person, user)


def _round(value, digits=2) -> float:
	return round(flt(value), digits)


def _number(value, digits=1) -> str:
	"""A number for an explanation: 840 rather than 840.0, 66.7 rather than 66.6667."""
	return f"{round(flt(value), digits):.{digits}f}".rstrip("0").rstrip(".")


# --- L4: diligence and ability ------------------------------------------------------------------------


def diligence_ability(
	from_date,
	to_date,
	period: str = "Daily",
	sales_person: str | None = None,
	group_by: str = "Sales Person",
	user: str | None = None,
) -> list[dict]:
	"""Per period (day, or month as "YYYY-MM") and sales person (or team = the person's parent):
	entries, minutes (diligence), effective score (ability) and cost."""
	if period not in PERIODS:
		frappe.throw(_("Period must be Daily or Monthly."), frappe.ValidationError)
	if group_by not in GROUPINGS:
		frappe.throw(_("Group By must be Sales Person or Team."), frappe.ValidationError)
	from_date, to_date = date_range(from_date, to_date)

	log = frappe.qb.DocType("Sales Daily Log")
	sp = frappe.qb.DocType("Sales Person")
	period_expr = log.log_date if period == "Daily" else DateFormat(log.log_date, "%Y-%m")
	key = "sales_person" if group_by == "Sales Person" else "team"
	group_expr = log.sales_person if group_by == "Sales Person" else sp.parent_sales_person

	query = frappe.qb.from_(log)
	if group_by == "Team":
		query = query.join(sp).on(sp.name == log.sales_person)
	query = (
		query.select(
			period_expr.as_("period"),
			group_expr.as_(key),
			Count(log.name).as_("entries"),
			Coalesce(Sum(log.minutes), 0).as_("minutes"),
			Coalesce(Sum(log.effective_score), 0).as_("effective_score"),
			Coalesce(Sum(log.cost), 0).as_("cost"),
		)
		.groupby(period_expr, group_expr)
		.orderby(period_expr)
		.orderby(group_expr)
	)
	rows = _restrict(query, log, from_date, to_date, sales_person, user).run(as_dict=True)
	return [
		{
			"period": str(r.period),
			key: r[key],
			"entries": cint(r.entries),
			"minutes": cint(r.minutes),
			"effective_score": _round(r.effective_score),
			"cost": _round(r.cost),
		}
		for r in rows
	]


def with_days_below(
	rows: list[dict],
	from_date,
	to_date,
	period: str = "Daily",
	sales_person: str | None = None,
	group_by: str = "Sales Person",
	user: str | None = None,
) -> list[dict]:
	"""`diligence_ability`'s rows with `days_below_standard` (K6): the measured people's working days
	below the minimum daily standard in that period and group. A period and group with days below
	but no entry at all (nobody logged) gets a row of its own with zeros, so the column adds up to
	the report's total."""
	key = "sales_person" if group_by == "Sales Person" else "team"
	below = {
		(r["period"], r[key]): r["days_below"]
		for r in daily_standard.days_below(
			from_date, to_date, period, group_by, sales_person=sales_person, user=user
		)
		if r["days_below"]
	}
	out = [dict(row, days_below_standard=below.pop((row["period"], row[key]), 0)) for row in rows]
	out += [
		{
			"period": p,
			key: k,
			"entries": 0,
			"minutes": 0,
			"effective_score": 0.0,
			"cost": 0.0,
			"days_below_standard": n,
		}
		for (p, k), n in below.items()
	]
	out.sort(key=lambda r: (r["period"], r[key] or ""))
	return out


def standard_summary(from_date, to_date, sales_person: str | None = None, user: str | None = None) -> dict:
	"""The standard (K6) and, over the measured people of the scope, the working days (person-days),
	the days below it and how many people had at least one."""
	std = daily_standard.standard()
	people = daily_standard.days_below(from_date, to_date, sales_person=sales_person, user=user)
	return {
		"min_minutes": std.min_minutes,
		"min_score": std.min_score,
		"active": std.active,
		"judged_until": daily_standard.judged_until(to_date),
		"people": len(people),
		"working_days": sum(p["working_days"] for p in people),
		"days_below": sum(p["days_below"] for p in people),
		"people_below": sum(1 for p in people if p["days_below"]),
	}


def period_labels(from_date, to_date, period: str) -> list[str]:
	"""Every day (or month) of the range, so a curve shows the days without entries as 0."""
	start, end = date_range(from_date, to_date)
	if period == "Monthly":
		months = (end.year - start.year) * 12 + end.month - start.month
		return [
			f"{start.year + (start.month - 1 + i) // 12:04d}-{(start.month - 1 + i) % 12 + 1:02d}"
			for i in range(months + 1)
		]
	return [str(add_days(start, i)) for i in range((end - start).days + 1)]


def curve_chart(rows: list[dict], key: str, measure: str, labels: list[str]) -> dict:
	"""A line chart of `measure` per period, one line per group (the CHART_SERIES largest)."""
	totals: dict[str, float] = {}
	values: dict[tuple[str, str], float] = {}
	for row in rows:  # aggregated rows: one per period and group
		group = row[key] or _("Not Set")
		totals[group] = totals.get(group, 0) + flt(row[measure])
		values[(group, row["period"])] = flt(row[measure])
	groups = sorted(totals, key=lambda g: (-totals[g], g))[:CHART_SERIES]
	return {
		"data": {
			"labels": labels,
			"datasets": [
				{"name": group, "values": [values.get((group, label), 0) for label in labels]}
				for group in groups
			],
		},
		"type": "line",
		"axisOptions": {"xIsSeries": 1},
		"lineOptions": {"hideDots": 1 if len(labels) > 62 else 0},
	}


# --- L5: false-report rules --------------------------------------------------------------------------


def rule_label(rule: str) -> str:
	return {
		"stagnant": _("Stagnant Opportunity"),
		"repeated_note": _("Repeated Note"),
		"implausible_minutes": _("Implausible Minutes"),
		"bulk_entry": _("Bulk Entry"),
		"zero_cost_visit": _("Zero-Cost Visit"),
		"visit_without_check_in": _("Visit Without Check-in"),
		"check_in_far": _("Check-in Far From Customer"),
		"silent": _("Silent Opportunity"),
	}[rule]


def _flag_columns(log, rule: str) -> list:
	return [
		log.name.as_("entry"),
		log.sales_person.as_("sales_person"),
		log.log_date.as_("log_date"),
		log.stage.as_("stage"),
		log.customer.as_("customer"),
		log.opportunity.as_("opportunity"),
		ConstantColumn(rule).as_("rule"),
	]


def normalised_note(field):
	"""SQL: the note with surrounding whitespace (spaces, tabs, newlines) removed, lower-cased."""
	return Lower(RegexpReplace(field, r"^[[:space:]]+|[[:space:]]+$", ""))


def _stagnant_query(cfg, log, opp):
	days = DateDiff(log.log_date, opp.stage_entered_at)
	return (
		frappe.qb.from_(log)
		.join(opp)
		.on(opp.name == log.opportunity)
		.select(*_flag_columns(log, "stagnant"), opp.stage_entered_at, days.as_("days"))
		.where(opp.stage_entered_at.isnotnull() & (days >= cfg.stagnant_days))
	)


def _repeated_note_query(cfg, log, from_date, to_date, sales_person, user):
	notes = frappe.qb.DocType("Sales Daily Log").as_("notes")
	key = normalised_note(notes.note)
	repeated = _restrict(
		frappe.qb.from_(notes)
		.select(notes.sales_person, key.as_("note_key"), Count(notes.name).as_("times"))
		.where(notes.note.isnotnull() & (key != ""))
		.groupby(notes.sales_person, key)
		.having(Count(notes.name) >= cfg.repeated_note_count),
		notes,
		from_date,
		to_date,
		sales_person,
		user,
	).as_("repeated")
	return (
		frappe.qb.from_(log)
		.join(repeated)
		.on((repeated.sales_person == log.sales_person) & (repeated.note_key == normalised_note(log.note)))
		.select(*_flag_columns(log, "repeated_note"), log.note, repeated.times)
	)


def _implausible_query(cfg, log):
	return (
		frappe.qb.from_(log)
		.select(*_flag_columns(log, "implausible_minutes"), log.minutes)
		.where(log.minutes > cfg.implausible_minutes)
	)


def _in_bulk_window(cfg, entry, sales_person, window_start):
	"""`entry` (a log table) is a late entry of `sales_person` in the window opened at `window_start`."""
	return (
		(entry.sales_person == sales_person)
		& (entry.entered_at >= window_start)
		& (entry.entered_at <= window_start + Interval(minutes=cfg.bulk_entry_window_minutes))
		& (Extract("hour", entry.entered_at) >= cfg.bulk_entry_after_hour)
	)


def _bulk_windows_query(cfg, from_date, to_date, sales_person, user):
	"""One row per late entry that opens a window of `bulk_entry_window_minutes` in which the same
	person entered logs for at least `bulk_entry_count` different customers."""
	start = frappe.qb.DocType("Sales Daily Log").as_("window_start")
	other = frappe.qb.DocType("Sales Daily Log").as_("window_entry")
	query = (
		frappe.qb.from_(start)
		.join(other)
		.on(
			_in_bulk_window(cfg, other, start.sales_person, start.entered_at)
			& other.log_date[from_date:to_date]
		)
		.select(
			start.sales_person.as_("sales_person"),
			start.entered_at.as_("window_start"),
			Max(other.entered_at).as_("window_end"),
			Count(other.name).as_("entries"),
			Count(other.customer).distinct().as_("customers"),
		)
		.where(Extract("hour", start.entered_at) >= cfg.bulk_entry_after_hour)
		.groupby(start.name, start.sales_person, start.entered_at)
		.having(Count(other.customer).distinct() >= cfg.bulk_entry_count)
	)
	return _restrict(query, start, from_date, to_date, sales_person, user)


def _bulk_entry_query(cfg, log, windows):
	"""Every entry inside a bulk window, with the start of the earliest window that holds it."""
	window = windows.as_("bulk")
	return (
		frappe.qb.from_(log)
		.join(window)
		.on(_in_bulk_window(cfg, log, window.sales_person, window.window_start))
		.select(*_flag_columns(log, "bulk_entry"), Min(window.window_start).as_("window_start"))
		.groupby(
			log.name, log.sales_person, log.log_date, log.stage, log.customer, log.opportunity, log.entered_at
		)
	)


def _visit_query(log, rule: str):
	"""The entries with at least one visit activity, with the visits ticked (`visits`)."""
	act = frappe.qb.DocType("Sales Daily Log Activity")
	activity_type = frappe.qb.DocType("Sales Activity Type")
	return (
		frappe.qb.from_(log)
		.join(act)
		# child rows name their parent as text; comparing text with text keeps the parent index usable
		.on((act.parent == Cast(log.name, "char")) & (act.parenttype == "Sales Daily Log"))
		.join(activity_type)
		.on(activity_type.name == act.activity_type)
		.select(*_flag_columns(log, rule), GroupConcat(activity_type.name).distinct().as_("visits"))
		.where(activity_type.is_visit == 1)
		.groupby(log.name, log.sales_person, log.log_date, log.stage, log.customer, log.opportunity)
	)


def _zero_cost_visit_query(log):
	return _visit_query(log, "zero_cost_visit").where(Coalesce(log.cost, 0) == 0)


def _visit_without_check_in_query(log):
	"""F2: only entries of chain version 3 or later, written when a check-in could be attached."""
	return _visit_query(log, "visit_without_check_in").where(
		log.check_in_at.isnull() & (log.chain_version >= check_in.SINCE_CHAIN_VERSION)
	)


def _check_in_far_query(cfg, log):
	"""F2: measured only where the customer has an address with coordinates."""
	return (
		frappe.qb.from_(log)
		.select(
			*_flag_columns(log, "check_in_far"),
			log.check_in_at,
			log.check_in_distance,
			log.check_in_accuracy,
			log.check_in_address,
		)
		.where(
			log.check_in_at.isnotnull()
			& (Coalesce(log.check_in_address, "") != "")
			& (log.check_in_distance > cfg.check_in_max_distance_m)
		)
	)


def _rule_queries(cfg, from_date, to_date, sales_person=None, user=None) -> dict:
	"""{rule: query}; each query selects one row per flagged entry with the _flag_columns."""
	log = frappe.qb.DocType("Sales Daily Log")
	opp = frappe.qb.DocType("Sales Opportunity")
	windows = _bulk_windows_query(cfg, from_date, to_date, sales_person, user)
	queries = {
		"stagnant": _stagnant_query(cfg, log, opp),
		"repeated_note": _repeated_note_query(cfg, log, from_date, to_date, sales_person, user),
		"implausible_minutes": _implausible_query(cfg, log),
		"bulk_entry": _bulk_entry_query(cfg, log, windows),
		"zero_cost_visit": _zero_cost_visit_query(log),
		"check_in_far": _check_in_far_query(cfg, log),
	}
	if cfg.flag_visit_without_check_in:
		queries["visit_without_check_in"] = _visit_without_check_in_query(log)
	queries = {
		rule: _restrict(query, log, from_date, to_date, sales_person, user) for rule, query in queries.items()
	}
	# silence is a state of today, not of an entry: listed when the period reaches today
	if from_date <= getdate(today()) <= to_date:
		queries["silent"] = silence.silent_query(now_datetime(), sales_person, user)
	return queries


def false_report_flags(
	from_date, to_date, sales_person: str | None = None, user: str | None = None
) -> list[dict]:
	"""Entries that look false, one flag per entry and rule, each with a concrete explanation:

	- stagnant: the entry's opportunity has not changed stage for at least `stagnant_days` days at the
	  entry's log date (measured from the opportunity's current `stage_entered_at`);
	- repeated_note: the person used the same note (trimmed, case-insensitive; empty notes ignored) at
	  least `repeated_note_count` times in the period;
	- implausible_minutes: more than `implausible_minutes` minutes in one entry;
	- bulk_entry: at least `bulk_entry_count` entries for different customers entered within
	  `bulk_entry_window_minutes` minutes, at or after `bulk_entry_after_hour` o'clock;
	- zero_cost_visit: a visit activity claimed with zero cost;
	- visit_without_check_in (F2, setting `flag_visit_without_check_in`): a visit activity in an entry
	  written since check-ins exist (chain version 3) that carries no check-in;
	- check_in_far (F2): a check-in more than `check_in_max_distance_m` metres from the customer's
	  nearest address with coordinates;
	- silent (K9, when the period reaches today): an open opportunity, its stage deadline not passed,
	  without a daily log (or stage or owner change) for at least `silence_days` days; one flag per
	  opportunity, after the entries' flags, longest silent first (no entry: `log_date` is its last
	  log's date).
	"""
	from_date, to_date = date_range(from_date, to_date)
	cfg = settings.get_settings()
	queries = _rule_queries(cfg, from_date, to_date, sales_person, user)
	windows = {}
	flags = []
	for rule, query in queries.items():
		rows = query.run(as_dict=True)
		if rule == "bulk_entry" and rows:
			window_rows = _bulk_windows_query(cfg, from_date, to_date, sales_person, user).run(as_dict=True)
			windows = {(w.sales_person, get_datetime(w.window_start)): w for w in window_rows}
		for row in rows:  # the flagged entries only
			flags.append(
				{
					"entry": row.entry,
					"sales_person": row.sales_person,
					"log_date": row.log_date,
					"customer": row.customer,
					"opportunity": row.opportunity,
					"stage": row.stage,
					"rule": rule,
					"rule_label": rule_label(rule),
					"explanation": _explain(rule, row, cfg, windows),
					**({"days_silent": cint(row.days_silent)} if rule == "silent" else {}),
				}
			)
	order = {rule: i for i, rule in enumerate(RULES)}
	silent = [f for f in flags if f["rule"] == "silent"]
	flags = [f for f in flags if f["rule"] != "silent"]
	flags.sort(key=lambda f: (f["log_date"], f["sales_person"] or "", cint(f["entry"]), order[f["rule"]]))
	silent.sort(key=lambda f: (-f["days_silent"], f["opportunity"]))
	return flags + silent


def _explain(rule: str, row, cfg, windows: dict) -> str:
	if rule == "stagnant":
		return _(
			"Opportunity {0} had been in its stage since {1}: {2} days without a stage move on {3} (threshold {4} days)."
		).format(
			row.opportunity,
			format_date(row.stage_entered_at),
			cint(row.days),
			format_date(row.log_date),
			cfg.stagnant_days,
		)
	if rule == "repeated_note":
		note = (row.note or "").strip()
		if len(note) > NOTE_PREVIEW:
			note = note[:NOTE_PREVIEW] + "…"
		return _('The note "{0}" was used {1} times by {2} in the period (threshold {3}).').format(
			note, cint(row.times), row.sales_person, cfg.repeated_note_count
		)
	if rule == "implausible_minutes":
		return _("{0} minutes in one entry, more than the plausible {1} minutes.").format(
			cint(row.minutes), cfg.implausible_minutes
		)
	if rule == "bulk_entry":
		window = windows.get((row.sales_person, get_datetime(row.window_start)))
		return _(
			"{0} entries for {1} different customers were entered between {2} and {3}, within {4} minutes after {5}:00 (threshold {6} customers)."
		).format(
			cint(window.entries) if window else "?",
			cint(window.customers) if window else "?",
			format_datetime(row.window_start),
			format_datetime(window.window_end) if window else "?",
			cfg.bulk_entry_window_minutes,
			cfg.bulk_entry_after_hour,
			cfg.bulk_entry_count,
		)
	if rule == "silent":
		return _explain_silence(row, cfg)
	if rule == "check_in_far":
		return _(
			"Checked in at {0} {1} m from the customer's address {2} (accuracy {3} m), farther than {4} m."
		).format(
			format_datetime(row.check_in_at),
			_number(row.check_in_distance, 0),
			row.check_in_address,
			_number(row.check_in_accuracy, 0),
			cfg.check_in_max_distance_m,
		)
	visits = ", ".join(_(v) for v in sorted((row.visits or "").split(",")) if v)
	if rule == "visit_without_check_in":
		return _("A visit ({0}) was logged without a check-in: no location from the phone.").format(visits)
	return _("A visit ({0}) was claimed with zero cost.").format(visits)


def _explain_silence(row, cfg) -> str:
	days, threshold = cint(row.days_silent), cfg.silence_days
	since = silence.since_what(row)
	if since == "log":
		text = _(
			"No daily log on opportunity {0} for {1} days: its last entry is dated {2} (threshold {3} days)."
		).format(row.opportunity, days, format_date(row.last_log_date), threshold)
	elif since == "stage":
		text = _(
			"No daily log on opportunity {0} for {1} days since it entered stage {2} on {3} (threshold {4} days)."
		).format(row.opportunity, days, _(row.stage), format_date(row.stage_entered_on), threshold)
	elif since == "owner":
		text = _(
			"No daily log on opportunity {0} for {1} days since it changed owner on {2} (threshold {3} days)."
		).format(row.opportunity, days, format_date(row.owner_changed_on), threshold)
	else:
		text = _(
			"No daily log on opportunity {0} for {1} days since it was created on {2} (threshold {3} days)."
		).format(row.opportunity, days, format_date(row.created_on), threshold)
	if not row.stage_due_at:
		return text + " " + _("Its stage has no deadline.")
	left = deadlines.days_left(row.stage_due_at, now_datetime())
	return (
		text
		+ " "
		+ _("Its stage deadline is {0}, {1} days from now.").format(
			format_datetime(row.stage_due_at), _number(left)
		)
	)


def false_report_summary(
	from_date, to_date, by: str = "Sales Person", sales_person: str | None = None, user: str | None = None
) -> list[dict]:
	"""Flag counts per rule, per sales person or per stage (the entry's stage when it was made)."""
	if by not in ("Sales Person", "Stage"):
		frappe.throw(_("Summarise by Sales Person or Stage."), frappe.ValidationError)
	from_date, to_date = date_range(from_date, to_date)
	column = "sales_person" if by == "Sales Person" else "stage"
	union = None
	for rule, query in _rule_queries(settings.get_settings(), from_date, to_date, sales_person, user).items():
		flagged = query.as_(f"flagged_{rule}")
		counted = (
			frappe.qb.from_(flagged)
			.select(
				flagged[column].as_("group_key"), ConstantColumn(rule).as_("rule"), Count("*").as_("flags")
			)
			.groupby(flagged[column])
		)
		union = counted if union is None else union.union_all(counted)
	rows = union.run(as_dict=True)

	summary: dict[str | None, dict] = {}
	for row in rows:  # aggregated: one row per group and rule
		entry = summary.setdefault(
			row.group_key, {column: row.group_key, **{r: 0 for r in RULES}, "total": 0}
		)
		entry[row.rule] += cint(row.flags)
		entry["total"] += cint(row.flags)
	if by == "Stage":
		order = {s.name: i for i, s in enumerate(stored_stages())}  # a stage no longer configured first
		key = lambda e: (e["stage"] is None, order.get(e["stage"], -1), e["stage"] or "")  # noqa: E731
	else:
		key = lambda e: (-e["total"], e["sales_person"] or "")  # noqa: E731
	return sorted(summary.values(), key=key)


def early_warning(as_of=None, user: str | None = None, sales_person: str | None = None) -> list[dict]:
	"""People whose minutes or effective score over the last 14 days (ending `as_of`) fell by at
	least `decline_threshold_percent` below their average 14-day rate over the 28 days before."""
	as_of = getdate(as_of or today())
	recent_start = add_days(as_of, -(RECENT_DAYS - 1))
	baseline_start = add_days(recent_start, -BASELINE_DAYS)
	baseline_end = add_days(recent_start, -1)
	threshold = settings.get("decline_threshold_percent")

	log = frappe.qb.DocType("Sales Daily Log")
	recent = log.log_date >= recent_start

	def split(field):
		return (
			Sum(Case().when(recent, field).else_(0)).as_(f"recent_{field.name}"),
			Sum(Case().when(recent, 0).else_(field)).as_(f"baseline_{field.name}"),
		)

	query = (
		frappe.qb.from_(log)
		.select(log.sales_person, *split(log.minutes), *split(log.effective_score))
		.groupby(log.sales_person)
	)
	rows = _restrict(query, log, baseline_start, as_of, sales_person, user).run(as_dict=True)

	periods = frappe._dict(
		baseline=_("{0} to {1}").format(format_date(baseline_start), format_date(baseline_end)),
		recent=_("{0} to {1}").format(format_date(recent_start), format_date(as_of)),
	)
	warnings = []
	for row in rows:  # aggregated: one row per person
		result = {"sales_person": row.sales_person}
		reasons = []
		for measure, label in (("minutes", _("Minutes")), ("effective_score", _("Effective score"))):
			rate = flt(row[f"baseline_{measure}"]) * RECENT_DAYS / BASELINE_DAYS
			now = flt(row[f"recent_{measure}"])
			decline = (rate - now) / rate * 100 if rate > 0 else 0
			result.update(
				{
					f"baseline_{measure}": _round(rate),
					f"recent_{measure}": _round(now),
					f"{measure}_decline": _round(decline, 1),
				}
			)
			if rate > 0 and decline >= threshold:
				reasons.append(
					_(
						"{0} fell from an average of {1} per 14 days ({2}) to {3} in the last 14 days ({4}): {5}% lower, threshold {6}%."
					).format(
						label,
						_number(rate),
						periods.baseline,
						_number(now),
						periods.recent,
						_number(decline),
						threshold,
					)
				)
		if reasons:
			result["explanation"] = " ".join(reasons)
			warnings.append(result)
	warnings.sort(key=lambda w: (-max(w["minutes_decline"], w["effective_score_decline"]), w["sales_person"]))
	return warnings


def count_chart(labels: list[str], datasets: list[tuple[str, list]]) -> dict:
	return {
		"data": {
			"labels": labels,
			"datasets": [{"name": name, "values": values} for name, values in datasets],
		},
		"type": "bar",
		"barOptions": {"stacked": 1},
	}


# --- L6: leaderboard -------------------------------------------------------------------------------


LEADERBOARD_MEASURES = ("effective_score", "minutes", "won_amount", "help_given")


def _won_query(from_date, to_date):
	"""Won amount per sales person: opportunities now Won whose (latest) Won log row falls in the
	period, credited to that row's to_sales_person."""
	stage_log = frappe.qb.DocType("Opportunity Stage Log")
	won_row = frappe.qb.DocType("Opportunity Stage Log").as_("won_row")
	opp = frappe.qb.DocType("Sales Opportunity")
	last_won = (
		frappe.qb.from_(stage_log)
		.select(stage_log.opportunity, Max(stage_log.at).as_("won_at"))
		.where(stage_log.action == "Won")
		.groupby(stage_log.opportunity)
	).as_("last_won")
	return (
		frappe.qb.from_(won_row)
		.join(last_won)
		.on((last_won.opportunity == won_row.opportunity) & (last_won.won_at == won_row.at))
		.join(opp)
		.on(opp.name == won_row.opportunity)
		.select(
			won_row.to_sales_person.as_("sales_person"),
			Coalesce(Sum(opp.amount), 0).as_("won_amount"),
			Count(opp.name).as_("won_count"),
		)
		.where(
			(won_row.action == "Won")
			& (opp.status == "Won")
			& (won_row.at >= get_datetime(from_date))
			& (won_row.at < get_datetime(add_days(to_date, 1)))
		)
		.groupby(won_row.to_sales_person)
	)


def leaderboard(from_date, to_date, user: str | None = None, order_by: str = "effective_score") -> list[dict]:
	"""Per sales person with logs, wins or help given in the period: effective score, minutes, entries,
	won amount and help given (answers to colleagues' help alerts) with a rank per measure (1 = best;
	ties share a rank).

	Visibility follows the setting: "Company" shows everyone to every user; "Hierarchy" applies the
	user's data scope."""
	from_date, to_date = date_range(from_date, to_date)
	measures = LEADERBOARD_MEASURES
	if order_by not in measures:
		frappe.throw(_("Cannot rank by {0}.").format(order_by), frappe.ValidationError)

	sp = frappe.qb.DocType("Sales Person")
	log = frappe.qb.DocType("Sales Daily Log")
	work = (
		frappe.qb.from_(log)
		.select(
			log.sales_person,
			Count(log.name).as_("entries"),
			Sum(log.minutes).as_("minutes"),
			Sum(log.effective_score).as_("effective_score"),
		)
		.where(log.log_date[from_date:to_date])
		.groupby(log.sales_person)
	).as_("work")
	won = _won_query(from_date, to_date).as_("won")
	help_given = responses_per_sales_person(from_date, to_date).as_("help")
	sources = [
		(work, ("entries", "minutes", "effective_score")),
		(won, ("won_amount", "won_count")),
		(help_given, ("help_given",)),
	]

	query = frappe.qb.from_(sp)
	values = {}
	for source, columns in sources:
		query = query.left_join(source).on(source.sales_person == sp.name)
		values.update({column: Coalesce(source[column], 0) for column in columns})
	query = query.select(
		sp.name.as_("sales_person"),
		*(value.as_(column) for column, value in values.items()),
		*(an.Rank().orderby(values[m], order=Order.desc).as_(f"rank_{m}") for m in measures),
	).where(Criterion.any([source.sales_person.isnotnull() for source, _columns in sources]))
	query = hierarchy.visibility_scope("leaderboard_visibility", user).apply(query, sp.name)
	query = query.orderby(values[order_by], order=Order.desc).orderby(sp.name)

	rows = query.run(as_dict=True)
	return [
		{
			"sales_person": r.sales_person,
			"effective_score": _round(r.effective_score),
			"minutes": cint(r.minutes),
			"entries": cint(r.entries),
			"won_amount": _round(r.won_amount),
			"won_count": cint(r.won_count),
			"help_given": _round(r.help_given),
			**{f"rank_{m}": cint(r[f"rank_{m}"]) for m in measures},
		}
		for r in rows
	]


# --- L7: trial period ------------------------------------------------------------------------------


def trial_comparison(sales_person: str, user: str | None = None, as_of=None) -> list[dict]:
	"""Per tenure week (1 = the first 7 days from Employee.date_of_joining) up to the trial period:
	the person's minutes and effective score against the average of their teammates (the other
	people under the same parent) in the same week of their own tenure.

	A teammate counts for a week once they had reached it (as of `as_of`, default today) and if they
	have any log in their own trial period (people who joined before logging started are left out
	instead of counting as zeros). Teammates outside the user's data scope are left out too."""
	if not sales_person:
		frappe.throw(_("Choose a Sales Person."), frappe.ValidationError)
	if not hierarchy.bounds(sales_person):
		frappe.throw(_("Sales Person {0} does not exist.").format(sales_person), frappe.DoesNotExistError)
	if not hierarchy.in_scope(sales_person, user):
		frappe.throw(
			_("{0} is outside your team, so you cannot compare their trial period.").format(sales_person),
			frappe.PermissionError,
		)

	as_of = getdate(as_of or today())
	trial_days = settings.get("trial_period_days")
	weeks = math.ceil(trial_days / 7)
	sp = frappe.qb.DocType("Sales Person")
	emp = frappe.qb.DocType("Employee")
	person = (
		frappe.qb.from_(sp)
		.left_join(emp)
		.on(emp.name == sp.employee)
		.select(sp.parent_sales_person, emp.date_of_joining)
		.where(sp.name == sales_person)
		.run(as_dict=True)
	)[0]
	if not person.date_of_joining:
		frappe.throw(
			_("{0} has no Employee with a date of joining, so their tenure is unknown.").format(sales_person),
			frappe.ValidationError,
		)

	log = frappe.qb.DocType("Sales Daily Log")
	tenure_days = DateDiff(log.log_date, emp.date_of_joining)
	week = Floor(tenure_days / 7) + 1
	is_person = log.sales_person == sales_person
	in_team = (
		frappe.qb.from_(log)
		.join(sp)
		.on(sp.name == log.sales_person)
		.join(emp)
		.on(emp.name == sp.employee)
		.where(
			(sp.parent_sales_person == person.parent_sales_person)
			& emp.date_of_joining.isnotnull()
			& (tenure_days >= 0)
			& (tenure_days < trial_days)
		)
	)
	in_team = hierarchy.apply_scope(in_team, log.sales_person, user)
	by_week = (
		in_team.select(
			week.as_("week"),
			Sum(Case().when(is_person, log.minutes).else_(0)).as_("minutes"),
			Sum(Case().when(is_person, log.effective_score).else_(0)).as_("effective_score"),
			Sum(Case().when(is_person, 0).else_(log.minutes)).as_("team_minutes"),
			Sum(Case().when(is_person, 0).else_(log.effective_score)).as_("team_effective_score"),
		)
		.groupby(week)
		.run(as_dict=True)
	)
	teammates = (
		in_team.select(log.sales_person, emp.date_of_joining)
		.distinct()
		.where(log.sales_person != sales_person)
		.run(as_dict=True)
	)

	totals = {cint(r.week): r for r in by_week}
	joined = getdate(person.date_of_joining)
	rows = []
	for n in range(1, weeks + 1):  # one row per tenure week
		compared = sum(1 for t in teammates if _week_reached(t.date_of_joining, n, as_of))
		week_row = totals.get(n) or frappe._dict()
		mine = _week_reached(joined, n, as_of)
		rows.append(
			{
				"week": n,
				"week_start": add_days(joined, (n - 1) * 7),
				"minutes": cint(week_row.get("minutes")) if mine else None,
				"effective_score": _round(week_row.get("effective_score")) if mine else None,
				"team_minutes": _round(flt(week_row.get("team_minutes")) / compared) if compared else None,
				"team_effective_score": _round(flt(week_row.get("team_effective_score")) / compared)
				if compared
				else None,
				"teammates": compared,
			}
		)
	return rows


def _week_reached(date_of_joining, week: int, as_of) -> bool:
	"""Whether someone who joined on `date_of_joining` had started tenure week `week` by `as_of`."""
	return add_days(getdate(date_of_joining), (week - 1) * 7) <= as_of
