"""Lead analytics (G8): "Lead Source Analysis" and "Lead Pool Statistics".

Every number is aggregated in SQL (frappe.qb); Python only merges the aggregated rows (one per
group) and shapes the charts. Pure reads, so the reports run on a replica (`@frappe.read_only()`).

Data scope (A1): a restricted user counts the leads they may see — held by their Sales Person or
its subtree, or waiting in a pool they may claim from (`visible`); per-person figures only for the
people of their subtree. Sales Manager, System Manager and accountants see everything.

- `source_analysis`: per source, territory and creation month — leads, contacted, qualified,
  converted, disqualified, conversion rate, average days from creation to conversion, won amount.
- `pool_statistics`: per person or per pool — held now, claimed, assigned, released, returned by
  the stale-lead job (G5), converted, disqualified in the period, and the time leads spent in the
  pool before someone took them.
"""

from pypika import analytics as an
from pypika.terms import LiteralValue, ValueWrapper

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Avg, Coalesce, Count, CustomFunction, DateFormat, Max, Min, Sum
from frappe.utils import add_days, cint, get_datetime, getdate, now_datetime

from sales_process.domain import hierarchy
from sales_process.domain.settings import get_settings
from sales_process.permissions import READ_ALL_ROLES
from sales_process.reports.pipeline import _rate, _round, currency_of
from sales_process.reports.pipeline import filters_of as _filters

TimestampDiff = CustomFunction("TIMESTAMPDIFF", ["unit", "start", "end"])
DAY_SECONDS = 86400.0

CLOSED = ("Converted", "Disqualified")
CONTACTED = ("Contacted", "Qualified", "Converted")  # statuses at or past a first contact
QUALIFIED = ("Qualified", "Converted")
SOURCE_GROUPINGS = ("Source", "Territory", "Month", "Source, Territory and Month")
POOL_VIEWS = ("Sales Person", "Pool")
# Sales Lead Log action → its column in Lead Pool Statistics
POOL_ACTIONS = {
	"Claim": "claimed",
	"Assign": "assigned",
	"Release": "released",
	"Return": "returned",
	"Convert": "converted",
	"Disqualify": "disqualified",
}
CHART_TOP = 20


# --- shared pieces --------------------------------------------------------------------------------


