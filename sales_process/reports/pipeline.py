"""Pipeline analytics (R1–R4): funnel, forecast, stage durations, contract billing.

Every number is aggregated in SQL (frappe.qb); Python only orders the aggregated rows (one per
stage, per month × owner, or per contract), applies a probability to per-stage sums and shapes the
charts. Pure reads, so the reports run on a replica (`@frappe.read_only()`).

Data scope (A1): opportunities of the user's Sales Person subtree (`permissions.opportunity_scope`,
the same scope as the desk's lists, on the opportunity's current owner); Sales Manager and System
Manager see all, and so do accountants, who read every opportunity.

- `funnel` (R1): per stage — opportunities now in it, amount, weighted amount, conversion to the
  next stage, average days in it, overdue.
- `forecast` (R2): open weighted pipeline by expected-close month and owner or territory, split into
  Commit / Best Case / Pipeline, Won as Closed, against ERPNext targets; optionally with stage
  probabilities calibrated from the company's own history (`calibrate`, a pure function).
- `trend` (K7): the forecast's other view, the open and weighted pipeline per day from the daily
  snapshots (`domain.pipeline_snapshot`), and how it moved since the period's first day.
- `stage_duration` (R3): time in each stage, overdue and confiscation rates.
- `contract_billing` (R4): per contract — ordered, invoiced, collected, outstanding, overdue.
"""

from pypika import analytics as an
from pypika.terms import ValueWrapper

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce, Count, CustomFunction, DateFormat, Max, Min, Sum
from frappe.utils import (
	add_days,
	add_months,
	cint,
	flt,
	format_date,
	get_datetime,
	get_first_day,
	get_last_day,
	getdate,
	now_datetime,
	today,
)

from sales_process.domain import deadlines, hierarchy, pipeline_snapshot, stage_history, weighted
from sales_process.domain.stage_history import next_stages
from sales_process.domain.stages import stored_stages as stages
from sales_process.permissions import opportunity_scope

# R2 forecast categories by (effective) probability: Commit ≥ 80, Best Case ≥ 50, Pipeline below
COMMIT_MIN_PROBABILITY = 80
BEST_CASE_MIN_PROBABILITY = 50
CATEGORIES = ("commit", "best_case", "pipeline")
# calibration: fewer closed opportunities than this from a stage → keep the configured probability
CALIBRATION_MIN_SAMPLES = 5
FORECAST_MONTHS = 6  # default forecast window: this month and the next five
TREND_DAYS = 90  # K7: default trend window, the snapshot days up to today
FORECAST_GROUPINGS = ("Sales Person", "Territory")
FUNNEL_CHART_MEASURES = ("Amount", "Count")
CHART_TOP = 20  # R4 chart: the contracts with the largest invoiced amount
MONEY_TOLERANCE = 0.005  # below half a cent a schedule row counts as paid

Least = CustomFunction("LEAST", ["a", "b"])
Greatest = CustomFunction("GREATEST", ["a", "b"])


# --- shared pieces --------------------------------------------------------------------------------


def refuse_reversed(start, end):
	"""The one refusal of a period that ends before it starts, for every report."""
	if start and end and getdate(start) > getdate(end):
		frappe.throw(
			_("From Date {0} is after To Date {1}.").format(format_date(start), format_date(end)),
			frappe.ValidationError,
		)


def filters_of(filters) -> frappe._dict:
	"""The report's filters as a dict, a reversed period refused."""
	f = frappe._dict(filters or {})
	refuse_reversed(f.from_date, f.to_date)
	return f


def scope(query, field, user: str | None = None):
	"""The user's data scope on `field` (a Sales Person column); accountants read everything."""
	return opportunity_scope(user).apply(query, field)


def _restrict(query, opp, f: frappe._dict, user: str | None, created: bool = True):
	"""The filters every pipeline report shares, on the opportunity table `opp`, and the scope.
	With `created`, from_date / to_date limit the opportunities' creation date."""
	if f.company:
		query = query.where(opp.company == f.company)
	for field, doctype, value in (
		(opp.sales_person, "Sales Person", f.sales_person),
		(opp.territory, "Territory", f.territory),
		(opp.customer_group, "Customer Group", f.customer_group),
	):
		if (criterion := hierarchy.subtree_filter(field, value, doctype)) is not None:
			query = query.where(criterion)
	if created and f.from_date:
		query = query.where(opp.creation >= get_datetime(getdate(f.from_date)))
	if created and f.to_date:
		query = query.where(opp.creation < get_datetime(add_days(getdate(f.to_date), 1)))
	return scope(query, opp.sales_person, user)


def _restricted(f: frappe._dict, user: str | None, created: bool = True) -> bool:
	"""Whether `_restrict` narrows the opportunities at all (a filter, or a user with a scope)."""
	if f.company or f.sales_person or f.territory or f.customer_group:
		return True
	if created and (f.from_date or f.to_date):
		return True
	return not opportunity_scope(user).unrestricted


