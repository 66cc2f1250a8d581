// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

frappe.query_reports["False Report Analysis"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -29),
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
			fieldname: "view",
			label: __("View"),
			fieldtype: "Select",
			options: [
				{ value: "Flags", label: __("Flags") },
				{ value: "By Sales Person", label: __("By Sales Person") },
				{ value: "By Stage", label: __("By Stage") },
				{ value: "Early Warning", label: __("Early Warning (14 Days to To Date)") },
			],
			default: "Flags",
			reqd: 1,
		},
		{
			fieldname: "sales_person",
			label: __("Sales Person (with Team)"),
			fieldtype: "Link",
			options: "Sales Person",
		},
	],
};
