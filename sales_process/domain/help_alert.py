"""Help alerts and the experience pool (H1–H3, E1, A3).

A salesperson who is stuck raises an alert on an opportunity (or from a daily log marked
`difficulty`), or on a customer they hold with no opportunity to name (K8: after the win); the
opportunity's stage and amount are snapshotted and colleagues are notified. Responses are
append-only. Only the raiser can mark a response "method effective", which resolves the alert,
stops its timer and stores the answer in the experience pool.
"""

import re

import frappe
from frappe import _
from frappe.utils import cstr, now_datetime

from sales_process.domain import hierarchy, holders, settings
from sales_process.domain.notify import Digest

MAX_TEXT = 5000
DEFAULT_REASON = "其他"


class HelpAlertError(frappe.ValidationError):
	pass


def _text(value, label: str, required: bool = True) -> str:
	value = cstr(value).strip()
	if required and not value:
		frappe.throw(_("{0} is required.").format(label), frappe.MandatoryError)
	if len(value) > MAX_TEXT:
		frappe.throw(_("{0} is longer than {1} characters.").format(label, MAX_TEXT), HelpAlertError)
	return value


# --- H1 ------------------------------------------------------------------------------------------


def raise_alert(
	opportunity: str | None,
	reason: str,
	description: str,
	daily_log: str | None = None,
	customer: str | None = None,
) -> str:
	"""H1 on an open opportunity, or (K8) on a customer with no opportunity named — a won customer
	asking for service. The raiser must be able to work on the opportunity, or act for the
	customer (its holder, their superiors, the managers: `holders`); that is checked first."""
	user = frappe.session.user
	opp = None
	if opportunity:
		opp = frappe.get_doc("Sales Opportunity", opportunity)
		opp.check_permission("write")  # the raiser works on this opportunity (their scope)
		if customer and customer != opp.customer:
			frappe.throw(
				_("Opportunity {0} is for customer {1}, not {2}.").format(opp.name, opp.customer, customer),
				HelpAlertError,
			)
	elif customer:
		holders.check_may_act_for(customer, user)
	else:
		frappe.throw(
			_("Name the opportunity, or the customer, the help alert is about."), frappe.MandatoryError
		)
	description = _text(description, _("Description"))
	reason = _text(reason, _("Reason"))
	if not frappe.db.exists("Help Alert Reason", reason):
		frappe.throw(_("Help alert reason {0} does not exist.").format(reason), HelpAlertError)
	if opp and opp.status != "Open":
		frappe.throw(
			_("Opportunity {0} is closed; help alerts are for open opportunities.").format(opp.name),
			HelpAlertError,
		)
	snapshot = (
		{"customer": opp.customer, "stage": opp.stage, "amount": opp.amount, "currency": opp.currency}
		if opp
		else {"customer": customer}
	)
	alert = frappe.get_doc(
		{
			"doctype": "Help Alert",
			"opportunity": opp.name if opp else None,
			"reason": reason,
			"description": description,
			"status": "Open",
			"raised_by": user,
			"raised_by_sales_person": hierarchy.sales_person_of(user),
			"raised_at": now_datetime(),
			"daily_log": daily_log,
			**snapshot,
		}
	)
	alert.flags.from_process = True
	alert.insert(ignore_permissions=True)
	_notify_colleagues(alert)
	return alert.name


def raise_from_daily_log(log):
	"""H1 from a daily log marked `difficulty`: the note is the description; on the log's
	opportunity, or (K8) on its customer when it names none."""
	if not (log.opportunity or log.customer):
		frappe.throw(
			_("A difficulty needs an opportunity or a customer: help alerts are raised on them."),
			HelpAlertError,
		)
	if not cstr(log.note).strip():
		frappe.throw(_("Describe the difficulty in the note."), HelpAlertError)
	reason = log.get("difficulty_reason") or DEFAULT_REASON
	customer = None if log.opportunity else log.customer
	return raise_alert(log.opportunity, reason, log.note, daily_log=str(log.name), customer=customer)


