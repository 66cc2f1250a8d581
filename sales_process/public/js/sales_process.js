// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// Shared desk helpers of the app, loaded on every desk page (hooks.app_include_js), the query report
// page included: the stage-due wording, HTML escaping, the exit-criteria dialog and the report
// filters used by the opportunity form, the pages and the reports.

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

// HTML-escape a value for a template; unlike frappe.utils.escape_html, which returns "" for every
// falsy value, 0 and false are shown
sales_process.esc = function (value) {
	return frappe.utils.escape_html(value === null || value === undefined ? "" : String(value));
};

// stage names are translated data
sales_process.stage_label = function (stage) {
	return sales_process.esc(__(stage));
};

// The exit-criteria dialog of an advance (O4), shared by the opportunity form and the Opportunity
// Board: one answer per criterion of the current stage, the mandatory ones required; the answers
// become the evidence, keyed by criterion. A stage without criteria asks `confirm_message` instead.
// `submit(evidence, dialog)` sends the advance (no dialog after the plain confirmation); `intro` is
// optional HTML above the answers.
sales_process.advance_dialog = function ({ target, criteria, confirm_message, intro, submit }) {
	if (!criteria.length) {
		frappe.confirm(confirm_message, () => submit({}));
		return;
	}

	const fields = criteria.map((c, i) => ({
		fieldname: `criterion_${i}`,
		fieldtype: "Small Text",
		label: sales_process.esc(__(c.criterion)),
		reqd: c.mandatory ? 1 : 0,
		description: c.hint ? sales_process.esc(__(c.hint)) : "",
	}));
	if (intro) {
		fields.unshift({
			fieldname: "intro",
			fieldtype: "HTML",
			options: `<div class="text-muted" style="margin-bottom: var(--margin-sm)">${intro}</div>`,
		});
	}

	const dialog = new frappe.ui.Dialog({
		title: __("Advance to {0}", [sales_process.stage_label(target)]),
		fields: fields,
		primary_action_label: __("Advance"),
		primary_action: (values) => {
			const evidence = {};
			criteria.forEach((c, i) => {
				const answer = (values[`criterion_${i}`] || "").trim();
				if (answer) evidence[c.criterion] = answer;
			});
			submit(evidence, dialog);
		},
	});
	dialog.show();
};

// Filters the query reports share (each report's .js lists its own from these). Every call returns
// new objects: the query report page keeps state in them.
sales_process.report_filters = {
	company() {
		return {
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
		};
	},

	// from_date and to_date; `from` / `to` are their defaults, the labels default to From/To Date
	dates({ from, to, from_label, to_label, reqd } = {}) {
		const date = (fieldname, label, value) =>
			Object.assign(
				{ fieldname: fieldname, label: label, fieldtype: "Date" },
				value === undefined ? {} : { default: value },
				reqd ? { reqd: 1 } : {}
			);
		return [
			date("from_date", from_label || __("From Date"), from),
			date("to_date", to_label || __("To Date"), to),
		];
	},

	// the last `days` days up to today, both dates required
	last_days(days) {
		const today = frappe.datetime.get_today();
		return sales_process.report_filters.dates({
			from: frappe.datetime.add_days(today, 1 - days),
			to: today,
			reqd: 1,
		});
	},

	// the reports include the Sales Person's whole team (its subtree)
	sales_person(label, reqd) {
		return Object.assign(
			{
				fieldname: "sales_person",
				label: label || __("Sales Person (with Team)"),
				fieldtype: "Link",
				options: "Sales Person",
			},
			reqd ? { reqd: 1 } : {}
		);
	},

	link(fieldname, label, doctype) {
		return { fieldname: fieldname, label: label, fieldtype: "Link", options: doctype };
	},

	// the pipeline reports' filters: company, creation dates, owner (with team), territory, customer
	// group
	pipeline() {
		const rf = sales_process.report_filters;
		return [
			rf.company(),
			...rf.dates({ from_label: __("Created From"), to_label: __("Created To") }),
			rf.sales_person(),
			rf.link("territory", __("Territory"), "Territory"),
			rf.link("customer_group", __("Customer Group"), "Customer Group"),
		];
	},

	// a Select of [value, label] pairs, the first one the default unless it is the empty choice
	select(fieldname, label, choices, reqd) {
		return Object.assign(
			{
				fieldname: fieldname,
				label: label,
				fieldtype: "Select",
				options: choices.map(([value, text]) => ({ value: value, label: text })),
			},
			choices[0][0] ? { default: choices[0][0] } : {},
			reqd ? { reqd: 1 } : {}
		);
	},
};
