// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Help Alert Statistics"] = {
	filters: [
		...sales_process.report_filters.dates({
			from: frappe.datetime.add_months(frappe.datetime.get_today(), -3),
			to: frappe.datetime.get_today(),
			reqd: true,
		}),
		{
			fieldname: "view",
			label: __("View"),
			fieldtype: "Select",
			options: ["Statistics", "Helper Ranking"],
			default: "Statistics",
		},
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: ["Reason", "Stage", "Sales Person", "Team"],
			default: "Reason",
			depends_on: "eval:doc.view != 'Helper Ranking'",
		},
	],
};