def unrestricted(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return hierarchy.is_scope_free(user) or bool(READ_ALL_ROLES.intersection(frappe.get_roles(user)))


def visible(query, lead, user: str | None = None):
	"""The user's leads (A1): held within their subtree, or in the pool of a Sales Lead Pool they may
	claim from (the same rule as the Sales Lead list, sales_process.domain.lead)."""
	from sales_process.domain import lead as lead_domain

	user = user or frappe.session.user
	if unrestricted(user):
		return query
	return query.where(lead_domain.visible_criterion(lead, user))


def _restrict(query, lead, f: frappe._dict, user: str | None, scoped: bool = True):
	"""The filters both reports share on the Sales Lead table `lead`, and (`scoped`) the scope."""
	if f.source:
		query = query.where(lead.source == f.source)
	if f.pool:
		query = query.where(lead.pool == f.pool)
	for field, doctype, value in (
		(lead.sales_person, "Sales Person", f.sales_person),
		(lead.territory, "Territory", f.territory),
	):
		if (criterion := hierarchy.subtree_filter(field, value, doctype)) is not None:
			query = query.where(criterion)
	return visible(query, lead, user) if scoped else query


def _period(field, f: frappe._dict):
	criterion = ValueWrapper(1) == 1
	if f.from_date:
		criterion &= field >= get_datetime(getdate(f.from_date))
	if f.to_date:
		criterion &= field < get_datetime(add_days(getdate(f.to_date), 1))
	return criterion


def _days(start, end):
	return TimestampDiff(LiteralValue("SECOND"), start, end) / DAY_SECONDS


def _count(condition):
	return Sum(Case().when(condition, 1).else_(0))


# --- Lead Source Analysis --------------------------------------------------------------------------


def source_analysis(filters=None, user: str | None = None) -> list[dict]:
	"""One row per source × territory × month of creation (or per one of them, `group_by`) for the
	leads created in the period (from_date / to_date), filtered by source, pool, territory and
	sales_person (with their subtrees) within the user's scope:

	- leads; contacted: status Contacted or beyond, or a contact recorded (last_contact_at);
	  qualified: Qualified or Converted; converted; disqualified;
	- conversion_rate = converted / leads;
	- avg_days_to_convert: from the lead's creation to its Convert log row (the first, if several);
	- won_opportunities / won_amount: the converted leads' Sales Opportunities that are Won."""
	f = _filters(filters)
	group_by = f.group_by or SOURCE_GROUPINGS[-1]
	if group_by not in SOURCE_GROUPINGS:
		frappe.throw(
			_("Group By must be one of: {0}").format(", ".join(_(g) for g in SOURCE_GROUPINGS)),
			frappe.ValidationError,
		)
	lead = frappe.qb.DocType("Sales Lead")
	log = frappe.qb.DocType("Sales Lead Log")
	opp = frappe.qb.DocType("Sales Opportunity")
	month = DateFormat(lead.creation, "%Y-%m")
	keys = {"source": lead.source, "territory": lead.territory, "month": month}
	if group_by != SOURCE_GROUPINGS[-1]:
		keys = {group_by.lower(): keys[group_by.lower()]}

	converted_at = (
		frappe.qb.from_(log)
		.select(log.lead, Min(log.at).as_("at"))
		.where(log.action == "Convert")
		.groupby(log.lead)
	).as_("converted_at")
	is_converted = lead.status == "Converted"
	won = is_converted & (opp.status == "Won")
	query = (
		frappe.qb.from_(lead)
		.left_join(converted_at)
		.on(converted_at.lead == lead.name)
		.left_join(opp)
		.on(opp.name == lead.opportunity)
		.select(
			*(field.as_(key) for key, field in keys.items()),
			Count(lead.name).as_("leads"),
			_count(lead.status.isin(CONTACTED) | lead.last_contact_at.isnotnull()).as_("contacted"),
			_count(lead.status.isin(QUALIFIED)).as_("qualified"),
			_count(is_converted).as_("converted"),
			_count(lead.status == "Disqualified").as_("disqualified"),
			Avg(Case().when(is_converted, _days(lead.creation, converted_at.at))).as_("avg_days_to_convert"),
			_count(won).as_("won_opportunities"),
			Coalesce(Sum(Case().when(won, opp.amount).else_(0)), 0).as_("won_amount"),
		)
		.where(_period(lead.creation, f))
		.groupby(*keys.values())
	)
	currency = currency_of()
	rows = []
	for r in _restrict(query, lead, f, user).run(as_dict=True):  # aggregated: one per group
		rows.append(
			{
				**{key: r[key] for key in keys},
				"leads": cint(r.leads),
				"contacted": cint(r.contacted),
				"qualified": cint(r.qualified),
				"converted": cint(r.converted),
				"disqualified": cint(r.disqualified),
				"conversion_rate": _rate(r.converted, r.leads),
				"avg_days_to_convert": _round(r.avg_days_to_convert, 1)
				if r.avg_days_to_convert is not None
				else None,
				"won_opportunities": cint(r.won_opportunities),
				"won_amount": _round(r.won_amount),
				"currency": currency,
			}
		)
	order = [k for k in ("month", "source", "territory") if k in keys]
	rows.sort(key=lambda r: tuple(r[k] or "" for k in order))
	return rows


def source_label(row: dict) -> str:
	parts = [_(row[k]) if row.get(k) else _("Not Set") for k in ("source", "territory") if k in row]
	if "month" in row:
		parts.insert(0, row["month"] or _("Not Set"))
	return " · ".join(parts)


def source_chart(rows: list[dict]) -> dict:
	"""Leads, contacted and converted per group (the largest groups when there are many) as bars and
	the conversion rate as a line."""
	top = rows if len(rows) <= CHART_TOP else sorted(rows, key=lambda r: -r["leads"])[:CHART_TOP]
	return {
		"data": {
			"labels": [source_label(r) for r in top],
			"datasets": [
				{"name": _("Leads"), "chartType": "bar", "values": [r["leads"] for r in top]},
				{
					"name": _("Contacted", context="Sales Lead"),
					"chartType": "bar",
					"values": [r["contacted"] for r in top],
				},
				{
					"name": _("Converted", context="Sales Lead"),
					"chartType": "bar",
					"values": [r["converted"] for r in top],
				},
				{
					"name": _("Conversion Rate (%)"),
					"chartType": "line",
					"values": [r["conversion_rate"] or 0 for r in top],
				},
			],
		},
		"type": "axis-mixed",
	}


# --- Lead Pool Statistics --------------------------------------------------------------------------


def _events():
	"""Every Sales Lead Log row with the time of the lead's previous row (`previous_at`): for a Claim,
	or an Assign out of the pool, that previous row is the one that put the lead in the pool
	(Create, Import, Release, Return), so `at - previous_at` is the time it waited there."""
	log = frappe.qb.DocType("Sales Lead Log")
	previous_at = an.Lag(log.at).over(log.lead).orderby(log.at, log.name)
	return (
		frappe.qb.from_(log).select(
			log.lead,
			log.action,
			log.at,
			log.from_sales_person,
			log.to_sales_person,
			log.pool,
			previous_at.as_("previous_at"),
		)
	).as_("events")


def _event_counts(ev, f: frappe._dict):
	"""Aggregates over the period's events `ev`: each action's count and the average wait in the pool
	of the leads taken from it."""
	in_period = _period(ev.at, f)
	from_pool = ev.action.isin(["Claim", "Assign"]) & ev.from_sales_person.isnull()
	return [
		*(_count(in_period & (ev.action == action)).as_(column) for action, column in POOL_ACTIONS.items()),
		Avg(Case().when(in_period & from_pool, _days(ev.previous_at, ev.at))).as_("avg_days_in_pool"),
		_count(in_period & from_pool).as_("taken_from_pool"),
	]


def pool_statistics(filters=None, user: str | None = None) -> list[dict]:
	"""Per Sales Person (view "Sales Person") or per Sales Lead Pool (view "Pool"), events in the period
	(from_date / to_date on the log's time) and the state now:

	- claimed / assigned / released / returned / converted / disqualified: Sales Lead Log rows of that
	  action. Per person, Claim and Assign count for the person who got the lead (to_sales_person),
	  the others for the person who had it (from_sales_person);
	- avg_days_in_pool: for leads claimed or assigned out of the pool, the time since they entered it;
	- held: open leads held now (status neither Converted nor Disqualified); per person also
	  hold_limit (lead_hold_limit) and avg_days_held (since held_since);
	- per pool: in_pool, open leads waiting in it now, and avg_days_waiting, since their last move.

	Filters: source, pool, territory, sales_person (with subtrees); the scope as in `visible`, and per
	person only the people of the user's subtree."""
	f = _filters(filters)
	view = f.view or POOL_VIEWS[0]
	if view not in POOL_VIEWS:
		frappe.throw(
			_("View must be one of: {0}").format(", ".join(_(v) for v in POOL_VIEWS)), frappe.ValidationError
		)
	return _per_person(f, user) if view == "Sales Person" else _per_pool(f, user)


def _per_person(f: frappe._dict, user: str | None) -> list[dict]:
	lead = frappe.qb.DocType("Sales Lead")
	ev = _events()
	person = (
		Case()
		.when(ev.action.isin(["Claim", "Assign"]), ev.to_sales_person)
		.else_(Coalesce(ev.from_sales_person, ev.to_sales_person))
	)
	# the person filter and the scope apply to whom the event counts for, not to the lead's holder
	# now: a lead someone released and another person claimed counts for both
	lead_filters = frappe._dict(f, sales_person=None)
	events = _restrict(
		frappe.qb.from_(ev)
		.join(lead)
		.on(lead.name == ev.lead)
		.select(person.as_("sales_person"), *_event_counts(ev, f))
		.where(person.isnotnull() & _period(ev.at, f) & ev.action.isin(list(POOL_ACTIONS)))
		.groupby(person),
		lead,
		lead_filters,
		user,
		scoped=False,
	)
	if (criterion := hierarchy.subtree_filter(person, f.sales_person)) is not None:
		events = events.where(criterion)
	now = now_datetime()
	holding = _restrict(
		frappe.qb.from_(lead)
		.select(
			lead.sales_person,
			Count(lead.name).as_("held"),
			Avg(_days(lead.held_since, ValueWrapper(now))).as_("avg_days_held"),
		)
		.where(lead.sales_person.isnotnull() & lead.status.notin(CLOSED))
		.groupby(lead.sales_person),
		lead,
		f,
		user,
		scoped=False,
	)
	if not unrestricted(user):
		events = hierarchy.apply_scope(events, person, user)
		holding = hierarchy.apply_scope(holding, lead.sales_person, user)

	table: dict[str, dict] = {}

	def row(sales_person):
		return table.setdefault(
			sales_person,
			{"sales_person": sales_person, **_zero_counts(), "held": 0, "avg_days_held": None},
		)

	for r in events.run(as_dict=True):  # one per person
		_add_counts(row(r.sales_person), r)
	for r in holding.run(as_dict=True):
		target = row(r.sales_person)
		target["held"] = cint(r.held)
		target["avg_days_held"] = _round(r.avg_days_held, 1) if r.avg_days_held is not None else None
	limit = cint(get_settings().lead_hold_limit) or None
	rows = sorted(table.values(), key=lambda r: (-r["held"], -r["claimed"], r["sales_person"]))
	for r in rows:
		r["hold_limit"] = limit
	return rows


def _per_pool(f: frappe._dict, user: str | None) -> list[dict]:
	lead = frappe.qb.DocType("Sales Lead")
	log = frappe.qb.DocType("Sales Lead Log")
	ev = _events()
	pool = Coalesce(ev.pool, lead.pool)  # the pool at the time of the event (the log keeps it)
	events = (
		frappe.qb.from_(ev)
		.join(lead)
		.on(lead.name == ev.lead)
		.select(pool.as_("pool"), *_event_counts(ev, f))
		.where(_period(ev.at, f) & ev.action.isin(list(POOL_ACTIONS)))
		.groupby(pool)
	)
	last_move = (frappe.qb.from_(log).select(log.lead, Max(log.at).as_("at")).groupby(log.lead)).as_(
		"last_move"
	)
	waiting = lead.sales_person.isnull() & lead.status.notin(CLOSED)
	held = lead.sales_person.isnotnull() & lead.status.notin(CLOSED)
	now = now_datetime()
	state = (
		frappe.qb.from_(lead)
		.left_join(last_move)
		.on(last_move.lead == lead.name)
		.select(
			lead.pool,
			_count(waiting).as_("in_pool"),
			_count(held).as_("held"),
			Avg(Case().when(waiting, _days(Coalesce(last_move.at, lead.creation), ValueWrapper(now)))).as_(
				"avg_days_waiting"
			),
		)
		.where(lead.status.notin(CLOSED))
		.groupby(lead.pool)
	)
	table: dict[str, dict] = {}

	def row(pool):
		return table.setdefault(
			pool or "", {"pool": pool, **_zero_counts(), "in_pool": 0, "held": 0, "avg_days_waiting": None}
		)

	for r in _restrict(events, lead, f, user).run(as_dict=True):  # one per pool
		_add_counts(row(r.pool), r)
	for r in _restrict(state, lead, f, user).run(as_dict=True):
		target = row(r.pool)
		target["in_pool"], target["held"] = cint(r.in_pool), cint(r.held)
		if r.avg_days_waiting is not None:
			target["avg_days_waiting"] = _round(r.avg_days_waiting, 1)
	return sorted(table.values(), key=lambda r: (-r["in_pool"], r["pool"] or ""))


def _zero_counts() -> dict:
	return {**dict.fromkeys(POOL_ACTIONS.values(), 0), "taken_from_pool": 0, "avg_days_in_pool": None}


def _add_counts(target: dict, r) -> None:
	for column in POOL_ACTIONS.values():
		target[column] = cint(r[column])
	target["taken_from_pool"] = cint(r.taken_from_pool)
	target["avg_days_in_pool"] = _round(r.avg_days_in_pool, 1) if r.avg_days_in_pool is not None else None


def pool_chart(rows: list[dict], view: str) -> dict:
	key = "sales_person" if view == "Sales Person" else "pool"
	top = rows[:CHART_TOP]
	now = (
		{"name": _("Held Now"), "values": [r["held"] for r in top]}
		if key == "sales_person"
		else {"name": _("In Pool Now"), "values": [r["in_pool"] for r in top]}
	)
	return {
		"data": {
			"labels": [r[key] or _("Not Set") for r in top],
			"datasets": [
				now,
				{"name": _("Claimed"), "values": [r["claimed"] for r in top]},
				{"name": _("Released"), "values": [r["released"] for r in top]},
				{"name": _("Returned"), "values": [r["returned"] for r in top]},
			],
		},
		"type": "bar",
	}
