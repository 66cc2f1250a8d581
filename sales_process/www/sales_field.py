"""/sales-field: the phone page for salespeople (F1).

A www page, not a desk page: one request renders every screen (Today, Log, Help, Pool) with its data,
without the desk's boot and bundles, so it opens on a slow connection. The screens switch in the
browser; each action is one POST to the app's whitelisted methods with the session's CSRF token, and
the page reloads after it. Every string the page shows, its script's included, is translated here
(`_labels`), so the user's language decides the whole page. See docs/field.md.
"""

import json
from urllib.parse import urlencode

import frappe
import frappe.sessions
from frappe import _
from frappe.utils import cint, flt, fmt_money, format_date, format_time, get_datetime

from sales_process.api.workbench import get_workbench
from sales_process.domain import hierarchy, holders
from sales_process.domain.lead import OPEN_STATUSES

no_cache = 1
ROUTE = "/sales-field"
LIMIT_CUSTOMERS = 200
LIMIT_LEADS = 100
LIMIT_OPPORTUNITIES = 300
LIMIT_ROWS = 10  # rows per list of the Today screen
RECENT_DAYS = 30  # customers logged on lately are offered too, held or not


def get_context(context):
	if frappe.session.user == "Guest":
		frappe.redirect(f"/login?{urlencode({'redirect-to': ROUTE})}")
	user = frappe.session.user
	context.no_cache = 1
	context.lang = frappe.local.lang or "en"
	context.t = _labels()
	context.title = context.t["title"]
	context.sales_person = hierarchy.sales_person_of(user)
	if not context.sales_person:
		return context
	# a session without a CSRF token gets one, saved with the session: frappe.app commits at the end of
	# the request when flags.commit is set (/app commits for the same reason)
	if not frappe.session.data.csrf_token:
		frappe.local.flags.commit = True
	context.csrf_token = frappe.sessions.get_csrf_token()
	workbench = get_workbench()
	opportunities = _opportunities(user)
	context.update(
		{
			"today": _today(workbench),
			"route": [_stop(row) for row in workbench.get("route") or []],
			"appointments": [_appointment(r) for r in workbench["appointments"][:LIMIT_ROWS]],
			"near_confiscation": [_near(r) for r in workbench["near_confiscation"][:LIMIT_ROWS]],
			"follow_up": [_follow_up(r) for r in workbench["leads"]["follow_up"][:LIMIT_ROWS]],
			"alerts_own": [_alert(r) for r in workbench["help_alerts"]["own"]],
			"alerts_to_answer": [_alert(r) for r in workbench["help_alerts"]["to_answer"]],
			"pool": [_pool_lead(r) for r in workbench["leads"]["pool"]],
			"pool_count": workbench["leads"]["pool_count"],
			"can_claim": workbench["leads"]["can_claim"],
			"held": workbench["leads"]["held"],
			"hold_limit": workbench["leads"]["hold_limit"],
			"customers": _customers(user, context.sales_person),
			"leads": _leads(user),
			"opportunities": opportunities,
			"help_customers": [],
			"activity_types": _activity_types(),
			"reasons": frappe.get_all("Help Alert Reason", pluck="name", order_by="name asc"),
		}
	)
	with_opportunity = {o["customer"] for o in opportunities}
	context.help_customers = [c for c in context.customers if c["name"] not in with_opportunity]
	context.script_data = _script_json(
		{
			"csrf_token": context.csrf_token,
			"t": context.t,
			"opportunities": [
				{"name": o["name"], "customer": o["customer"], "label": o["label"]} for o in opportunities
			],
		}
	)
	return context