def audience(alert) -> list[str]:
	"""Who is told about an alert: every enabled sales user (Company), or the raiser's superiors
	and the Sales Managers (Hierarchy). Never the raiser."""
	if settings.get("help_alert_scope") == "Company":
		has_role = frappe.qb.DocType("Has Role")
		u = frappe.qb.DocType("User")
		users = (
			frappe.qb.from_(has_role)
			.join(u)
			.on(u.name == has_role.parent)
			.select(u.name)
			.distinct()
			.where(
				has_role.role.isin(["Sales User", "Sales Manager"])
				& (has_role.parenttype == "User")
				& (u.enabled == 1)
				& (u.user_type == "System User")
			)
			.run(pluck=True)
		)
	else:
		from sales_process.domain.notify import sales_managers

		users = sales_managers()
		sp = frappe.qb.DocType("Sales Person")
		emp = frappe.qb.DocType("Employee")
		lft, rgt = hierarchy.bounds(alert.raised_by_sales_person) or (0, 0)
		users += (
			frappe.qb.from_(sp)
			.join(emp)
			.on(sp.employee == emp.name)
			.select(emp.user_id)
			.where((sp.lft < lft) & (sp.rgt > rgt) & emp.user_id.isnotnull())
			.run(pluck=True)
		)
	return sorted({u for u in users if u and u != alert.raised_by})


def _notify_colleagues(alert):
	if alert.opportunity:
		subject = _("Help wanted on {0} ({1}, stage {2}): {3}").format(
			alert.opportunity, alert.customer, _(alert.stage or ""), _(alert.reason)
		)
	else:
		subject = _("Help wanted on customer {0}: {1}").format(alert.customer, _(alert.reason))
	digest = Digest(_("A colleague needs help"))
	digest.add([(user, subject, "Help Alert", alert.name) for user in audience(alert)])
	digest.send()


# --- H2 ------------------------------------------------------------------------------------------


def load(alert: str, for_update: bool = False):
	doc = frappe.get_doc("Help Alert", alert, for_update=for_update)
	doc.check_permission("read")
	return doc


def respond(alert: str, analysis: str, countermeasure: str | None = None) -> str:
	user = frappe.session.user
	doc = load(alert, for_update=True)
	if doc.status != "Open":
		frappe.throw(
			_("Help alert {0} is resolved; it takes no more responses.").format(doc.name), HelpAlertError
		)
	if doc.raised_by == user:
		frappe.throw(_("You raised this alert; your colleagues answer it."), HelpAlertError)
	row = doc.append(
		"responses",
		{
			"responder": user,
			"responder_sales_person": hierarchy.sales_person_of(user),
			"responded_at": now_datetime(),
			"analysis": _text(analysis, _("Analysis")),
			"countermeasure": _text(countermeasure, _("Countermeasure"), required=False) or None,
		},
	)
	if not doc.first_response_at:
		doc.first_response_at = row.responded_at
	doc.flags.from_process = True
	doc.save(ignore_permissions=True)
	from sales_process.domain.notify import notify_users

	notify_users([doc.raised_by], doc, _("{0} answered your help alert {1}.").format(user, doc.name))
	return row.name


# --- H3 ------------------------------------------------------------------------------------------


def mark_effective(alert: str, response: str) -> str:
	user = frappe.session.user
	doc = load(alert, for_update=True)  # two racing calls serialise here; the second sees Resolved
	if doc.raised_by != user:
		frappe.throw(
			_("Only {0}, who raised the alert, can mark an answer effective.").format(doc.raised_by),
			frappe.PermissionError,
		)
	if doc.status != "Open":
		frappe.throw(_("Help alert {0} is already resolved.").format(doc.name), HelpAlertError)
	row = next((r for r in doc.responses if r.name == response), None)
	if not row:
		frappe.throw(
			_("Response {0} does not belong to help alert {1}.").format(response, doc.name), HelpAlertError
		)
	now = now_datetime()
	row.is_effective = 1
	doc.status = "Resolved"
	doc.resolved_at = now
	doc.effective_response = row.name
	entry = frappe.get_doc(
		{
			"doctype": "Experience Entry",
			"title": _experience_title(doc),
			"problem": doc.description,
			"solution": "\n\n".join(x for x in (row.analysis, row.countermeasure) if x),
			"stage": doc.stage,
			"reason": doc.reason,
			"source_help_alert": doc.name,
			"contributed_by": row.responder,
		}
	)
	entry.flags.from_process = True  # the only way to set the provenance fields
	entry.insert(ignore_permissions=True)
	doc.experience_entry = entry.name
	doc.flags.from_process = True
	doc.save(ignore_permissions=True)
	from sales_process.domain.notify import notify_users

	notify_users(
		[row.responder],
		doc,
		_("Your answer to {0} was marked effective and joined the experience pool.").format(doc.name),
	)
	return entry.name


