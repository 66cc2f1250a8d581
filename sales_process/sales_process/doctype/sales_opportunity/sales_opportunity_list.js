// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

frappe.listview_settings["Sales Opportunity"] = {
	add_fields: ["stage_due_at", "status", "lost_requested", "probability"],

	get_indicator(doc) {
		if (doc.status === "Won") {
			return [__("Won", null, "Sales Opportunity"), "green", "status,=,Won"];
		}
		if (doc.status === "Lost") {
			return [__("Lost", null, "Sales Opportunity"), "red", "status,=,Lost"];
		}
		if (cint(doc.lost_requested)) {
			return [__("Lost Requested"), "orange", "status,=,Open|lost_requested,=,1"];
		}
		if (doc.stage_due_at) {
			// stage_due_at is stored in the system time zone: compare with "now" there
			const now = moment(frappe.datetime.system_datetime());
			const due = moment(doc.stage_due_at);
			// filter values are plain system-time strings, whatever the user's locale
			const stamp = (m) => m.clone().locale("en").format(frappe.defaultDatetimeFormat);
			if (due.isBefore(now)) {
				return [
					__("Overdue"),
					"red",
					`status,=,Open|lost_requested,=,0|stage_due_at,<,${stamp(now)}`,
				];
			}
			const soon = now.clone().add(2, "days");
			if (!due.isAfter(soon)) {
				return [
					__("Due Soon"),
					"orange",
					`status,=,Open|lost_requested,=,0|stage_due_at,<=,${stamp(soon)}`,
				];
			}
		}
		return [__("Open", null, "Sales Opportunity"), "blue", "status,=,Open"];
	},
};