def _logs_of(query, log, f: frappe._dict, user: str | None):
	"""Limit a query on the Opportunity Stage Log or its summary (`log`) to the opportunities
	`_restrict` allows, as a semi-join; with nothing to restrict no join at all: every row belongs to
	an opportunity (opportunities are never deleted), and joining each row to its opportunity costs
	several times the aggregate itself."""
	if not _restricted(f, user):
		return query
	opp = frappe.qb.DocType("Sales Opportunity")
	return query.where(log.opportunity.isin(_restrict(frappe.qb.from_(opp).select(opp.name), opp, f, user)))


def currency_of(company: str | None = None) -> str | None:
	company = company or frappe.defaults.get_user_default("Company")
	return (company and frappe.get_cached_value("Company", company, "default_currency")) or None


def _round(value, digits: int = 2) -> float:
	return round(flt(value), digits)


def _rate(part, whole, digits: int = 1) -> float | None:
	return round(100 * flt(part) / flt(whole), digits) if flt(whole) else None


def _by_opportunity(f: frappe._dict) -> bool:
	"""Whether a filter needs each opportunity's own fields: the stage totals know stage and owner
	only (the owner's subtree and the user's scope are filters on the owner)."""
	return bool(f.company or f.territory or f.customer_group or f.from_date or f.to_date)


def _history_query(f: frappe._dict, user: str | None, longest: bool):
	"""The per-stage aggregate of `_stage_history`: over the stage × owner totals when the filters
	allow it (a few hundred rows), otherwise over the filtered opportunities' summary rows. Only the
	summary knows the longest stay (a maximum cannot be moved from one owner to another)."""
	if longest or _by_opportunity(f):
		summary = frappe.qb.DocType(stage_history.SUMMARY)
		query = frappe.qb.from_(summary).select(
			Count(summary.first_entered_at).as_("entered"),
			Max(Case().when(summary.timed_exits > 0, summary.max_days)).as_("max_days"),
		)
		return _logs_of(query, summary, f, user), summary
	totals = frappe.qb.DocType(stage_history.TOTALS)
	query = frappe.qb.from_(totals).select(Sum(totals.entered).as_("entered"))
	if (criterion := hierarchy.subtree_filter(totals.sales_person, f.sales_person)) is not None:
		query = query.where(criterion)
	return scope(query, totals.sales_person, user), totals


def _stage_history(stage_rows: list, f: frappe._dict, user: str | None, longest: bool = False) -> dict:
	"""Per stage, from the stage summary of the filtered opportunities (`domain.stage_history` says
	which log rows count as what):

	- entered: opportunities that ever entered the stage; entries: times one did;
	- converted: of those, the ones that entered the next stage at or after first entering this one;
	- left / days / max_days: stays that ended, with their days; late: those longer than the stage's
	  time limit;
	- confiscations: Confiscate rows of the stage.

	One aggregate over stages × owners, or over opportunities × stages (`_history_query`), however
	long their histories are; max_days only with `longest`."""
	if not stage_rows:
		return {}
	query, t = _history_query(f, user, longest)
	query = (
		query.select(
			t.stage,
			Sum(t.entries).as_("entries"),
			Sum(t.converted).as_("converted"),
			Sum(t.exits).as_("left"),
			Sum(t.days).as_("days"),
			Sum(t.timed_exits).as_("timed_exits"),
			Sum(t.late).as_("late"),
			Sum(t.confiscations).as_("confiscations"),
		)
		.where(t.stage.isin([s.name for s in stage_rows]))
		.groupby(t.stage)
	)
	by_stage = {r.stage: r for r in query.run(as_dict=True)}
	follows = next_stages(stage_rows)
	result = {}
	for s in stage_rows:
		h = by_stage.get(s.name) or frappe._dict()
		result[s.name] = frappe._dict(
			entered=cint(h.entered),
			converted=cint(h.converted) if s.name in follows else None,
			next_stage=follows.get(s.name),
			entries=cint(h.entries),
			left=cint(h.left),
			days=flt(h.days),
			max_days=h.max_days,
			late=cint(h.late),
			confiscations=cint(h.confiscations),
		)
	return result


def _current(f: frappe._dict, user: str | None, now) -> dict[str, frappe._dict]:
	"""Per current stage of the filtered opportunities: count, amount, weighted amount (open: amount ×
	the stage's probability, `domain.weighted`; won: the amount; lost: 0), open ones and open ones past
	their due time."""
	opp = frappe.qb.DocType("Sales Opportunity")
	is_open = opp.status == "Open"
	probabilities = {s.name: flt(s.probability) for s in stages()}  # a stage no longer configured: 0
	weighted_amount = (
		Case()
		.when(opp.status == "Won", opp.amount)
		.when(is_open, weighted.amount_sql(opp.amount, opp.stage, probabilities))
		.else_(0)
	)
	query = (
		frappe.qb.from_(opp)
		.select(
			opp.stage,
			Count(opp.name).as_("count"),
			Coalesce(Sum(opp.amount), 0).as_("amount"),
			Coalesce(Sum(weighted_amount), 0).as_("weighted_amount"),
			Sum(Case().when(is_open, 1).else_(0)).as_("open"),
			Sum(Case().when(is_open & deadlines.overdue(opp.stage_due_at, now), 1).else_(0)).as_("overdue"),
		)
		.groupby(opp.stage)
	)
	return {r.stage: r for r in _restrict(query, opp, f, user).run(as_dict=True)}


