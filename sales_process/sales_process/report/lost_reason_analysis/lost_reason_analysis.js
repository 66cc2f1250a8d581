// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Lost Reason Analysis"] = {
	filters: [
		sales_process.report_filters.company(),
		...sales_process.report_filters.dates({
			from: frappe.datetime.add_months(frappe.datetime.get_today(), -3),
			to: frappe.datetime.get_today(),
			from_label: __("Lost From"),
			to_label: __("Lost To"),
		}),
		sales_process.report_filters.select("group_by", __("Group By"), [
			["Reason", __("Lost Reason")],
			["Stage Lost At", __("Stage Lost At")],
			["Sales Person", __("Sales Person")],
		]),
		sales_process.report_filters.sales_person(),
		sales_process.report_filters.link("lost_reason", __("Lost Reason"), "Sales Lost Reason"),
		sales_process.report_filters.link("stage_lost_at", __("Stage Lost At"), "Sales Process Stage"),
		sales_process.report_filters.select("chart_on", __("Chart"), [
			["Amount", __("Lost Amount")],
			["Count", __("Lost Opportunities")],
		]),
	],
};
