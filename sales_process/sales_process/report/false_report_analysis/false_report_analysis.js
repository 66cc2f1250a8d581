// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["False Report Analysis"] = {
	filters: [
		...sales_process.report_filters.last_days(30),
		sales_process.report_filters.select(
			"view",
			__("View"),
			[
				["Flags", __("Flags")],
				["By Sales Person", __("By Sales Person")],
				["By Stage", __("By Stage")],
				["Early Warning", __("Early Warning (14 Days to To Date)")],
			],
			true
		),
		sales_process.report_filters.sales_person(),
	],
};
