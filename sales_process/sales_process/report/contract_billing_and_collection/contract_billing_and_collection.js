// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

frappe.query_reports["Contract Billing and Collection"] = {
	filters: [
		{
			fieldname: "customer",
			label: __("Customer"),
			fieldtype: "Link",
			options: "Customer",
		},
		{
			fieldname: "sales_person",
			label: __("Sales Person (with Team)"),
			fieldtype: "Link",
			options: "Sales Person",
		},
		{
			fieldname: "status",
			label: __("Contract Status"),
			fieldtype: "Select",
			options: [
				{ value: "", label: "" },
				{ value: "Unsigned", label: __("Unsigned", null, "Contract") },
				{ value: "Active", label: __("Active", null, "Contract") },
				{ value: "Inactive", label: __("Inactive", null, "Contract") },
			],
		},
		{
			fieldname: "from_date",
			label: __("Contract Start From"),
			fieldtype: "Date",
		},
		{
			fieldname: "to_date",
			label: __("Contract Start To"),
			fieldtype: "Date",
		},
		{
			fieldname: "only_overdue",
			label: __("Only Contracts with Overdue Payments"),
			fieldtype: "Check",
			default: 0,
		},
	],
};
