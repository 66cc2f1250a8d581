"""The one accessor of Sales Process Settings: every policy and threshold, typed, with its default.

Callers read `get_settings().<name>`; nobody else reads the single doctype. The values come from
the database on every call (one small query): a report reflects a change made a moment ago and
a test's rolled-back change leaves nothing behind in a cache.

A default applies where the stored value is empty — and, for a threshold whose 0 would flag
everything or nothing ("not configured"), where it is 0 too. Options whose 0 is meaningful
(e.g. `bulk_entry_after_hour`, `confiscation_grace_hours`) keep a stored 0.
"""

import frappe
from frappe.utils import cint, flt

DOCTYPE = "Sales Process Settings"

# name → (kind, default, zero_means_default)
FIELDS: dict[str, tuple[str, object, bool]] = {
	# deadlines (D2, D3)
	"reminder_days_before": ("int", 2, False),
	"confiscation_grace_hours": ("int", 0, False),
	"restart_deadline_on_confiscation": ("check", 1, False),
	"confiscation_pool": ("str", None, False),
	# lost requests (K3): escalated, and no longer a shield against confiscation, after this many days
	"lost_request_escalation_days": ("int", 3, True),
	# daily logs (L3)
	"backdate_window_days": ("int", 3, False),
	"max_minutes_per_day": ("int", 1440, True),
	# the minimum daily standard (K6); 0 switches that half off
	"min_daily_minutes": ("int", 240, False),
	"min_daily_effective_score": ("float", 6.0, False),
	# visibility (L6, A3) and care (W1, C2)
	"leaderboard_visibility": ("str", "Company", False),
	"help_alert_scope": ("str", "Company", False),
	"experience_visibility": ("str", "Company", False),
	"celebration_window_days": ("int", 3, False),
	# false-report rules and early warning (L5, L7)
	"stagnant_days": ("int", 30, True),
	"repeated_note_count": ("int", 3, True),
	"implausible_minutes": ("int", 480, True),
	"bulk_entry_count": ("int", 6, True),
	"bulk_entry_window_minutes": ("int", 15, True),
	"bulk_entry_after_hour": ("int", 18, False),
	"decline_threshold_percent": ("int", 40, True),
	"trial_period_days": ("int", 90, True),
	# silence (K9): an open opportunity without a daily log for this many days
	"silence_days": ("int", 7, True),
	# visit check-in (F2): flag a visit without one, and one farther than this from the customer
	"flag_visit_without_check_in": ("check", 1, False),
	"check_in_max_distance_m": ("int", 500, True),
	# leads and the pool (G4, G5, G2, G6)
	"lead_hold_limit": ("int", 50, True),
	"lead_cooldown_days": ("int", 7, False),
	"lead_follow_up_days": ("int", 14, True),
	"default_lead_pool": ("str", None, False),
	"lead_pool_by_territory": ("check", 1, False),
	"lead_web_form_rate_limit": ("int", 10, True),
	"lead_score_min_history": ("int", 30, True),
	# lead score rules (G6); 0 switches a rule off
	"lead_score_field_points": ("int", 5, False),
	"lead_score_contact_points": ("int", 20, False),
	"lead_score_history_points": ("int", 50, False),
}


def _typed(kind: str, raw, default, zero_means_default: bool):
	if raw in (None, ""):
		return default
	if kind in ("int", "check"):
		value = cint(raw)
		return default if zero_means_default and value == 0 else value
	if kind == "float":
		value = flt(raw)
		return default if zero_means_default and value == 0 else value
	return raw


def get_settings() -> frappe._dict:
	"""Every setting, typed and defaulted."""
	raw = frappe.db.get_singles_dict(DOCTYPE)
	return frappe._dict(
		{name: _typed(kind, raw.get(name), default, zero) for name, (kind, default, zero) in FIELDS.items()}
	)


def get(name: str):
	"""One setting (typed and defaulted), read like `get_settings()` reads it: not through
	frappe.db.get_single_value, which turns a missing Int into 0 and caches for the request."""
	kind, default, zero = FIELDS[name]
	singles = frappe.qb.DocType("Singles")
	row = (
		frappe.qb.from_(singles)
		.select(singles.value)
		.where((singles.doctype == DOCTYPE) & (singles.field == name))
		.run()
	)
	return _typed(kind, row[0][0] if row else None, default, zero)


def store_defaults():
	"""Store the doctype's default of every field that has no stored value yet: on install, and on
	migrate for fields added by a newer version (the form shows what the accessor reads)."""
	stored = frappe.db.get_singles_dict(DOCTYPE)
	missing = {
		df.fieldname: df.default
		for df in frappe.get_meta(DOCTYPE).fields
		if df.default is not None and df.fieldname not in stored
	}
	if missing:
		frappe.db.set_single_value(DOCTYPE, missing)
	frappe.clear_document_cache(DOCTYPE, DOCTYPE)
