// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Lead Source Analysis"] = {
	filters: [
		...sales_process.report_filters.dates({
			from: frappe.datetime.add_months(frappe.datetime.get_today(), -6),
			to: frappe.datetime.get_today(),
			from_label: __("Created From"),
			to_label: __("Created To"),
		}),
		sales_process.report_filters.select("group_by", __("Group By"), [
			["Source, Territory and Month", __("Source, Territory and Month")],
			["Source", __("Source", null, "Sales Lead")],
			["Territory", __("Territory")],
			["Month", __("Month")],
		]),
		sales_process.report_filters.link("source", __("Source", null, "Sales Lead"), "Sales Lead Source"),
		sales_process.report_filters.link("territory", __("Territory"), "Territory"),
		sales_process.report_filters.sales_person(),
		sales_process.report_filters.link("pool", __("Lead Pool"), "Sales Lead Pool"),
	],
};