# --- R1: funnel ------------------------------------------------------------------------------------


def funnel(filters=None, user: str | None = None) -> list[dict]:
	"""One row per stage (open stages in sequence, then won, then lost) for the opportunities matching
	the filters (from_date / to_date on creation, company, sales_person / territory / customer_group
	with their subtrees) within the user's scope. See `_current` and `_stage_history` for the columns;
	conversion_rate = converted / entered; avg_days = days / left."""
	f = filters_of(filters)
	stage_rows = stages()
	now = now_datetime()
	current = _current(f, user, now)
	history = _stage_history(stage_rows, f, user)
	currency = currency_of(f.company)

	rows = []
	for s in stage_rows:  # one per configured stage
		c = current.pop(s.name, None) or frappe._dict()
		h = history[s.name]
		rows.append(
			{
				"stage": s.name,
				"kind": "Won" if s.is_won else "Lost" if s.is_lost else "Open",
				"probability": flt(s.probability),
				"count": cint(c.count),
				"amount": _round(c.amount),
				"weighted_amount": _round(c.weighted_amount),
				"overdue": cint(c.overdue),
				"entered": h.entered,
				"next_stage": h.next_stage,
				"converted": h.converted,
				"conversion_rate": _rate(h.converted, h.entered) if h.next_stage else None,
				"avg_days": _round(h.days / h.left) if h.left else None,
				"currency": currency,
			}
		)
	for stage, c in sorted(current.items(), key=lambda item: item[0] or ""):
		# opportunities in a stage that is no longer configured still count in the totals
		rows.append(
			{
				"stage": stage,
				"kind": None,
				"count": cint(c.count),
				"amount": _round(c.amount),
				"weighted_amount": _round(c.weighted_amount),
				"overdue": cint(c.overdue),
				"currency": currency,
			}
		)
	return rows


def funnel_chart(rows: list[dict], measure: str = "Amount") -> dict:
	labels = [_(r["stage"]) if r["stage"] else _("Not Set") for r in rows]
	if measure == "Count":
		datasets = [
			{"name": _("Opportunities Entered"), "values": [r.get("entered") or 0 for r in rows]},
			{"name": _("Opportunities Now"), "values": [r["count"] for r in rows]},
		]
	else:
		datasets = [
			{"name": _("Amount"), "values": [r["amount"] for r in rows]},
			{"name": _("Weighted Amount"), "values": [r["weighted_amount"] for r in rows]},
		]
	return {"data": {"labels": labels, "datasets": datasets}, "type": "bar"}


def open_pipeline(filters=None, user: str | None = None) -> list[dict]:
	"""The funnel's open stages (R1) in process order, every one even when empty: count, amount and
	weighted amount as `funnel` has them, without the stage history (which reads the whole log) —
	for the workspace chart. An open stage holds exactly the open opportunities (O4)."""
	f = filters_of(filters)
	current = _current(f, user, now_datetime())
	rows = []
	for s in stages():
		if s.is_won or s.is_lost:
			continue
		c = current.get(s.name) or frappe._dict()
		rows.append(
			{
				"stage": s.name,
				"count": cint(c.count),
				"amount": _round(c.amount),
				"weighted_amount": _round(c.weighted_amount),
			}
		)
	return rows


# --- R2: forecast ----------------------------------------------------------------------------------


def calibrate(
	counts: dict[str, tuple[int, int]],
	configured: dict[str, float],
	min_samples: int = CALIBRATION_MIN_SAMPLES,
) -> dict[str, float]:
	"""Calibrated probability per stage: of the opportunities that entered the stage and are now
	closed, the share won — `counts[stage] = (won, closed)`; with fewer than `min_samples` closed
	ones the configured probability stays. Pure: no database."""
	result = {}
	for stage, probability in configured.items():
		won, closed = counts.get(stage, (0, 0))
		result[stage] = round(100 * won / closed, 2) if closed >= max(min_samples, 1) else flt(probability)
	return result


def category(probability: float) -> str:
	if flt(probability) >= COMMIT_MIN_PROBABILITY:
		return "commit"
	if flt(probability) >= BEST_CASE_MIN_PROBABILITY:
		return "best_case"
	return "pipeline"


def category_label(key: str) -> str:
	return {
		"commit": _("Commit", context="Forecast Category"),
		"best_case": _("Best Case", context="Forecast Category"),
		"pipeline": _("Pipeline", context="Forecast Category"),
		"closed": _("Closed (Won)"),
	}[key]


