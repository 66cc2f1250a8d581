// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Lead Pool Statistics"] = {
	filters: [
		...sales_process.report_filters.dates({
			from: frappe.datetime.add_months(frappe.datetime.get_today(), -1),
			to: frappe.datetime.get_today(),
		}),
		sales_process.report_filters.select("view", __("View"), [
			["Sales Person", __("Per Sales Person")],
			["Pool", __("Per Lead Pool")],
		]),
		sales_process.report_filters.link("pool", __("Lead Pool"), "Sales Lead Pool"),
		sales_process.report_filters.link("source", __("Source", null, "Sales Lead"), "Sales Lead Source"),
		sales_process.report_filters.link("territory", __("Territory"), "Territory"),
		sales_process.report_filters.sales_person(),
	],
};
