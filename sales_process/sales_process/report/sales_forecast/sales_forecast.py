# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Sales Forecast (R2): the weighted open pipeline by expected-close month and owner or territory,
split into Commit / Best Case / Pipeline, with the month's won amount (Closed) and the ERPNext
targets; optionally with stage probabilities calibrated from the company's own history. The numbers
come from sales_process.reports.pipeline.

"Show: Trend" (K7) turns it into the pipeline's history instead: one row per day of the daily
snapshots in the trend period, the weighted and open pipeline as lines, and the change since the
period's first day in the summary. The expected-close filters do not apply to it (a snapshot keeps
no close months), company and sales person (with team) do."""

import frappe
from frappe import _
from frappe.utils import escape_html, flt, format_date

from sales_process.reports import pipeline


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	if filters.show == "Trend":
		return trend(filters)
	result = pipeline.forecast(filters)
	return (
		columns(result.group_by),
		result.rows,
		probability_note(result),
		pipeline.forecast_chart(result),
		summary(result.rows),
	)


def probability_note(result) -> str:
	"""Which probability each stage was weighted with, so the numbers can be checked."""
	parts = []
	for stage, probability in result.probabilities.items():
		text = _("{0}: {1}%").format(escape_html(_(stage)), percent(probability))
		if result.calibrated:
			text += " " + _("(configured {0}%, {1} closed)").format(
				percent(result.configured[stage]), result.samples.get(stage, 0)
			)
		parts.append(text)
	if result.calibrated:
		intro = _(
			"Probabilities calibrated from the win rate of closed opportunities per stage (configured probability kept below {0} closed):"
		).format(pipeline.CALIBRATION_MIN_SAMPLES)
	else:
		intro = _("Probabilities of the stages:")
	return f"<p>{intro} {'; '.join(parts)}</p>"


def percent(value) -> str:
	"""36.36 rather than 36.3600, 60 rather than 60.0."""
	return f"{flt(value, 2):g}"


def summary(rows: list[dict]) -> list[dict]:
	def total(field):
		return flt(sum(r[field] for r in rows), 2)

	currency = rows[0]["currency"] if rows else None
	target = total("target")
	forecast = total("forecast")
	items = [
		(pipeline.category_label("commit"), total("commit"), "Green"),
		(pipeline.category_label("best_case"), total("best_case"), "Blue"),
		(pipeline.category_label("pipeline"), total("pipeline"), "Grey"),
		(pipeline.category_label("closed"), total("closed"), "Green"),
		(_("Forecast"), forecast, "Blue"),
		(_("Target"), target, "Orange"),
	]
	result = [
		{"label": label, "value": value, "datatype": "Currency", "currency": currency, "indicator": color}
		for label, value, color in items
	]
	if target:
		result.append(
			{
				"label": _("Forecast vs Target"),
				"value": flt(100 * forecast / target, 1),
				"datatype": "Percent",
				"indicator": "Green" if forecast >= target else "Red",
			}
		)
	return result


def columns(group_by: str) -> list[dict]:
	money = [
		("amount", _("Open Amount")),
		("commit", pipeline.category_label("commit")),
		("best_case", pipeline.category_label("best_case")),
		("pipeline", pipeline.category_label("pipeline")),
		("weighted", _("Weighted Pipeline")),
		("closed", pipeline.category_label("closed")),
		("forecast", _("Forecast")),
		("target", _("Target")),
		("variance", _("Variance")),
	]
	if group_by == "Territory":
		group = {"fieldname": "territory", "label": _("Territory"), "options": "Territory"}
	else:
		group = {"fieldname": "sales_person", "label": _("Sales Person"), "options": "Sales Person"}
	return [
		{"fieldname": "month", "label": _("Month"), "fieldtype": "Data", "width": 90},
		{**group, "fieldtype": "Link", "width": 170},
		{"fieldname": "opportunities", "label": _("Open Opportunities"), "fieldtype": "Int", "width": 100},
		*(
			{"fieldname": field, "label": label, "fieldtype": "Currency", "options": "currency", "width": 130}
			for field, label in money
		),
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]


def trend(filters):
	result = pipeline.trend(filters)
	return (
		trend_columns(),
		result.rows,
		trend_note(result),
		pipeline.trend_chart(result.rows),
		trend_summary(result),
		True,  # no total row: the sum of a day-by-day series means nothing
	)


def trend_note(result) -> str:
	if not result.rows:
		return "<p>{}</p>".format(
			_("No pipeline snapshot between {0} and {1}: the daily snapshot job writes one a day.").format(
				format_date(result.start), format_date(result.end)
			)
		)
	return "<p>{}</p>".format(
		_("Pipeline as the daily snapshots recorded it, {0} to {1}; changes against {0}.").format(
			format_date(result.change.first_date), format_date(result.change.last_date)
		)
	)


def trend_summary(result) -> list[dict]:
	c = result.change
	if not c:
		return []

	def money(label, value, color):
		return {
			"label": label,
			"value": value,
			"datatype": "Currency",
			"currency": result.currency,
			"indicator": color,
		}

	def change(label, value, color):
		return {"label": label, "value": value, "datatype": "Percent", "indicator": color}

	def color(value):
		return "Green" if flt(value) >= 0 else "Red"

	items = [
		money(_("Weighted Pipeline at Start"), c.weighted_start, "Grey"),
		money(_("Weighted Pipeline Now"), c.weighted_end, "Blue"),
		money(_("Weighted Change since Start"), c.weighted_change, color(c.weighted_change)),
	]
	if c.weighted_change_pct is not None:
		items.append(change(_("Weighted Change %"), c.weighted_change_pct, color(c.weighted_change)))
	items.append(money(_("Open Amount Change since Start"), c.open_change, color(c.open_change)))
	if c.open_change_pct is not None:
		items.append(change(_("Open Amount Change %"), c.open_change_pct, color(c.open_change)))
	return items


def trend_columns() -> list[dict]:
	def money(fieldname, label):
		return {
			"fieldname": fieldname,
			"label": label,
			"fieldtype": "Currency",
			"options": "currency",
			"width": 150,
		}

	return [
		{"fieldname": "snapshot_date", "label": _("Snapshot Date"), "fieldtype": "Date", "width": 110},
		{"fieldname": "open_count", "label": _("Open Opportunities"), "fieldtype": "Int", "width": 100},
		money("open_amount", _("Open Amount")),
		money("weighted_amount", _("Weighted Pipeline")),
		money("weighted_change", _("Weighted Change since Start")),
		money("open_change", _("Open Amount Change since Start")),
		money("won_amount", _("Won Amount This Month")),
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