def win_counts(company: str | None = None) -> dict[str, tuple[int, int]]:
	"""{stage: (won, closed)}: opportunities that entered the stage and are now Won / Won or Lost.

	Company-wide on purpose, not limited to the user's scope: it is a parameter of the forecast (a
	rate), not data rows, and a team's own history is usually too small to calibrate from."""
	log = frappe.qb.DocType("Opportunity Stage Log")
	opp = frappe.qb.DocType("Sales Opportunity")
	entry = log.to_stage.isnotnull() & (log.from_stage.isnull() | (log.from_stage != log.to_stage))
	query = (
		frappe.qb.from_(log)
		.join(opp)
		.on(opp.name == log.opportunity)
		.select(
			log.to_stage.as_("stage"),
			Count(Case().when(opp.status == "Won", opp.name)).distinct().as_("won"),
			Count(opp.name).distinct().as_("closed"),
		)
		.where(entry & opp.status.isin(["Won", "Lost"]))
		.groupby(log.to_stage)
	)
	if company:
		query = query.where(opp.company == company)
	return {r.stage: (cint(r.won), cint(r.closed)) for r in query.run(as_dict=True)}


def forecast_range(from_date=None, to_date=None) -> tuple:
	"""Whole months: default this month and the next FORECAST_MONTHS - 1."""
	start = get_first_day(getdate(from_date) if from_date else getdate(today()))
	end = getdate(to_date) if to_date else get_last_day(add_months(start, FORECAST_MONTHS - 1))
	refuse_reversed(start, end)
	return start, end


def month_labels(start, end) -> list[str]:
	months = (end.year - start.year) * 12 + end.month - start.month
	return [str(add_months(start, i))[:7] for i in range(months + 1)]


def targets(group_by: str, f: frappe._dict, user: str | None, start, end) -> dict[tuple[str, str], float]:
	"""{(month "YYYY-MM", sales person or territory): target amount} from ERPNext's Target Detail
	rows (Sales Person or Territory → Targets) whose fiscal year overlaps the range: the year's
	target_amount spread over its months by the row's Monthly Distribution, evenly without one."""
	td = frappe.qb.DocType("Target Detail")
	fy = frappe.qb.DocType("Fiscal Year")
	query = (
		frappe.qb.from_(td)
		.join(fy)
		.on(fy.name == td.fiscal_year)
		.select(
			td.parent,
			fy.year_start_date,
			fy.year_end_date,
			td.distribution_id,
			Coalesce(Sum(td.target_amount), 0).as_("target_amount"),
		)
		.where((td.parenttype == group_by) & (fy.year_start_date <= end) & (fy.year_end_date >= start))
		.groupby(td.parent, td.fiscal_year, fy.year_start_date, fy.year_end_date, td.distribution_id)
	)
	if group_by == "Sales Person":
		if (criterion := hierarchy.subtree_filter(td.parent, f.sales_person)) is not None:
			query = query.where(criterion)
		query = scope(query, td.parent, user)
	elif (criterion := hierarchy.subtree_filter(td.parent, f.territory, "Territory")) is not None:
		query = query.where(criterion)
	rows = query.run(as_dict=True)

	distribution_ids = {r.distribution_id for r in rows if r.distribution_id}
	shares: dict[str, dict[str, float]] = {}
	if distribution_ids:
		mdp = frappe.qb.DocType("Monthly Distribution Percentage")
		for d in (
			frappe.qb.from_(mdp)
			.select(mdp.parent, mdp.month, mdp.percentage_allocation)
			.where(mdp.parent.isin(distribution_ids))
			.run(as_dict=True)
		):
			shares.setdefault(d.parent, {})[d.month] = flt(d.percentage_allocation) / 100

	wanted = set(month_labels(start, end))
	result: dict[tuple[str, str], float] = {}
	for r in rows:  # one per person (or territory), fiscal year and distribution
		months = month_labels(get_first_day(r.year_start_date), getdate(r.year_end_date))
		for label in months:
			if label not in wanted:
				continue
			if r.distribution_id:
				# Monthly Distribution rows name calendar months ("January" …), as ERPNext reads them
				share = shares.get(r.distribution_id, {}).get(getdate(f"{label}-01").strftime("%B"), 0)
			else:
				share = 1 / len(months)
			key = (label, r.parent)
			result[key] = result.get(key, 0) + flt(r.target_amount) * share
	return result