def _script_json(data) -> str:
	"""JSON that can sit inside a <script> element: no "<" in it can end or comment out the element."""
	return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _labels() -> dict[str, str]:
	"""Every string of the page and its script, in the user's language."""
	return {
		"title": _("Field Sales"),
		"tab_today": _("Today", context="Sales Field"),
		"tab_log": _("Log", context="Sales Field"),
		"tab_help": _("Help", context="Sales Field"),
		"tab_pool": _("Pool", context="Sales Field"),
		"no_sales_person": _(
			"Your user is not linked to a Sales Person (Sales Person → Employee → User), so there is nothing to file here. Ask your administrator to link it."
		),
		"open_desk": _("Open the desk"),
		"minutes_today": _("Minutes today"),
		"score_today": _("Score today"),
		"entries_today": _("Entries today"),
		"route": _("Today's route"),
		"route_empty": _("No check-ins today. Check in on a visit from the Log screen."),
		"appointments": _("Appointments", context="Sales Field"),
		"appointments_empty": _("No appointments in the coming days."),
		"near_confiscation": _("Close to confiscation"),
		"near_empty": _("No opportunity has a stage deadline."),
		"follow_up": _("Leads to follow up"),
		"follow_up_empty": _("No leads to follow up."),
		"alerts_own": _("My open help alerts"),
		"alerts_own_empty": _("You have no open help alert."),
		"alerts_to_answer": _("Help alerts I could answer"),
		"alerts_to_answer_empty": _("Nobody is waiting for your answer."),
		"open_in_desk": _("Open in the desk"),
		"step_who": _("1. Who"),
		"step_what": _("2. What"),
		"step_how": _("3. How long"),
		"search": _("Search", context="Sales Field"),
		"customers": _("Customers", context="Sales Field"),
		"leads": _("Leads"),
		"nothing_to_log_on": _(
			"You hold no customer or lead yet. Customers come with your opportunities; claim a lead from the pool."
		),
		"search_all": _("Search all customers"),
		"searching": _("Searching…"),
		"no_other_customer": _("No other customer matches."),
		"opportunity": _("Opportunity", context="Sales Field"),
		"no_opportunity": _("No particular opportunity"),
		"next": _("Next", context="Sales Field"),
		"back": _("Back", context="Sales Field"),
		"pick_who": _("Pick the customer or the lead first."),
		"pick_activity": _("Tick at least one activity."),
		"visit": _("Visit", context="Sales Field"),
		"check_in": _("Check in here"),
		"check_in_explain": _(
			"A visit can carry your location as evidence. Tapping the button asks your phone for it, once."
		),
		"locating": _("Finding your location…"),
		"located": _("Checked in: {0}, {1} (accuracy {2} m)"),
		"location_denied": _(
			"Location is blocked for this page. You can still log the visit without a check-in; it will then be flagged in the False Report Analysis. To check in, allow location for this site in the browser's settings."
		),
		"location_failed": _(
			"Your location could not be found ({0}). You can still log the visit without a check-in; it will then be flagged in the False Report Analysis."
		),
		"location_unsupported": _(
			"This browser cannot give a location. You can still log the visit without a check-in; it will then be flagged in the False Report Analysis."
		),
		"no_check_in_warning": _(
			"This visit has no check-in: it will be flagged in the False Report Analysis."
		),
		"minutes": _("Minutes"),
		"cost": _("Cost", context="Sales Daily Log"),
		"note": _("Note"),
		"difficulty": _("I am stuck: raise a help alert"),
		"reason": _("Reason", context="Help Alert"),
		"save_log": _("Save the log"),
		"saving": _("Saving…"),
		"log_saved": _("Daily log {0} saved"),
		"help_on": _("On", context="Sales Field"),
		"help_customers": _("Customers without an opportunity"),
		"description": _("Description"),
		"raise_alert": _("Raise the help alert"),
		"alert_raised": _("Help alert {0} raised"),
		"nothing_to_raise_on": _("You have no open opportunity or customer to raise a help alert on."),
		"pick_help_on": _("Pick the opportunity or the customer."),
		"describe": _("Describe the difficulty."),
		"pool_intro": _("{0} leads in the pool. You hold {1} of at most {2}."),
		"pool_empty": _("The pool is empty."),
		"pool_no_claim": _("Only a salesperson can claim leads."),
		"claim": _("Claim", context="Sales Field"),
		"claimed": _("Lead {0} is yours now"),
		"score": _("Score", context="Sales Field"),
		"network_error": _("No connection: nothing was saved. Try again when you have a signal."),
		"server_error": _("The server could not do this (error {0})."),
		"enter_minutes": _("Enter how many minutes the work took."),
	}


# --- Today --------------------------------------------------------------------------------------------


def _today(workbench) -> dict:
	today = workbench["today"]
	return {
		"minutes": cint(today["minutes"]),
		"score": flt(today["effective_score"], 2),
		"entries": cint(today["entries"]),
		"date": format_date(workbench["date"]),
	}


def _metres(value) -> str:
	return f"{round(flt(value)):,}"


def _stop(row) -> dict:
	"""One check-in of the day's route (F2); distance and leg may be unknown."""
	at = get_datetime(row.get("check_in_at")) if row.get("check_in_at") else None
	distance = row.get("distance")
	leg = row.get("leg")
	return {
		"entry": row.get("entry"),
		"time": format_time(at.time(), "HH:mm") if at else "",
		"who": row.get("customer_name") or row.get("customer") or row.get("lead") or "",
		"address": row.get("address") or "",
		"distance": _("{0} m from the customer").format(_metres(distance))
		if distance is not None
		else _("distance unknown: the customer's address has no coordinates"),
		"leg": _("{0} m from the previous stop").format(_metres(leg)) if leg is not None else "",
		"accuracy": _("accuracy {0} m").format(_metres(row.get("accuracy")))
		if row.get("accuracy") is not None
		else "",
	}


def _appointment(row) -> dict:
	days = cint(row["days_left"])
	if days < 0:
		when = _("{0} days overdue").format(-days)
	elif days == 0:
		when = _("Today", context="Sales Field")
	else:
		when = _("in {0} days").format(days)
	return {
		"name": row["name"],
		"customer": row["customer_name"] or row["customer"],
		"what": row["next_action"] or "",
		"when": when,
		"date": format_date(row["next_action_date"]),
		"overdue": days < 0,
	}