def _experience_title(doc) -> str:
	first_line = cstr(doc.description).strip().splitlines()[0] if doc.description else ""
	return f"{doc.reason}: {first_line[:80]}"


# --- append-only guard ---------------------------------------------------------------------------


IMMUTABLE_ALERT_FIELDS = (
	"opportunity",
	"reason",
	"description",
	"status",
	"raised_by",
	"raised_by_sales_person",
	"raised_at",
	"first_response_at",
	"resolved_at",
	"customer",
	"stage",
	"amount",
	"daily_log",
	"effective_response",
	"experience_entry",
)
RESPONSE_FIELDS = (
	"responder",
	"responder_sales_person",
	"responded_at",
	"analysis",
	"countermeasure",
	"is_effective",
)


def guard(doc):
	"""H2: alerts change only through respond/mark_effective; responses are append-only."""
	if doc.is_new():
		if not doc.flags.from_process:
			frappe.throw(_("Raise help alerts with the Raise Help Alert action."), frappe.PermissionError)
		return
	before = doc.get_doc_before_save()
	if not before:
		return
	old = {r.name: r for r in before.responses}
	new = {r.name: r for r in doc.responses}
	removed = set(old) - set(new)
	changed = [
		name
		for name, r in old.items()
		if name in new
		and any(cstr(r.get(f)) != cstr(new[name].get(f)) for f in RESPONSE_FIELDS)
		and not (doc.flags.from_process and _only_marked_effective(r, new[name]))
	]
	edited = [f for f in IMMUTABLE_ALERT_FIELDS if cstr(before.get(f)) != cstr(doc.get(f))]
	if (
		removed
		or changed
		or (edited and not doc.flags.from_process)
		or (len(new) > len(old) and not doc.flags.from_process)
	):
		frappe.throw(
			_("Help alerts and their responses cannot be edited or deleted; add a new response instead."),
			frappe.PermissionError,
			title=_("Not Allowed"),
		)


def _only_marked_effective(old, new) -> bool:
	return all(cstr(old.get(f)) == cstr(new.get(f)) for f in RESPONSE_FIELDS if f != "is_effective")


# --- E1: the experience pool -------------------------------------------------------------------------


def _terms(text: str) -> list[str]:
	"""Search terms: Latin words, and for Chinese (no spaces) overlapping two-character pieces."""
	terms = []
	for chunk in re.findall(r"[\w\u4e00-\u9fff]+", cstr(text).casefold()):
		han = re.findall(r"[\u4e00-\u9fff]+", chunk)
		if han:
			for run in han:
				terms += [run] if len(run) <= 2 else [run[i : i + 2] for i in range(len(run) - 1)]
			chunk = re.sub(r"[\u4e00-\u9fff]+", " ", chunk)
		terms += [w for w in chunk.split() if len(w) >= 2]
	return list(dict.fromkeys(terms))[:12]


def search(
	text: str | None = None, stage: str | None = None, reason: str | None = None, limit: int = 10
) -> list[dict]:
	"""Rank the pool in SQL: same stage and same reason weigh most, then each term found in the
	title (×2), problem or solution (×1). Entries matching nothing are left out."""
	from frappe.query_builder import Case
	from frappe.query_builder.functions import Coalesce

	e = frappe.qb.DocType("Experience Entry")
	score = Case().when(e.stage == (stage or ""), 3).else_(0) + Case().when(
		e.reason == (reason or ""), 3
	).else_(0)
	for term in _terms(text or ""):
		pattern = f"%{term}%"
		score = (
			score
			+ Case().when(e.title.like(pattern), 2).else_(0)
			+ Case().when(Coalesce(e.problem, "").like(pattern), 1).else_(0)
			+ Case().when(Coalesce(e.solution, "").like(pattern), 1).else_(0)
		)
	limit = max(1, min(int(limit or 10), 50))
	rows = (
		frappe.qb.from_(e)
		.select(
			e.name, e.title, e.stage, e.reason, e.problem, e.solution, e.source_help_alert, score.as_("score")
		)
		.where(score > 0)
		.orderby(score, order=frappe.qb.desc)
		.orderby(e.creation, order=frappe.qb.desc)
		.limit(limit)
		.run(as_dict=True)
	)
	return [r for r in rows if frappe.has_permission("Experience Entry", "read", doc=r.name)]


def suggestions_for_alert(alert) -> list[dict]:
	return search(alert.description, alert.stage, alert.reason, limit=5)