def forecast(filters=None, user: str | None = None) -> frappe._dict:
	"""Per expected-close month and owner (group_by "Sales Person") or territory, within the range
	(default: this month and the next five) and the user's scope:

	- opportunities / amount: open opportunities expected to close in the month;
	- commit / best_case / pipeline: their weighted amount (amount × probability / 100) by category of
	  the probability (≥ COMMIT_MIN_PROBABILITY, ≥ BEST_CASE_MIN_PROBABILITY, below); weighted: the sum;
	- closed: amount of opportunities won in the month (when they entered the won stage); Lost ones
	  count nowhere;
	- forecast = closed + weighted; target: ERPNext targets (`targets`); variance = forecast − target.

	The probability is the stage's configured one, or with `calibrated` the company's historical win
	rate from the stage (`calibrate` over `win_counts`). Returns rows, months, probabilities."""
	f = filters_of(filters)
	group_by = f.group_by or "Sales Person"
	if group_by not in FORECAST_GROUPINGS:
		frappe.throw(_("Group By must be Sales Person or Territory."), frappe.ValidationError)
	start, end = forecast_range(f.from_date, f.to_date)
	calibrated = bool(cint(f.calibrated))

	configured = {s.name: flt(s.probability) for s in stages() if not (s.is_won or s.is_lost)}
	counts = win_counts(f.company) if calibrated else {}
	probabilities = calibrate(counts, configured) if calibrated else dict(configured)

	opp = frappe.qb.DocType("Sales Opportunity")
	key = "sales_person" if group_by == "Sales Person" else "territory"
	group = opp.sales_person if group_by == "Sales Person" else opp.territory
	close_month = DateFormat(opp.expected_close_date, "%Y-%m")
	# weighted amount per category in SQL (one row per month and group, not per stage as well);
	# stages other than the configured open ones weigh 0
	weighted_amount = weighted.amount_sql(opp.amount, opp.stage, probabilities)
	weighted_by_category = []
	for cat in CATEGORIES:
		in_category = [stage for stage, value in probabilities.items() if category(value) == cat]
		weighted_by_category.append(
			Coalesce(Sum(Case().when(opp.stage.isin(in_category), weighted_amount).else_(0)), 0).as_(cat)
			if in_category
			else ValueWrapper(0).as_(cat)
		)
	open_rows = _restrict(
		frappe.qb.from_(opp)
		.select(
			close_month.as_("month"),
			group.as_("grp"),
			Count(opp.name).as_("count"),
			Coalesce(Sum(opp.amount), 0).as_("amount"),
			*weighted_by_category,
		)
		.where((opp.status == "Open") & opp.expected_close_date[start:end])
		.groupby(close_month, group),
		opp,
		f,
		user,
		created=False,
	).run(as_dict=True)
	won_month = DateFormat(opp.stage_entered_at, "%Y-%m")
	won_rows = _restrict(
		frappe.qb.from_(opp)
		.select(won_month.as_("month"), group.as_("grp"), Coalesce(Sum(opp.amount), 0).as_("amount"))
		.where(
			(opp.status == "Won")
			& (opp.stage_entered_at >= get_datetime(start))
			& (opp.stage_entered_at < get_datetime(add_days(end, 1)))
		)
		.groupby(won_month, group),
		opp,
		f,
		user,
		created=False,
	).run(as_dict=True)

	table: dict[tuple, dict] = {}

	def row(month, grp):
		return table.setdefault(
			(month, grp or ""),
			{
				"month": month,
				key: grp,
				"opportunities": 0,
				"amount": 0.0,
				**{c: 0.0 for c in CATEGORIES},
				"weighted": 0.0,
				"closed": 0.0,
				"target": 0.0,
			},
		)

	for r in open_rows:  # aggregated: one per month and group
		target_row = row(r.month, r.grp)
		target_row["opportunities"] += cint(r.count)
		target_row["amount"] += flt(r.amount)
		for cat in CATEGORIES:
			target_row[cat] += flt(r[cat])
			target_row["weighted"] += flt(r[cat])
	for r in won_rows:
		row(r.month, r.grp)["closed"] += flt(r.amount)
	for (month, grp), amount in targets(group_by, f, user, start, end).items():
		row(month, grp)["target"] += amount

	currency = currency_of(f.company)
	rows = []
	for _key, r in sorted(table.items()):
		for field in ("amount", *CATEGORIES, "weighted", "closed", "target"):
			r[field] = _round(r[field])
		r["forecast"] = _round(r["closed"] + r["weighted"])
		r["variance"] = _round(r["forecast"] - r["target"])
		r["currency"] = currency
		rows.append(r)
	return frappe._dict(
		rows=rows,
		months=month_labels(start, end),
		group_by=group_by,
		calibrated=calibrated,
		probabilities=probabilities,
		configured=configured,
		samples={stage: counts.get(stage, (0, 0))[1] for stage in configured} if calibrated else {},
	)


def forecast_chart(result: frappe._dict) -> dict:
	"""Stacked bars per month (Closed, Commit, Best Case, Pipeline) and the target as a line."""
	months = result.months
	sums = {m: dict.fromkeys(("closed", *CATEGORIES, "target"), 0.0) for m in months}
	for r in result.rows:
		for field in sums.get(r["month"], {}):
			sums[r["month"]][field] += r[field]
	datasets = [
		{
			"name": category_label(field),
			"chartType": "bar",
			"values": [_round(sums[m][field]) for m in months],
		}
		for field in ("closed", *CATEGORIES)
	]
	datasets.append(
		{"name": _("Target"), "chartType": "line", "values": [_round(sums[m]["target"]) for m in months]}
	)
	return {
		"data": {"labels": months, "datasets": datasets},
		"type": "axis-mixed",
		"barOptions": {"stacked": 1},
	}


# --- K7: the forecast's trend, from the daily pipeline snapshots ------------------------------------


