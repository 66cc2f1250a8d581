// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Trial Period Comparison"] = {
	filters: [
		sales_process.report_filters.sales_person(__("Sales Person"), true),
		{
			fieldname: "as_of",
			label: __("As Of"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
		},
		sales_process.report_filters.select("chart_on", __("Chart"), [
			["Minutes", __("Minutes")],
			["Effective Score", __("Effective Score")],
		]),
	],
};
