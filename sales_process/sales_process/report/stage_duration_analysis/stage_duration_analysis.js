// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Stage Duration Analysis"] = {
	filters: sales_process.report_filters.pipeline(),
};