def trend_range(from_date=None, to_date=None) -> tuple:
	"""Snapshot days: default the TREND_DAYS up to today."""
	end = getdate(to_date) if to_date else getdate(today())
	start = getdate(from_date) if from_date else add_days(end, 1 - TREND_DAYS)
	refuse_reversed(start, end)
	return start, end


def trend(filters=None, user: str | None = None) -> frappe._dict:
	"""The open and weighted pipeline per snapshot day (K7) from trend_from to trend_to, for the
	company and the sales person (with subtree) filtered, within the user's scope (the forecast's);
	weighted_change / open_change: against the period's first snapshot day. Amounts are summed
	across currencies, as the forecast sums them. Returns rows, start, end, change."""
	f = filters_of(filters)
	start, end = trend_range(f.trend_from, f.trend_to)
	days = pipeline_snapshot.trend(
		start, end, company=f.company, sales_person=f.sales_person, scope=opportunity_scope(user)
	)
	currency = currency_of(f.company)
	rows = []
	for d in days:
		rows.append(
			{
				"snapshot_date": d.snapshot_date,
				"open_count": cint(d.open_count),
				"open_amount": _round(d.open_amount),
				"weighted_amount": _round(d.weighted_amount),
				"won_amount": _round(d.won_amount),
				"currency": currency,
			}
		)
	for r in rows:
		r["weighted_change"] = _round(r["weighted_amount"] - rows[0]["weighted_amount"])
		r["open_change"] = _round(r["open_amount"] - rows[0]["open_amount"])
	return frappe._dict(rows=rows, start=start, end=end, change=trend_change(rows), currency=currency)


def trend_change(rows: list[dict]) -> frappe._dict:
	"""First and last snapshot day of the period and how the pipeline moved between them (value and
	% of the first day; no % from an empty first day)."""
	if not rows:
		return frappe._dict()
	first, last = rows[0], rows[-1]
	return frappe._dict(
		first_date=first["snapshot_date"],
		last_date=last["snapshot_date"],
		weighted_start=first["weighted_amount"],
		weighted_end=last["weighted_amount"],
		weighted_change=_round(last["weighted_amount"] - first["weighted_amount"]),
		weighted_change_pct=_rate(
			last["weighted_amount"] - first["weighted_amount"], first["weighted_amount"]
		),
		open_start=first["open_amount"],
		open_end=last["open_amount"],
		open_change=_round(last["open_amount"] - first["open_amount"]),
		open_change_pct=_rate(last["open_amount"] - first["open_amount"], first["open_amount"]),
	)


def trend_chart(rows: list[dict]) -> dict:
	"""Weighted and open pipeline per snapshot day, as lines."""
	return {
		"data": {
			"labels": [str(r["snapshot_date"]) for r in rows],
			"datasets": [
				{"name": _("Weighted Pipeline"), "values": [r["weighted_amount"] for r in rows]},
				{"name": _("Open Amount"), "values": [r["open_amount"] for r in rows]},
			],
		},
		"type": "line",
		"lineOptions": {"regionFill": 1, "hideDots": 1},
	}


# --- R3: stage duration ----------------------------------------------------------------------------


def stage_duration(filters=None, user: str | None = None) -> list[dict]:
	"""Per open stage, for the opportunities matching the funnel's filters, within the user's scope:

	- entries: times an opportunity entered the stage; completed: times one left it;
	- avg_days / max_days: days_in_stage of the stays that ended (Opportunity Stage Log);
	- open_now: open opportunities now in the stage;
	- overdue: ended stays longer than the stage's time limit + open ones now past their due time;
	  overdue_rate = overdue / entries;
	- confiscations: Confiscate rows of the stage; confiscation_rate = confiscations / entries.
	"""
	f = filters_of(filters)
	stage_rows = [s for s in stages() if not (s.is_won or s.is_lost)]
	current = _current(f, user, now_datetime())
	history = _stage_history(stage_rows, f, user, longest=True)
	rows = []
	for s in stage_rows:
		h = history[s.name]
		c = current.get(s.name) or frappe._dict()
		overdue = h.late + cint(c.overdue)
		rows.append(
			{
				"stage": s.name,
				"time_limit_days": cint(s.time_limit_days),
				"entries": h.entries,
				"completed": h.left,
				"avg_days": _round(h.days / h.left) if h.left else None,
				"max_days": _round(h.max_days) if h.max_days is not None else None,
				"open_now": cint(c.open),
				"overdue": overdue,
				"overdue_rate": _rate(overdue, h.entries),
				"confiscations": h.confiscations,
				"confiscation_rate": _rate(h.confiscations, h.entries),
			}
		)
	return rows


def stage_duration_chart(rows: list[dict]) -> dict:
	return {
		"data": {
			"labels": [_(r["stage"]) for r in rows],
			"datasets": [
				{
					"name": _("Average Days in Stage"),
					"chartType": "bar",
					"values": [r["avg_days"] or 0 for r in rows],
				},
				{
					"name": _("Time Limit (Days)"),
					"chartType": "line",
					"values": [r["time_limit_days"] for r in rows],
				},
			],
		},
		"type": "axis-mixed",
	}


