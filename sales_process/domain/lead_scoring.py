"""Lead scoring (G6): a score made of rules, each of which says what it gave.

Rules, with their points configurable (Sales Lead Source.score and the `lead_score_*` settings):
- source: the points of the lead's source;
- completeness: points for each way of reaching or identifying the prospect that was filled in;
- recent activity: points while the last contact (a daily log on the lead) is within the
  follow-up period;
- conversion history: once the company has decided `lead_score_min_history` leads (converted or
  disqualified), its own conversion rate for the lead's source and territory — or, while that
  group has too few decided leads, for the source, or else the company's rate — times the
  history points.

The score is recomputed on every save of the lead and when a daily log names it, so a form or
REST edit of `score` itself never sticks.
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum
from frappe.utils import cint, get_datetime, now_datetime, time_diff_in_seconds

from sales_process.domain import lead
from sales_process.domain.settings import get_settings

DECIDED = ("Converted", "Disqualified")
# what makes a lead reachable or identifiable, in the order the explanation lists them
COMPLETENESS_FIELDS = ("company_name", "lead_name", "phone", "email", "tax_id", "territory", "industry")


def score(doc) -> tuple[int, list[dict]]:
	"""(points, explanation): one {"rule", "points", "text"} per rule that applies."""
	cfg = get_settings()
	parts = [_source(doc), _completeness(doc, cfg), _activity(doc, cfg), _history(doc, cfg)]
	parts = [p for p in parts if p]
	return sum(p["points"] for p in parts), parts


def apply(doc, method=None):
	"""doc_events validate (every insert and save, after the controller placed the lead)."""
	doc.score, parts = score(doc)
	doc.score_explanation = explain(parts)


def refresh(name: str):
	"""Recompute a stored lead's score after something outside its form changed (a contact)."""
	doc = frappe.get_doc("Sales Lead", name)
	points, parts = score(doc)
	frappe.db.set_value(
		"Sales Lead", name, {"score": points, "score_explanation": explain(parts)}, update_modified=False
	)


def explain(parts: list[dict]) -> str:
	"""One line per rule, e.g. "+10  Source Web Form"."""
	return "\n".join(f"{p['points']:+d}  {p['text']}" for p in parts)


def _source(doc) -> dict | None:
	if not doc.source:
		return None
	points = cint(frappe.db.get_value("Sales Lead Source", doc.source, "score"))
	return {"rule": "source", "points": points, "text": _("Source {0}").format(_(doc.source))}


def _completeness(doc, cfg) -> dict | None:
	filled = [f for f in COMPLETENESS_FIELDS if str(doc.get(f) or "").strip()]
	if not filled:
		return None
	labels = ", ".join(_(doc.meta.get_label(f)) for f in filled)
	return {
		"rule": "completeness",
		"points": len(filled) * cfg.lead_score_field_points,
		"text": _("Filled in: {0} ({1} × {2})").format(labels, len(filled), cfg.lead_score_field_points),
	}


def _activity(doc, cfg) -> dict | None:
	if not doc.last_contact_at:
		return None
	days = lead.follow_up_days(doc.pool)
	age = time_diff_in_seconds(now_datetime(), get_datetime(doc.last_contact_at)) / 86400
	if age > days:
		return {
			"rule": "activity",
			"points": 0,
			"text": _("No contact within the last {0} days").format(days),
		}
	return {
		"rule": "activity",
		"points": cfg.lead_score_contact_points,
		"text": _("Contacted within the last {0} days").format(days),
	}


def history() -> dict[tuple[str, str], tuple[int, int]]:
	"""(source, territory) → (decided, converted) over the company's decided leads."""
	sl = frappe.qb.DocType("Sales Lead")
	converted = Sum(frappe.qb.terms.Case().when(sl.status == "Converted", 1).else_(0))
	rows = (
		frappe.qb.from_(sl)
		.select(sl.source, sl.territory, Count("*").as_("decided"), converted.as_("converted"))
		.where(sl.status.isin(DECIDED))
		.groupby(sl.source, sl.territory)
		.run(as_dict=True)
	)
	return {(r.source or "", r.territory or ""): (cint(r.decided), cint(r.converted)) for r in rows}


def _history(doc, cfg) -> dict | None:
	groups = history()
	total = sum(d for d, _c in groups.values())
	if total < cfg.lead_score_min_history:
		return None
	source, territory = doc.source or "", doc.territory or ""
	decided, converted = groups.get((source, territory), (0, 0))
	if decided >= cfg.lead_score_min_history:
		basis = _("{0} of {1} decided leads from {2} in {3} converted").format(
			converted, decided, _(source) or _("no source"), territory or _("no territory")
		)
	else:
		decided = sum(d for (s, _t), (d, _c) in groups.items() if s == source)
		converted = sum(c for (s, _t), (_d, c) in groups.items() if s == source)
		if decided >= cfg.lead_score_min_history:
			basis = _("{0} of {1} decided leads from {2} converted").format(
				converted, decided, _(source) or _("no source")
			)
		else:
			decided, converted = total, sum(c for _d, c in groups.values())
			basis = _("{0} of the company's {1} decided leads converted").format(converted, decided)
	rate = converted / decided
	return {
		"rule": "history",
		"points": round(rate * cfg.lead_score_history_points),
		"text": _("Conversion history: {0} ({1}%)").format(basis, round(rate * 100)),
	}
