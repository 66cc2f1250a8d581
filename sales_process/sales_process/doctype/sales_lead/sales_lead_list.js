// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// The leads list (G8): an indicator per status, open leads without a holder marked as in the pool.
// The status is set by the process only (claim, release, a daily log, convert, disqualify): the
// Kanban board "Sales Leads" shows the statuses as columns, and the server refuses a card dragged to
// another column (the card goes back).
frappe.listview_settings["Sales Lead"] = {
	add_fields: ["status", "sales_person", "score"],
	hide_name_column: true,

	get_indicator(doc) {
		const open = ["New", "Contacted", "Qualified"];
		if (open.includes(doc.status) && !doc.sales_person) {
			return [__("In Pool"), "cyan", `status,in,${open.join(",")}|sales_person,is,not set`];
		}
		const colors = {
			New: "blue",
			Contacted: "orange",
			Qualified: "purple",
			Converted: "green",
			Disqualified: "gray",
		};
		return [__(doc.status, null, "Sales Lead"), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},

	onload(listview) {
		listview.page.add_inner_button(__("Lead Pool Statistics"), () =>
			frappe.set_route("query-report", "Lead Pool Statistics")
		);
		listview.page.add_inner_button(__("Lead Source Analysis"), () =>
			frappe.set_route("query-report", "Lead Source Analysis")
		);
	},
};