# --- R4: contract billing and collection -----------------------------------------------------------


def can_see_billing(user: str | None = None) -> bool:
	"""R4 is for whoever reads contracts (Sales Manager) or invoices (Accounts User / Manager)."""
	user = user or frappe.session.user
	return bool(
		frappe.has_permission("Contract", "read", user=user)
		or frappe.has_permission("Sales Invoice", "read", user=user)
	)


def _contract_orders():
	"""(contract, sales_order, base_grand_total) for every submitted Sales Order of a customer
	contract: orders whose sales_opportunity is the contract's, and the order the contract itself
	references (document_type "Sales Order"). UNION keeps an order linked both ways once."""
	c = frappe.qb.DocType("Contract")
	so = frappe.qb.DocType("Sales Order")
	is_customer_contract = (c.party_type == "Customer") & (c.docstatus < 2) & (so.docstatus == 1)
	columns = (c.name.as_("contract"), so.name.as_("sales_order"), so.base_grand_total)
	by_opportunity = (
		frappe.qb.from_(c)
		.join(so)
		.on(so.sales_opportunity == c.sales_opportunity)
		.select(*columns)
		.where(is_customer_contract)
	)
	by_reference = (
		frappe.qb.from_(c)
		.join(so)
		.on((c.document_type == "Sales Order") & (so.name == c.document_name))
		.select(*columns)
		.where(is_customer_contract)
	)
	return by_opportunity + by_reference


def _contract_invoices(orders):
	"""Per contract: invoiced, outstanding and overdue (company currency), oldest overdue due date,
	over the submitted Sales Invoices (credit notes included) with an item from one of its orders."""
	si = frappe.qb.DocType("Sales Invoice")
	sii = frappe.qb.DocType("Sales Invoice Item")
	ps = frappe.qb.DocType("Payment Schedule")
	pairs = orders.as_("orders")
	linked = (
		frappe.qb.from_(pairs)
		.join(sii)
		.on(sii.sales_order == pairs.sales_order)
		.join(si)
		.on(si.name == sii.parent)
		.select(pairs.contract, si.name.as_("invoice"))
		.distinct()
		.where(si.docstatus == 1)
	).as_("linked")

	# the invoice's payable total (what outstanding_amount counts down from) in invoice currency,
	# and outstanding_amount, kept in the party account's currency, converted to invoice currency
	payable = Case().when(si.rounded_total != 0, si.rounded_total).else_(si.grand_total)
	same_currency = Coalesce(si.party_account_currency, si.currency) == si.currency
	outstanding = (
		Case().when(same_currency, si.outstanding_amount).else_(si.outstanding_amount / si.conversion_rate)
	)

	# Payment Schedule rows, paid first-due-first by what has been received or credited on the
	# invoice (payable − outstanding): ERPNext updates a row's paid_amount only for payments that
	# name its payment term, so the row's own paid_amount cannot be trusted
	schedule = (
		frappe.qb.from_(ps)
		.join(si)
		.on(si.name == ps.parent)
		.select(
			ps.parent,
			ps.due_date,
			ps.payment_amount,
			(payable - outstanding).as_("paid"),
			an.Sum(ps.payment_amount).over(ps.parent).orderby(ps.due_date, ps.idx).as_("running"),
		)
		.where(
			(ps.parenttype == "Sales Invoice")
			& (si.is_return == 0)
			& si.name.isin(frappe.qb.from_(linked).select(linked.invoice))
		)
	).as_("schedule")
	unpaid_due = (schedule.due_date < getdate(today())) & (schedule.running > schedule.paid + MONEY_TOLERANCE)
	overdue = (
		frappe.qb.from_(schedule)
		.select(
			schedule.parent,
			Sum(
				Case()
				.when(unpaid_due, Least(schedule.payment_amount, schedule.running - schedule.paid))
				.else_(0)
			).as_("overdue"),
			Min(Case().when(unpaid_due, schedule.due_date)).as_("oldest_due"),
		)
		.groupby(schedule.parent)
	).as_("overdue")

	return (
		frappe.qb.from_(linked)
		.join(si)
		.on(si.name == linked.invoice)
		.left_join(overdue)
		.on(overdue.parent == linked.invoice)
		.select(
			linked.contract,
			Sum(payable * si.conversion_rate).as_("invoiced"),
			Sum(outstanding * si.conversion_rate).as_("outstanding"),
			Sum(Coalesce(overdue.overdue, 0) * si.conversion_rate).as_("overdue"),
			# negative outstanding: credit notes that keep their own balance, overpayments
			Sum(Least(outstanding * si.conversion_rate, 0)).as_("credit"),
			Min(overdue.oldest_due).as_("oldest_due"),
			Count(si.name).as_("invoices"),
		)
		.groupby(linked.contract)
	)


