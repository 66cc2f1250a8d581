// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Sales Funnel"] = {
	filters: [
		...sales_process.report_filters.pipeline(),
		sales_process.report_filters.select("chart_on", __("Chart"), [
			["Amount", __("Amount and Weighted Amount")],
			["Count", __("Opportunities Entered and Now")],
		]),
	],
};
