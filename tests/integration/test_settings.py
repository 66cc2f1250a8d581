"""The one accessor of Sales Process Settings (sales_process.domain.settings) against the real single."""

import pytest

import frappe
from frappe.model import no_value_fields

from sales_process.domain import settings

DOCTYPE = "Sales Process Settings"
# thresholds whose 0 would flag every entry or none ("not configured"): the default applies
ZERO_MEANS_DEFAULT = {
	"max_minutes_per_day": 1440,
	"stagnant_days": 30,
	"repeated_note_count": 3,
	"implausible_minutes": 480,
	"bulk_entry_count": 6,
	"bulk_entry_window_minutes": 15,
	"decline_threshold_percent": 40,
	"trial_period_days": 90,
}
# options whose 0 is a choice: no reminder ahead, no grace, today only, any hour, …
MEANINGFUL_ZERO = (
	"reminder_days_before",
	"confiscation_grace_hours",
	"restart_deadline_on_confiscation",
	"backdate_window_days",
	"celebration_window_days",
	"bulk_entry_after_hour",
)


def _store(values: dict):
	frappe.db.set_single_value(DOCTYPE, values)


def test_every_field_of_the_doctype_is_in_the_accessor_with_the_doctype_default():
	meta = frappe.get_meta(DOCTYPE)
	fields = {df.fieldname: df for df in meta.fields if df.fieldtype not in no_value_fields}
	assert set(fields) == set(settings.FIELDS)
	for name, (kind, default, _zero) in settings.FIELDS.items():
		df = fields[name]
		stored = df.default if df.default is None or kind == "str" else int(df.default)
		assert default == stored, name


def test_nothing_stored_reads_every_default():
	frappe.db.delete("Singles", {"doctype": DOCTYPE})
	values = settings.get_settings()
	for name, (_kind, default, _zero) in settings.FIELDS.items():
		assert values[name] == default, name
		assert settings.get(name) == default, name
	assert values.leaderboard_visibility == "Company"
	assert values.bulk_entry_after_hour == 18


def test_an_empty_stored_value_reads_the_default():
	_store({"stagnant_days": "", "backdate_window_days": "", "help_alert_scope": ""})
	values = settings.get_settings()
	assert (values.stagnant_days, values.backdate_window_days, values.help_alert_scope) == (30, 3, "Company")
	assert settings.get("backdate_window_days") == 3


@pytest.mark.parametrize("name", sorted(ZERO_MEANS_DEFAULT))
def test_a_stored_zero_threshold_means_not_configured(name):
	_store({name: 0})
	assert settings.get_settings()[name] == ZERO_MEANS_DEFAULT[name]
	assert settings.get(name) == ZERO_MEANS_DEFAULT[name]


@pytest.mark.parametrize("name", MEANINGFUL_ZERO)
def test_a_stored_zero_option_is_kept(name):
	_store({name: 0})
	assert settings.get_settings()[name] == 0
	assert settings.get(name) == 0


def test_stored_values_are_typed():
	_store({"stagnant_days": "45", "bulk_entry_after_hour": 20, "help_alert_scope": "Hierarchy"})
	values = settings.get_settings()
	assert values.stagnant_days == 45 and isinstance(values.stagnant_days, int)
	assert values.bulk_entry_after_hour == 20
	assert values.help_alert_scope == "Hierarchy"


def test_a_change_is_read_at_once_without_a_cache():
	assert settings.get("decline_threshold_percent") == settings.get_settings().decline_threshold_percent
	_store({"decline_threshold_percent": 70})
	assert settings.get("decline_threshold_percent") == 70
	_store({"decline_threshold_percent": 55})
	assert settings.get_settings().decline_threshold_percent == 55
	assert settings.get("decline_threshold_percent") == 55


def test_store_defaults_fills_only_what_is_missing():
	frappe.db.delete(
		"Singles", {"doctype": DOCTYPE, "field": ("in", ["stagnant_days", "celebration_window_days"])}
	)
	_store({"trial_period_days": 120})
	settings.store_defaults()
	stored = frappe.db.get_singles_dict(DOCTYPE)
	assert int(stored.stagnant_days) == 30
	assert int(stored.celebration_window_days) == 3
	assert int(stored.trial_period_days) == 120