def contract_billing(filters=None, user: str | None = None) -> list[dict]:
	"""One row per customer Contract (not cancelled), in company currency:

	- contract_amount: the Contract's contract_amount;
	- ordered: submitted Sales Orders (base_grand_total) linked to the contract (`_contract_orders`);
	- invoiced: submitted Sales Invoices with an item from those orders, credit notes (negative)
	  included, each invoice once: rounded total (grand total when rounding is off);
	- outstanding: the invoices' outstanding_amount (credit notes that keep their own outstanding
	  count negative); collected = invoiced − outstanding (payments and credit applied);
	- overdue: of each invoice's Payment Schedule, the part due before today that the amount already
	  paid or credited on it does not cover (first due, first paid), less the contract's unapplied
	  credit (negative outstanding, e.g. a credit note that keeps its own balance), never below 0;
	  days_overdue: days since the oldest due date with an uncovered part.

	Filters: customer, sales_person (subtree of the opportunity's owner), status, from_date / to_date
	on the contract's start date, only_overdue. For readers of Contract or Sales Invoice; users who
	are neither managers nor accountants see only contracts of opportunities in their scope."""
	user = user or frappe.session.user
	if not can_see_billing(user):
		frappe.throw(
			_("You need read access to Contracts or Sales Invoices to see contract billing."),
			frappe.PermissionError,
		)
	f = filters_of(filters)
	c = frappe.qb.DocType("Contract")
	opp = frappe.qb.DocType("Sales Opportunity")
	pairs = _contract_orders().as_("ordered_pairs")
	ordered = (
		frappe.qb.from_(pairs)
		.select(
			pairs.contract,
			Sum(pairs.base_grand_total).as_("ordered"),
			Count(pairs.sales_order).as_("orders"),
		)
		.groupby(pairs.contract)
	).as_("ordered")
	billed = _contract_invoices(_contract_orders()).as_("billed")

	query = (
		frappe.qb.from_(c)
		.left_join(opp)
		.on(opp.name == c.sales_opportunity)
		.left_join(ordered)
		.on(ordered.contract == c.name)
		.left_join(billed)
		.on(billed.contract == c.name)
		.select(
			c.name.as_("contract"),
			c.party_name.as_("customer"),
			c.sales_opportunity,
			opp.sales_person,
			c.status,
			c.start_date,
			c.end_date,
			Coalesce(c.contract_amount, 0).as_("contract_amount"),
			Coalesce(ordered.ordered, 0).as_("ordered"),
			Coalesce(ordered.orders, 0).as_("orders"),
			Coalesce(billed.invoiced, 0).as_("invoiced"),
			Coalesce(billed.outstanding, 0).as_("outstanding"),
			# unapplied credit settles the oldest dues first, like the payments on the invoices do
			Greatest(Coalesce(billed.overdue, 0) + Coalesce(billed.credit, 0), 0).as_("overdue"),
			billed.oldest_due,
			Coalesce(billed.invoices, 0).as_("invoices"),
		)
		.where((c.party_type == "Customer") & (c.docstatus < 2))
		.orderby(c.name)
	)
	if f.customer:
		query = query.where(c.party_name == f.customer)
	if f.status:
		query = query.where(c.status == f.status)
	if f.from_date:
		query = query.where(c.start_date >= getdate(f.from_date))
	if f.to_date:
		query = query.where(c.start_date <= getdate(f.to_date))
	if (criterion := hierarchy.subtree_filter(opp.sales_person, f.sales_person)) is not None:
		query = query.where(criterion)
	if cint(f.only_overdue):
		query = query.where(Coalesce(billed.overdue, 0) + Coalesce(billed.credit, 0) > MONEY_TOLERANCE)
	query = scope(query, opp.sales_person, user)

	on = getdate(today())
	currency = currency_of()
	rows = []
	for r in query.run(as_dict=True):  # aggregated: one per contract
		overdue = _round(r.overdue)
		rows.append(
			{
				**r,
				"contract_amount": _round(r.contract_amount),
				"ordered": _round(r.ordered),
				"invoiced": _round(r.invoiced),
				"outstanding": _round(r.outstanding),
				"collected": _round(flt(r.invoiced) - flt(r.outstanding)),
				"overdue": overdue,
				"oldest_due": r.oldest_due if overdue > 0 else None,
				"days_overdue": (on - getdate(r.oldest_due)).days if overdue > 0 and r.oldest_due else 0,
				"currency": currency,
			}
		)
	rows.sort(key=lambda r: (-r["days_overdue"], -r["outstanding"], r["contract"]))
	return rows


def contract_billing_chart(rows: list[dict]) -> dict:
	top = sorted(rows, key=lambda r: (-r["invoiced"], r["contract"]))[:CHART_TOP]
	return {
		"data": {
			"labels": [r["contract"] for r in top],
			"datasets": [
				{"name": _("Invoiced", context="Contract Billing"), "values": [r["invoiced"] for r in top]},
				{"name": _("Collected", context="Contract Billing"), "values": [r["collected"] for r in top]},
				{
					"name": _("Outstanding", context="Contract Billing"),
					"values": [r["outstanding"] for r in top],
				},
			],
		},
		"type": "bar",
	}
