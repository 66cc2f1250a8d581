// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Sales Forecast"] = {
	filters: [
		sales_process.report_filters.company(),
		...sales_process.report_filters.dates({
			from: frappe.datetime.month_start(),
			to: frappe.datetime.add_days(
				frappe.datetime.add_months(frappe.datetime.month_start(), 6),
				-1
			),
			from_label: __("Expected Close From"),
			to_label: __("Expected Close To"),
			reqd: true,
		}),
		sales_process.report_filters.select(
			"group_by",
			__("Group By"),
			[
				["Sales Person", __("Sales Person")],
				["Territory", __("Territory")],
			],
			true
		),
		sales_process.report_filters.sales_person(),
		sales_process.report_filters.link("territory", __("Territory"), "Territory"),
		{
			fieldname: "calibrated",
			label: __("Calibrate Probabilities from History"),
			fieldtype: "Check",
			default: 0,
		},
	],
};
