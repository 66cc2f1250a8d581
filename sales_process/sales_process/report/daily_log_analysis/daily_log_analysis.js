// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Daily Log Analysis"] = {
	filters: [
		...sales_process.report_filters.last_days(30),
		sales_process.report_filters.select(
			"period",
			__("Period"),
			[
				["Daily", __("Daily")],
				["Monthly", __("Monthly")],
			],
			true
		),
		sales_process.report_filters.select(
			"group_by",
			__("Group By"),
			[
				["Sales Person", __("Sales Person")],
				["Team", __("Team")],
			],
			true
		),
		sales_process.report_filters.sales_person(),
		sales_process.report_filters.select("chart_on", __("Chart"), [
			["Minutes", __("Minutes (Diligence)")],
			["Effective Score", __("Effective Score (Ability)")],
		]),
	],
};
