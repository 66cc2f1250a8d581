frappe.query_reports["Help Alert Statistics"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -3),
			reqd: 1,
		},
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", default: frappe.datetime.get_today(), reqd: 1 },
		{
			fieldname: "view",
			label: __("View"),
			fieldtype: "Select",
			options: ["Statistics", "Helper Ranking"],
			default: "Statistics",
		},
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: ["Reason", "Stage", "Sales Person", "Team"],
			default: "Reason",
			depends_on: "eval:doc.view != 'Helper Ranking'",
		},
	],
};
