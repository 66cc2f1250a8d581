"""The Sales Workbench (W1): every panel for the logged-in user in one request.

Data scope (A1) is enforced here, on the server: opportunities, customers and alerts of the
user's Sales Person and its descendants; managers (hierarchy.SCOPE_FREE_ROLES) see everything.
Each panel is one aggregate or one bounded query; rows are never fetched one by one.
"""

import frappe
from frappe.query_builder import Order
from frappe.query_builder.functions import Coalesce, Count, Sum
from frappe.utils import add_days, cint, flt, getdate, now_datetime, today

from sales_process.domain import (
	care_reminders,
	check_in,
	daily_standard,
	deadlines,
	decisions,
	hierarchy,
	holders,
	silence,
	weighted,
)
from sales_process.domain.settings import get_settings

APPOINTMENT_DAYS = 7
LIMIT_ALERTS = 10
LIMIT_NEAR_CONFISCATION = 20
LIMIT_PIPELINE = 50
LIMIT_APPOINTMENTS = 50
LIMIT_LEADS = 20
LIMIT_DECISIONS = 20
STANDARD_DAYS = 30  # K6: the days below the daily standard over the last 30 days, to yesterday
LIMIT_BELOW = 10
LIMIT_SILENT = 20


@frappe.whitelist()
@frappe.read_only()
def get_workbench() -> dict:
	user = frappe.session.user
	now = now_datetime()
	day = getdate(today())
	opp = frappe.qb.DocType("Sales Opportunity")
	can_read_opportunities = bool(frappe.has_permission("Sales Opportunity", "read"))
	probabilities = weighted.stage_probabilities() if can_read_opportunities else {}
	mine = hierarchy.sales_person_of(user)
	return {
		"sales_person": mine,
		"is_scope_free": hierarchy.is_scope_free(user),
		"date": day,
		"appointments": _appointments(opp, user, day, probabilities) if can_read_opportunities else [],
		"celebrations": _celebrations(user, day) if can_read_opportunities else [],
		"care_reminders": _care_reminders(user, day),
		"help_alerts": _help_alerts(user),
		"near_confiscation": _near_confiscation(opp, user, now, probabilities)
		if can_read_opportunities
		else [],
		"pipeline": _pipeline(opp, user, now, probabilities) if can_read_opportunities else [],
		"today": _today(user, day),
		"forecast": _forecast(opp, user, probabilities) if can_read_opportunities else _empty_forecast(),
		"leads": _leads(user, now) if frappe.has_permission("Sales Lead", "read") else _no_leads(),
		"pending_decisions": _pending_decisions(user, now) if can_read_opportunities else [],
		"daily_standard": _daily_standard(user, day),
		"silent_opportunities": _silent(user, now) if can_read_opportunities else {"own": [], "team": []},
		"route": check_in.route(mine, day),  # F2: the day's check-ins, a list (no map: offline)
	}


# --- opportunities ------------------------------------------------------------------------------


def _open_in_scope(opp, user, probabilities: dict[str, float]):
	"""Open opportunities of the user's scope, with the fields every opportunity panel shows; the
	probability is the stage's, the one the forecast weighs with (`domain.weighted`)."""
	query = (
		frappe.qb.from_(opp)
		.select(
			opp.name,
			opp.customer,
			opp.customer_name,
			opp.sales_person,
			opp.stage,
			weighted.probability_sql(opp.stage, probabilities).as_("probability"),
			opp.amount,
			opp.currency,
			opp.stage_due_at,
			opp.next_action_date,
			opp.next_action,
			opp.lost_requested,
			opp.previous_sales_person,
		)
		.where(opp.status == "Open")
	)
	return hierarchy.apply_scope(query, opp.sales_person, user)


def _row(row, now=None) -> dict:
	item = {
		"name": row.name,
		"customer": row.customer,
		"customer_name": row.customer_name,
		"sales_person": row.sales_person,
		"stage": row.stage,
		"probability": flt(row.probability),
		"amount": flt(row.amount),
		"currency": row.currency,
		"stage_due_at": row.stage_due_at,
		"next_action_date": row.next_action_date,
		"next_action": row.next_action,
		"lost_requested": bool(row.lost_requested),
		"previous_sales_person": row.previous_sales_person,
	}
	if now is not None:
		item["hours_left"] = deadlines.hours_left(row.stage_due_at, now)
	return item


