// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// filter builders: sales_process.report_filters (public/js/sales_process.js)
frappe.query_reports["Contract Billing and Collection"] = {
	filters: [
		sales_process.report_filters.link("customer", __("Customer"), "Customer"),
		sales_process.report_filters.sales_person(),
		sales_process.report_filters.select("status", __("Contract Status"), [
			["", ""],
			["Unsigned", __("Unsigned", null, "Contract")],
			["Active", __("Active", null, "Contract")],
			["Inactive", __("Inactive", null, "Contract")],
		]),
		...sales_process.report_filters.dates({
			from_label: __("Contract Start From"),
			to_label: __("Contract Start To"),
		}),
		{
			fieldname: "only_overdue",
			label: __("Only Contracts with Overdue Payments"),
			fieldtype: "Check",
			default: 0,
		},
	],
};
