// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// Shared desk helpers of the app, loaded on every desk page (hooks.app_include_js): the stage-due
// wording used by the opportunity form, the Opportunity Board and the Sales Workbench.

frappe.provide("sales_process");

// "Due in 3 days" / "Overdue by 2 hours": minutes to the stage deadline, negative once it passed
sales_process.relative_due = function (minutes) {
	const abs = Math.abs(minutes);
	const days = Math.floor(abs / 1440);
	const hours = Math.floor(abs / 60);
	if (minutes >= 0) {
		if (days > 1) return __("Due in {0} days", [days]);
		if (days === 1) return __("Due in 1 day");
		if (hours > 1) return __("Due in {0} hours", [hours]);
		if (hours === 1) return __("Due in 1 hour");
		return __("Due in less than an hour");
	}
	if (days > 1) return __("Overdue by {0} days", [days]);
	if (days === 1) return __("Overdue by 1 day");
	if (hours > 1) return __("Overdue by {0} hours", [hours]);
	if (hours === 1) return __("Overdue by 1 hour");
	return __("Overdue by less than an hour");
};
