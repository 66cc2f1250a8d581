// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Sales Leaderboard"] = {
	filters: [
		...sales_process.report_filters.dates({
			from: frappe.datetime.month_start(),
			to: frappe.datetime.get_today(),
			reqd: true,
		}),
		sales_process.report_filters.select(
			"rank_by",
			__("Rank By"),
			[
				["Effective Score", __("Effective Score")],
				["Minutes", __("Minutes")],
				["Won Amount", __("Won Amount")],
			],
			true
		),
	],
};
