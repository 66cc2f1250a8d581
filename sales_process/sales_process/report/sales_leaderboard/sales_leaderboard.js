// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

frappe.query_reports["Sales Leaderboard"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.month_start(),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "rank_by",
			label: __("Rank By"),
			fieldtype: "Select",
			options: [
				{ value: "Effective Score", label: __("Effective Score") },
				{ value: "Minutes", label: __("Minutes") },
				{ value: "Won Amount", label: __("Won Amount") },
			],
			default: "Effective Score",
			reqd: 1,
		},
	],
};
