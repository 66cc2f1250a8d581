// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
// "Show": the forecast by expected-close month, or (K7) the pipeline's trend over the daily
// snapshots; each view shows only the filters that apply to it.
const FORECAST_ONLY = 'eval:doc.show != "Trend"';
const TREND_ONLY = 'eval:doc.show == "Trend"';
const only = (condition, filter) => Object.assign(filter, { depends_on: condition });

frappe.query_reports["Sales Forecast"] = {
	filters: [
		sales_process.report_filters.select(
			"show",
			__("Show"),
			[
				["Forecast", __("Forecast")],
				["Trend", __("Trend")],
			],
			true
		),
		sales_process.report_filters.company(),
		...sales_process.report_filters
			.dates({
				from: frappe.datetime.month_start(),
				to: frappe.datetime.add_days(
					frappe.datetime.add_months(frappe.datetime.month_start(), 6),
					-1
				),
				from_label: __("Expected Close From"),
				to_label: __("Expected Close To"),
				reqd: true,
			})
			.map((filter) => only(FORECAST_ONLY, filter)),
		only(TREND_ONLY, {
			fieldname: "trend_from",
			label: __("Trend From"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -89),
		}),
		only(TREND_ONLY, {
			fieldname: "trend_to",
			label: __("Trend To"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
		}),
		only(
			FORECAST_ONLY,
			sales_process.report_filters.select(
				"group_by",
				__("Group By"),
				[
					["Sales Person", __("Sales Person")],
					["Territory", __("Territory")],
				],
				true
			)
		),
		sales_process.report_filters.sales_person(),
		only(FORECAST_ONLY, sales_process.report_filters.link("territory", __("Territory"), "Territory")),
		only(FORECAST_ONLY, {
			fieldname: "calibrated",
			label: __("Calibrate Probabilities from History"),
			fieldtype: "Check",
			default: 0,
		}),
	],
};