def _hours(hours) -> tuple[str, bool]:
	hours = flt(hours)
	if hours < 0:
		return _("{0} h overdue").format(round(-hours)), True
	return _("{0} h left").format(round(hours)), hours < 24


def _near(row) -> dict:
	left, urgent = _hours(row["hours_left"])
	stage = row["stage"]
	return {
		"name": row["name"],
		"customer": row["customer_name"] or row["customer"],
		"stage": _(stage) if stage else "",
		"amount": fmt_money(row["amount"], currency=row["currency"]),
		"left": left,
		"urgent": urgent,
	}


def _follow_up(row) -> dict:
	return {
		"name": row.name,
		"who": row.company_name or row.lead_name or row.name,
		"person": row.lead_name if row.company_name else "",
		"contact": format_date(row.last_contact_at) if row.last_contact_at else _("No contact yet"),
		"back": _("back to the pool in {0} h").format(round(max(flt(row.hours_left), 0)))
		if row.hours_left is not None
		else "",
	}


def _alert(row) -> dict:
	reason, stage = row["reason"], row["stage"]
	return {
		"name": row["name"],
		"on": row["opportunity"] or row["customer"] or "",
		"reason": _(reason) if reason else "",
		"stage": _(stage) if stage else "",
		"description": row["description"] or "",
		"responses": _("{0} responses").format(cint(row["responses"])),
		"raised_by": row["raised_by_sales_person"] or row["raised_by"],
	}


def _pool_lead(row) -> dict:
	return {
		"name": row.name,
		"who": row.company_name or row.lead_name or row.name,
		"person": row.lead_name if row.company_name else "",
		"source": _(row.source) if row.source else "",
		"territory": row.territory or "",
		"score": cint(row.score),
	}


# --- what the Log and Help screens offer -------------------------------------------------------------


def _customers(user, sales_person) -> list[dict]:
	"""The customers held in the user's scope (K8's holders: open or last won opportunity, Sales Team),
	and those the user logged on lately; the server checks each entry again (L3)."""
	customer = frappe.qb.DocType("Customer")
	log = frappe.qb.DocType("Sales Daily Log")
	held = holders.held_customers(hierarchy.scope_of(user))
	recent = (
		frappe.qb.from_(log)
		.select(log.customer)
		.distinct()
		.where(
			(log.sales_person == sales_person)
			& log.customer.isnotnull()
			& (log.log_date >= frappe.utils.add_days(frappe.utils.today(), -RECENT_DAYS))
		)
	)
	rows = (
		frappe.qb.from_(customer)
		.select(customer.name, customer.customer_name)
		.where((customer.disabled == 0) & (customer.name.isin(held) | customer.name.isin(recent)))
		.orderby(customer.customer_name)
		.orderby(customer.name)
		.limit(LIMIT_CUSTOMERS)
		.run(as_dict=True)
	)
	return [{"name": r.name, "label": r.customer_name or r.name} for r in rows]


def _leads(user) -> list[dict]:
	"""Open leads held in the user's scope (G7: work on a lead counts before it is a customer)."""
	lead = frappe.qb.DocType("Sales Lead")
	query = (
		frappe.qb.from_(lead)
		.select(lead.name, lead.company_name, lead.lead_name)
		.where(lead.sales_person.isnotnull() & lead.status.isin(OPEN_STATUSES))
		.orderby(lead.company_name)
		.orderby(lead.name)
		.limit(LIMIT_LEADS)
	)
	rows = hierarchy.apply_scope(query, lead.sales_person, user).run(as_dict=True)
	return [{"name": r.name, "label": r.company_name or r.lead_name or r.name} for r in rows]


def _opportunities(user) -> list[dict]:
	opp = frappe.qb.DocType("Sales Opportunity")
	query = (
		frappe.qb.from_(opp)
		.select(opp.name, opp.customer, opp.customer_name, opp.stage, opp.amount, opp.currency)
		.where(opp.status == "Open")
		.orderby(opp.customer_name)
		.orderby(opp.name)
		.limit(LIMIT_OPPORTUNITIES)
	)
	rows = hierarchy.apply_scope(query, opp.sales_person, user).run(as_dict=True)
	return [
		{
			"name": r.name,
			"customer": r.customer,
			"customer_name": r.customer_name or r.customer,
			"label": f"{r.name} · {_(r.stage) if r.stage else ''} · {fmt_money(r.amount, currency=r.currency)}",
		}
		for r in rows
	]


def _activity_types() -> list[dict]:
	rows = frappe.get_all(
		"Sales Activity Type",
		fields=["name", "activity_name", "score", "is_effective", "is_visit"],
		order_by="is_visit desc, name asc",
	)
	return [
		{
			"name": r.name,
			"label": _(r.activity_name or r.name),
			"score": flt(r.score) if r.is_effective else 0,
			"is_visit": bool(r.is_visit),
		}
		for r in rows
	]
