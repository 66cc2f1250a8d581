// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

frappe.query_reports["Daily Log Analysis"] = {
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
			fieldname: "period",
			label: __("Period"),
			fieldtype: "Select",
			options: [
				{ value: "Daily", label: __("Daily") },
				{ value: "Monthly", label: __("Monthly") },
			],
			default: "Daily",
			reqd: 1,
		},
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: [
				{ value: "Sales Person", label: __("Sales Person") },
				{ value: "Team", label: __("Team") },
			],
			default: "Sales Person",
			reqd: 1,
		},
		{
			fieldname: "sales_person",
			label: __("Sales Person (with Team)"),
			fieldtype: "Link",
			options: "Sales Person",
		},
		{
			fieldname: "chart_on",
			label: __("Chart"),
			fieldtype: "Select",
			options: [
				{ value: "Minutes", label: __("Minutes (Diligence)") },
				{ value: "Effective Score", label: __("Effective Score (Ability)") },
			],
			default: "Minutes",
		},
	],
};
