// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Manager Responsiveness"] = {
	filters: [
		sales_process.report_filters.company(),
		...sales_process.report_filters.dates({
			from: frappe.datetime.add_months(frappe.datetime.get_today(), -3),
			to: frappe.datetime.get_today(),
			from_label: __("Received From"),
			to_label: __("Received To"),
		}),
		sales_process.report_filters.sales_person(__("Superior (with Team)")),
	],
};