def _appointments(opp, user, day, probabilities) -> list[dict]:
	"""Next actions due within APPOINTMENT_DAYS days, and those already overdue, soonest first."""
	rows = (
		_open_in_scope(opp, user, probabilities)
		.where(opp.next_action_date.isnotnull() & (opp.next_action_date <= add_days(day, APPOINTMENT_DAYS)))
		.orderby(opp.next_action_date)
		.orderby(opp.name)
		.limit(LIMIT_APPOINTMENTS)
		.run(as_dict=True)
	)
	out = []
	for row in rows:
		item = _row(row)
		item["days_left"] = (getdate(row.next_action_date) - day).days
		item["overdue"] = item["days_left"] < 0
		out.append(item)
	return out


def _near_confiscation(opp, user, now, probabilities) -> list[dict]:
	"""Opportunities with a stage deadline, the most urgent first (D3 confiscates when it passes)."""
	rows = (
		_open_in_scope(opp, user, probabilities)
		.where(opp.stage_due_at.isnotnull())
		.orderby(opp.stage_due_at)
		.orderby(opp.name)
		.limit(LIMIT_NEAR_CONFISCATION)
		.run(as_dict=True)
	)
	return [_row(row, now) for row in rows]


def _pipeline(opp, user, now, probabilities) -> list[dict]:
	"""The 100% → 0% work order: closest to won first, then the most urgent deadline."""
	rows = (
		_open_in_scope(opp, user, probabilities)
		.orderby(weighted.probability_sql(opp.stage, probabilities), order=Order.desc)
		.orderby(opp.stage_due_at.isnull())
		.orderby(opp.stage_due_at)
		.orderby(opp.name)
		.limit(LIMIT_PIPELINE)
		.run(as_dict=True)
	)
	return [_row(row, now) for row in rows]


def _empty_forecast() -> dict:
	return {"count": 0, "amount": 0.0, "weighted": 0.0, "currency": _default_currency()}


def _default_currency() -> str | None:
	return frappe.defaults.get_defaults().get("currency")


def _forecast(opp, user, probabilities) -> dict:
	"""The personal weighted forecast: the open pipeline of the user's scope, weighted as the board
	and the Sales Forecast weigh it (`domain.weighted`)."""
	query = (
		frappe.qb.from_(opp)
		.select(
			Count(opp.name).as_("count"),
			Coalesce(Sum(opp.amount), 0).as_("amount"),
			Coalesce(Sum(weighted.amount_sql(opp.amount, opp.stage, probabilities)), 0).as_("weighted"),
		)
		.where(opp.status == "Open")
	)
	row = hierarchy.apply_scope(query, opp.sales_person, user).run(as_dict=True)[0]
	return {
		"count": cint(row["count"]),
		"amount": flt(row.amount, 2),
		"weighted": flt(row.weighted, 2),
		"currency": _default_currency(),
	}


# --- celebrations (C2) -----------------------------------------------------------------------------


def _celebrations(user, day) -> list[dict]:
	"""Founding anniversaries of the customers held in the user's scope (K8: won ones included,
	`holders`) and birthdays of their decision makers, within the window (C2's rules, care_reminders)."""
	held = holders.held_customers(hierarchy.scope_of(user))
	return care_reminders.due_celebrations(day, care_reminders.window_days(), among=held)


def _care_reminders(user, day) -> list[dict]:
	"""Open revisit/celebration ToDos the daily care job gave this user (C1, C2)."""
	return care_reminders.open_reminders(user, add_days(day, care_reminders.window_days()))


# --- help alerts (H1–H3) ------------------------------------------------------------------------------


