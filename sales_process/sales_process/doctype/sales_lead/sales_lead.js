// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// The lead form's process actions (G5, G7). The holder, the pool and the status are set by the
// server only: each button calls a POST method of sales_process.api.lead, which checks the
// caller's permission and refuses with a clear message (another person claimed it a moment ago,
// the hold limit, the cool-down, a duplicate…).
frappe.provide("sales_process.sales_lead");

Object.assign(sales_process.sales_lead, {
	API: "sales_process.api.lead.",
	OPEN: ["New", "Contacted", "Qualified"],

	call(frm, method, args, done) {
		frappe.call({
			method: sales_process.sales_lead.API + method,
			type: "POST",
			args: Object.assign({ name: frm.doc.name }, args || {}),
			freeze: true,
			callback: (r) => {
				if (r.exc) return;
				if (done) done(r.message);
				frm.reload_doc();
			},
		});
	},

	ask_reason(frm, title, method, done_message) {
		const me = sales_process.sales_lead;
		const dialog = new frappe.ui.Dialog({
			title: title,
			fields: [{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 }],
			primary_action_label: title,
			primary_action: (values) => {
				dialog.hide();
				me.call(frm, method, { reason: values.reason }, () =>
					frappe.show_alert({ message: done_message, indicator: "green" })
				);
			},
		});
		dialog.show();
	},

	assign(frm) {
		const me = sales_process.sales_lead;
		const dialog = new frappe.ui.Dialog({
			title: __("Assign Lead"),
			fields: [
				{
					fieldname: "sales_person",
					fieldtype: "Link",
					options: "Sales Person",
					label: __("Sales Person"),
					reqd: 1,
					get_query: () => ({ filters: { enabled: 1, is_group: 0 } }),
				},
				{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
			],
			primary_action_label: __("Assign", null, "Sales Lead"),
			primary_action: (values) => {
				dialog.hide();
				me.call(frm, "assign_lead", values, () =>
					frappe.show_alert({
						message: __("Lead assigned to {0}", [sales_process.esc(values.sales_person)]),
						indicator: "green",
					})
				);
			},
		});
		dialog.show();
	},

	convert(frm) {
		const me = sales_process.sales_lead;
		const dialog = new frappe.ui.Dialog({
			title: __("Convert to Customer and Opportunity"),
			fields: [
				{
					fieldname: "intro",
					fieldtype: "HTML",
					options: `<div class="text-muted">${sales_process.esc(
						__(
							"The lead becomes a customer (linked if the company is one already), a contact and an opportunity in the first stage, held by {0}.",
							[frm.doc.sales_person]
						)
					)}</div>`,
				},
				{ fieldname: "amount", fieldtype: "Currency", label: __("Expected Amount") },
				{ fieldname: "expected_close_date", fieldtype: "Date", label: __("Expected Close Date") },
			],
			primary_action_label: __("Convert", null, "Sales Lead"),
			primary_action: (values) => {
				dialog.hide();
				me.call(frm, "convert_lead", values, (result) => {
					frappe.show_alert({
						message: __("Converted: opportunity {0} for customer {1}", [
							sales_process.esc(result.opportunity),
							sales_process.esc(result.customer),
						]),
						indicator: "green",
					});
				});
			},
		});
		dialog.show();
	},

	headline(frm) {
		const doc = frm.doc;
		const link = (doctype, name) =>
			`<a href="${sales_process.esc(frappe.utils.get_form_link(doctype, name))}">${sales_process.esc(
				name
			)}</a>`;
		if (doc.status === "Converted") {
			frm.dashboard.set_headline(
				__("Converted into customer {0} and opportunity {1}. The lead is read-only.", [
					link("Customer", doc.customer),
					link("Sales Opportunity", doc.opportunity),
				]),
				"green"
			);
		} else if (doc.status === "Disqualified") {
			frm.dashboard.set_headline(sales_process.esc(__("This lead was disqualified.")), "gray");
		} else if (!doc.sales_person) {
			frm.dashboard.set_headline(
				sales_process.esc(
					__("This lead is in pool {0}: claim it to work on it.", [__(doc.pool || "")])
				),
				"blue"
			);
		}
	},
});

frappe.ui.form.on("Sales Lead", {
	refresh(frm) {
		const me = sales_process.sales_lead;
		if (frm.is_new()) return;
		me.headline(frm);
		if (!me.OPEN.includes(frm.doc.status)) {
			frm.disable_form();
			return;
		}
		const actions = __("Actions");
		if (!frm.doc.sales_person) {
			frm.add_custom_button(__("Claim", null, "Sales Lead"), () =>
				me.call(frm, "claim_lead", {}, () =>
					frappe.show_alert({
						message: __("Lead {0} is yours now", [frm.doc.name]),
						indicator: "green",
					})
				)
			).addClass("btn-primary");
		} else {
			frm.add_custom_button(__("Convert", null, "Sales Lead"), () => me.convert(frm)).addClass(
				"btn-primary"
			);
			frm.add_custom_button(
				__("Release to Pool"),
				() => me.ask_reason(frm, __("Release to Pool"), "release_lead", __("Released to the pool")),
				actions
			);
		}
		frm.add_custom_button(__("Assign", null, "Sales Lead"), () => me.assign(frm), actions);
		frm.add_custom_button(
			__("Disqualify", null, "Sales Lead"),
			() => me.ask_reason(frm, __("Disqualify", null, "Sales Lead"), "disqualify_lead", __("Disqualified", null, "Sales Lead")),
			actions
		);
	},
});