def _help_alerts(user) -> dict:
	empty = {"own": [], "team": [], "to_answer": []}
	if not frappe.has_permission("Help Alert", "read"):
		return empty
	alert = frappe.qb.DocType("Help Alert")
	response = frappe.qb.DocType("Help Alert Response")
	responses = (
		frappe.qb.from_(response)
		.select(Count(response.name))
		.where((response.parent == alert.name) & (response.parenttype == "Help Alert"))
	)

	def base():
		return (
			frappe.qb.from_(alert)
			.select(
				alert.name,
				alert.opportunity,
				alert.customer,
				alert.stage,
				alert.reason,
				alert.description,
				alert.raised_by,
				alert.raised_by_sales_person,
				alert.raised_at,
				alert.amount,
				alert.currency,
				responses.as_("responses"),
			)
			.where(alert.status == "Open")
			.orderby(alert.raised_at, order=Order.desc)
			.orderby(alert.name, order=Order.desc)
		)

	own = base().where(alert.raised_by == user).limit(LIMIT_ALERTS)
	scope = hierarchy.scope_of(user)
	team = None  # no subtree: no team
	if not scope.empty:
		team = scope.apply(base().where(alert.raised_by != user), alert.raised_by_sales_person)
		team = team.limit(LIMIT_ALERTS)
	answered = (
		frappe.qb.from_(response)
		.select(response.parent)
		.where((response.parenttype == "Help Alert") & (response.responder == user))
	)
	to_answer = hierarchy.visibility_scope("help_alert_scope", user).apply(
		base().where((alert.raised_by != user) & alert.name.notin(answered)), alert.raised_by_sales_person
	)
	to_answer = to_answer.limit(LIMIT_ALERTS)

	def rows(query):
		return [] if query is None else [_alert(r) for r in query.run(as_dict=True)]

	return {"own": rows(own), "team": rows(team), "to_answer": rows(to_answer)}


def _alert(row) -> dict:
	return {
		"name": row.name,
		"opportunity": row.opportunity,
		"customer": row.customer,
		"stage": row.stage,
		"reason": row.reason,
		"description": row.description,
		"raised_by": row.raised_by,
		"raised_by_sales_person": row.raised_by_sales_person,
		"raised_at": row.raised_at,
		"amount": flt(row.amount),
		"currency": row.currency,
		"responses": cint(row.responses),
	}


# --- today's work (L1) --------------------------------------------------------------------------------


def _today(user, day) -> dict:
	mine = hierarchy.sales_person_of(user)
	if not mine:
		return {"minutes": 0, "effective_score": 0.0, "entries": 0}
	log = frappe.qb.DocType("Sales Daily Log")
	row = (
		frappe.qb.from_(log)
		.select(
			Count(log.name).as_("entries"),
			Coalesce(Sum(log.minutes), 0).as_("minutes"),
			Coalesce(Sum(log.effective_score), 0).as_("effective_score"),
		)
		.where((log.sales_person == mine) & (log.log_date == day))
		.run(as_dict=True)[0]
	)
	return {
		"minutes": cint(row.minutes),
		"effective_score": flt(row.effective_score, 2),
		"entries": cint(row.entries),
	}


# --- leads (G5, G8) -----------------------------------------------------------------------------------


def _no_leads() -> dict:
	return {"follow_up": [], "held": 0, "hold_limit": 0, "pool": [], "pool_count": 0, "can_claim": False}


def _leads(user, now) -> dict:
	"""My leads to follow up — the open leads I hold, the one the stale-lead job returns to the pool
	first at the top (`lead_follow_up.return_due`) — and the pool: open leads without a holder in the pools I
	may claim from (managers: every pool), best score first."""
	from sales_process.domain import lead as lead_domain
	from sales_process.domain.lead_follow_up import return_due

	mine = hierarchy.sales_person_of(user)
	sl = frappe.qb.DocType("Sales Lead")
	is_open = sl.status.isin(lead_domain.OPEN_STATUSES)
	follow_up, held = [], 0
	if mine:
		due = return_due(sl)
		rows = (
			frappe.qb.from_(sl)
			.select(
				sl.name,
				sl.company_name,
				sl.lead_name,
				sl.status,
				sl.score,
				sl.source,
				sl.pool,
				sl.last_contact_at,
				sl.held_since,
				due.as_("return_due"),
			)
			.where((sl.sales_person == mine) & is_open)
			.orderby(due)
			.orderby(sl.name)
			.limit(LIMIT_LEADS)
			.run(as_dict=True)
		)
		for row in rows:
			row.hours_left = deadlines.hours_left(row.return_due, now)
			follow_up.append(row)
		held = lead_domain.held_count(mine)

	in_pool = sl.sales_person.isnull() & is_open
	criterion = lead_domain.visible_criterion(sl, user)
	if criterion is not None:
		in_pool &= criterion
	pool = (
		frappe.qb.from_(sl)
		.select(
			sl.name,
			sl.company_name,
			sl.lead_name,
			sl.status,
			sl.score,
			sl.source,
			sl.territory,
			sl.pool,
			sl.creation,
		)
		.where(in_pool)
		.orderby(sl.score, order=Order.desc)
		.orderby(sl.creation, order=Order.desc)
		.orderby(sl.name)
		.limit(LIMIT_LEADS)
		.run(as_dict=True)
	)
	pool_count = frappe.qb.from_(sl).select(Count(sl.name)).where(in_pool).run()[0][0]
	return {
		"follow_up": follow_up,
		"held": cint(held),
		"hold_limit": get_settings().lead_hold_limit,
		"pool": pool,
		"pool_count": cint(pool_count),
		"can_claim": bool(mine),
	}


# --- a superior's pending decisions (K5) ---------------------------------------------------------------


def _pending_decisions(user, now) -> list[dict]:
	"""Confiscated opportunities and lost requests waiting for the user's decision, oldest first."""
	return decisions.pending(hierarchy.sales_person_of(user), now, LIMIT_DECISIONS)


# --- the minimum daily standard (K6) ---------------------------------------------------------------


def _daily_standard(user, day) -> dict:
	"""The standard, the user's working days below it over the last STANDARD_DAYS days (which days,
	with their totals) and, for a superior or a manager, the people of their scope with the most
	days below (`domain.daily_standard`)."""
	std = daily_standard.standard()
	from_date, to_date = add_days(day, -STANDARD_DAYS), add_days(day, -1)
	mine = hierarchy.sales_person_of(user)
	own, days = None, []
	if mine:
		rows = daily_standard.days_below(from_date, to_date, person=mine, user=user)
		own = (
			rows[0]
			if rows
			else {"sales_person": mine, "working_days": 0, "days_below": 0, "days_without_log": 0}
		)
		days = daily_standard.below_days(from_date, to_date, mine, user=user)
	team = []
	if hierarchy.is_scope_free(user) or hierarchy.has_subordinates(mine):
		people = daily_standard.days_below(from_date, to_date, user=user)
		team = [p for p in people if p["days_below"] and p["sales_person"] != mine]
		team.sort(key=lambda p: (-p["days_below"], p["sales_person"]))
	return {
		"active": std.active,
		"min_minutes": std.min_minutes,
		"min_score": std.min_score,
		"from_date": from_date,
		"to_date": to_date,
		"mine": own,
		"days": days,
		"team": team[:LIMIT_BELOW],
		"team_below": len(team),
	}


# --- silent opportunities (K9) ----------------------------------------------------------------------


def _silent(user, now) -> dict:
	"""Open opportunities without a daily log for `silence_days` days, before their deadline
	(`domain.silence`): the user's own, and the rest of their scope's (a superior's team)."""
	mine = hierarchy.sales_person_of(user)
	own = silence.silent_opportunities(now, limit=LIMIT_SILENT, user=user, owner=mine) if mine else []
	team = []
	if hierarchy.is_scope_free(user) or hierarchy.has_subordinates(mine):
		team = silence.silent_opportunities(now, limit=LIMIT_SILENT, user=user, owner_not=mine)
	return {"own": [_silent_row(r) for r in own], "team": [_silent_row(r) for r in team]}


def _silent_row(row) -> dict:
	return {
		"name": row.name,
		"customer": row.customer,
		"customer_name": row.customer_name,
		"sales_person": row.sales_person,
		"stage": row.stage,
		"amount": flt(row.amount),
		"currency": row.currency,
		"stage_due_at": row.stage_due_at,
		"last_log_date": row.last_log_date,
		"silent_since": row.silent_since,
		"since_what": row.since_what,
		"days_silent": row.days_silent,
		"hours_left": row.hours_left,
		"days_left": row.days_left,
	}
