// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// Everything lives in a namespace: a form script can be evaluated more than once per session,
// and top-level `const`/`let` declarations would then collide.
frappe.provide("sales_process.sales_opportunity");

Object.assign(sales_process.sales_opportunity, {
	API: "sales_process.api.opportunity.",
	DUE_SOON_MINUTES: 2 * 24 * 60,

	// --- stage path -------------------------------------------------------------------------

	load_stage_path(frm) {
		const me = sales_process.sales_opportunity;
		const name = frm.doc.name;
		// only the answer to the latest refresh may draw the path and add buttons
		const token = (frm.__stage_path_token = (frm.__stage_path_token || 0) + 1);

		frappe.call({
			method: me.API + "get_stage_path",
			type: "GET",
			args: { name: name },
			callback: (r) => {
				if (token !== frm.__stage_path_token || frm.doc.name !== name || !r.message) {
					return;
				}
				me.render_stage_path(frm, r.message);
				me.add_process_buttons(frm, r.message);
			},
		});
	},

	render_stage_path(frm, data) {
		const me = sales_process.sales_opportunity;
		const stages = data.stages || [];
		const current = stages.find((s) => s.state === "current");
		const closed_lost = !!(current && current.is_lost);

		const items = stages.map((stage, i) => {
			const first = i === 0;
			const last = i === stages.length - 1;
			const notch = "12px";
			const points = [
				"0 0",
				last ? "100% 0" : `calc(100% - ${notch}) 0`,
				last ? null : "100% 50%",
				last ? "100% 100%" : `calc(100% - ${notch}) 100%`,
				"0 100%",
				first ? null : `${notch} 50%`,
			].filter(Boolean);

			let bg = "var(--gray-100)";
			let color = "var(--gray-600)";
			let weight = "var(--weight-regular)";
			let mark = "";

			if (stage.state === "current") {
				weight = "var(--weight-semibold)";
				color = "var(--neutral-white)";
				bg = stage.is_won
					? "var(--green-500)"
					: stage.is_lost
					? "var(--red-500)"
					: "var(--blue-500)";
			} else if (stage.state === "done") {
				if (closed_lost) {
					// the server marks every open stage before the lost stage as passed;
					// on a lost opportunity they were not all reached, so show them muted
					bg = "var(--gray-200)";
					color = "var(--gray-600)";
				} else {
					bg = "var(--blue-100)";
					color = "var(--blue-700)";
					mark = "&#10003; ";
				}
			} else if (stage.is_won) {
				bg = "var(--green-50)";
				color = "var(--green-700)";
			} else if (stage.is_lost) {
				bg = "var(--gray-100)";
				color = "var(--gray-500)";
			}

			const title = __("{0} (probability {1}%)", [
				sales_process.stage_label(stage.name),
				sales_process.esc(stage.probability),
			]);
			const style = [
				"flex: 1 1 auto",
				"min-width: 90px",
				`margin-right: ${last ? "0" : "-8px"}`,
				`padding: 6px ${last ? "12px" : "20px"} 6px ${first ? "12px" : "20px"}`,
				`background: ${bg}`,
				`color: ${color}`,
				`font-weight: ${weight}`,
				"font-size: var(--text-sm)",
				"text-align: center",
				"white-space: nowrap",
				"overflow: hidden",
				"text-overflow: ellipsis",
				first ? "border-radius: var(--border-radius-sm) 0 0 var(--border-radius-sm)" : "",
				last ? "border-radius: 0 var(--border-radius-sm) var(--border-radius-sm) 0" : "",
				`clip-path: polygon(${points.join(", ")})`,
			]
				.filter(Boolean)
				.join("; ");

			return `<div style="${style}" title="${title}">${mark}${sales_process.stage_label(
				stage.name
			)}</div>`;
		});

		let html = `<div class="sales-opportunity-stage-path">
			<div style="display: flex; flex-wrap: wrap; row-gap: 4px; margin-bottom: var(--margin-md)">
				${items.join("")}
			</div>`;

		if (frm.doc.status === "Open" && current) {
			html += me.due_html(frm);
			html += me.criteria_html(current, data.criteria || []);
			html += me.experience_html(current, data.experience || []);
		}
		html += "</div>";

		const field = frm.get_field("stage_path");
		if (field) field.$wrapper.html(html);
	},

	// H1: a difficulty on this opportunity goes to the colleagues
	raise_alert_dialog(frm) {
		const dialog = new frappe.ui.Dialog({
			title: __("Raise Help Alert"),
			fields: [
				{ fieldname: "reason", fieldtype: "Link", options: "Help Alert Reason", label: __("Reason"), reqd: 1 },
				{ fieldname: "description", fieldtype: "Small Text", label: __("Description"), reqd: 1 },
			],
			primary_action_label: __("Raise"),
			primary_action(values) {
				frappe.call({
					method: "sales_process.api.help_alert.raise_alert",
					args: { opportunity: frm.doc.name, reason: values.reason, description: values.description },
					freeze: true,
					callback(r) {
						dialog.hide();
						frappe.show_alert({ message: __("Help alert {0} raised", [r.message]), indicator: "green" });
						frappe.set_route("Form", "Help Alert", r.message);
					},
				});
			},
		});
		dialog.show();
	},

	// E1: what the experience pool knows about the current stage
	experience_html(current, entries) {
		if (!entries.length) return "";
		const esc = sales_process.esc;
		const items = entries
			.map(
				(e) => `<li><a href="/app/experience-entry/${encodeURIComponent(e.name)}">${esc(
					e.title
				)}</a> <span class="text-muted">${esc(__(e.reason || ""))}</span></li>`
			)
			.join("");
		return `<div style="margin-top: var(--margin-md)">
			<div style="font-weight: 600; margin-bottom: 4px">${__("Experience for stage {0}", [
				esc(__(current.name)),
			])}</div>
			<ul style="padding-left: 18px; margin: 0">${items}</ul></div>`;
	},

	due_html(frm) {
		const me = sales_process.sales_opportunity;
		const due = frm.doc.stage_due_at;
		if (!due) {
			return `<div class="text-muted" style="font-size: var(--text-sm); margin-bottom: var(--margin-md)">
				${__("No time limit for this stage.")}
			</div>`;
		}

		// stage_due_at is stored in the system time zone: compare with "now" there
		const minutes = moment(due).diff(moment(frappe.datetime.system_datetime()), "minutes");
		let color = "var(--text-muted)";
		let bg = "var(--gray-100)";
		if (minutes < 0) {
			color = "var(--red-700)";
			bg = "var(--red-100)";
		} else if (minutes <= me.DUE_SOON_MINUTES) {
			color = "var(--orange-700)";
			bg = "var(--orange-100)";
		}

		const due_text = sales_process.esc(frappe.format(due, { fieldtype: "Datetime" }));
		return `<div style="font-size: var(--text-sm); margin-bottom: var(--margin-md)">
			<span>${__("Stage due at {0}", [due_text])}</span>
			<span style="display: inline-block; margin-left: var(--margin-sm); padding: 1px 8px;
				border-radius: var(--border-radius-full); background: ${bg}; color: ${color};
				font-weight: var(--weight-medium)">${sales_process.relative_due(minutes)}</span>
		</div>`;
	},


	criteria_html(current, criteria) {
		if (!criteria.length) {
			return `<div class="text-muted" style="font-size: var(--text-sm)">
				${__("Stage {0} has no exit criteria.", [sales_process.stage_label(current.name)])}
			</div>`;
		}

		const mandatory = sales_process.esc(__("Mandatory"));
		const rows = criteria.map((c) => {
			const star = c.mandatory
				? ` <span style="color: var(--red-500)" title="${mandatory}">*</span>`
				: "";
			const hint_text = sales_process.esc(__(c.hint));
			const hint = hint_text
				? `<div class="text-muted" style="font-size: var(--text-xs)">${hint_text}</div>`
				: "";
			return `<li style="display: flex; gap: 8px; padding: 4px 0">
				<span style="color: var(--gray-500)">&#9744;</span>
				<div><div>${sales_process.esc(__(c.criterion))}${star}</div>${hint}</div>
			</li>`;
		});
		const has_mandatory = criteria.some((c) => c.mandatory);

		return `<div style="font-size: var(--text-sm)">
			<div style="font-weight: var(--weight-semibold); margin-bottom: 4px">
				${__("Exit criteria of {0}", [sales_process.stage_label(current.name)])}
			</div>
			<ul style="list-style: none; padding-left: 0; margin: 0">${rows.join("")}</ul>
			${
				has_mandatory
					? `<div class="text-muted" style="font-size: var(--text-xs); margin-top: 4px">
						${__("Criteria marked with * are mandatory.")}
					</div>`
					: ""
			}
		</div>`;
	},

	// --- buttons ----------------------------------------------------------------------------

	add_process_buttons(frm, data) {
		const me = sales_process.sales_opportunity;
		const can = data.can || {};
		const actions = __("Actions");

		if (can.advance && data.next_stage) {
			const label = __("Advance to {0}", [sales_process.stage_label(data.next_stage)]);
			frm.add_custom_button(label, () => me.advance_dialog(frm, data));
			frm.change_custom_button_type(label, null, "primary");
		}

		const earlier = (data.stages || []).filter(
			(s) => s.state === "done" && !s.is_won && !s.is_lost
		);
		if (can.move_back && earlier.length) {
			frm.add_custom_button(
				__("Move Back"),
				() => me.move_back_dialog(frm, earlier),
				actions
			);
		}

		if (can.reassign) {
			frm.add_custom_button(__("Reassign"), () => me.reassign_dialog(frm), actions);
		}

		if (can.return_or_keep) {
			frm.add_custom_button(
				__("Return to Previous Owner"),
				() => me.return_dialog(frm),
				actions
			);
			frm.add_custom_button(__("Keep"), () => me.keep_dialog(frm), actions);
		}

		if (frm.doc.status === "Open" && !frm.doc.lost_requested && can.advance) {
			frm.add_custom_button(__("Request Lost"), () => me.request_lost_dialog(frm), actions);
			frm.add_custom_button(__("Raise Help Alert"), () => me.raise_alert_dialog(frm), actions);
		}

		if (can.decide_lost) {
			frm.add_custom_button(__("Approve Lost"), () => me.approve_lost(frm), actions);
			frm.add_custom_button(__("Reject Lost"), () => me.reject_lost_dialog(frm), actions);
		}
	},

	ensure_saved(frm) {
		if (frm.is_dirty()) {
			frappe.msgprint(__("Save your changes before you continue."));
			return false;
		}
		return true;
	},

	run(frm, method, args, success_message, dialog) {
		const me = sales_process.sales_opportunity;
		return frappe.call({
			method: me.API + method,
			args: Object.assign({ name: frm.doc.name }, args),
			freeze: true,
			callback: (r) => {
				if (r.exc) return;
				if (dialog) dialog.hide();
				frm.reload_doc();
				frappe.show_alert({ message: success_message, indicator: "green" });
			},
		});
	},

	advance_dialog(frm, data) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		const target = data.next_stage;
		const success = __("Moved to {0}", [sales_process.stage_label(target)]);
		sales_process.advance_dialog({
			target: target,
			criteria: data.criteria || [],
			confirm_message: __("Advance this opportunity to {0}?", [
				sales_process.stage_label(target),
			]),
			submit: (evidence, dialog) =>
				me.run(
					frm,
					"advance_stage",
					{ to_stage: target, evidence: JSON.stringify(evidence) },
					success,
					dialog
				),
		});
	},

	move_back_dialog(frm, earlier) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		const dialog = new frappe.ui.Dialog({
			title: __("Move Back"),
			fields: [
				{
					fieldname: "to_stage",
					fieldtype: "Select",
					label: __("Stage"),
					reqd: 1,
					options: earlier.map((s) => ({
						value: s.name,
						label: sales_process.stage_label(s.name),
					})),
					default: earlier[earlier.length - 1].name,
				},
				{ fieldname: "note", fieldtype: "Small Text", label: __("Note") },
			],
			primary_action_label: __("Move Back"),
			primary_action: (values) => {
				const evidence = {};
				if ((values.note || "").trim()) evidence.note = values.note.trim();
				me.run(
					frm,
					"advance_stage",
					{ to_stage: values.to_stage, evidence: JSON.stringify(evidence) },
					__("Moved back to {0}", [sales_process.stage_label(values.to_stage)]),
					dialog
				);
			},
		});
		dialog.show();
	},

	reassign_dialog(frm) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		const dialog = new frappe.ui.Dialog({
			title: __("Reassign"),
			fields: [
				{
					fieldname: "sales_person",
					fieldtype: "Link",
					options: "Sales Person",
					label: __("Sales Person"),
					reqd: 1,
					get_query: () => ({
						filters: { enabled: 1, name: ["!=", frm.doc.sales_person || ""] },
					}),
				},
				{ fieldname: "note", fieldtype: "Small Text", label: __("Note") },
			],
			primary_action_label: __("Reassign"),
			primary_action: (values) => {
				me.run(
					frm,
					"reassign_opportunity",
					{ sales_person: values.sales_person, note: values.note || "" },
					__("Reassigned to {0}", [sales_process.esc(values.sales_person)]),
					dialog
				);
			},
		});
		dialog.show();
	},

	return_dialog(frm) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		const previous = sales_process.esc(frm.doc.previous_sales_person);
		const dialog = new frappe.ui.Dialog({
			title: __("Return to Previous Owner"),
			fields: [
				{
					fieldname: "note",
					fieldtype: "Small Text",
					label: __("Note"),
					description: __("The opportunity goes back to {0}.", [previous]),
				},
			],
			primary_action_label: __("Return", null, "Sales Opportunity"),
			primary_action: (values) => {
				me.run(
					frm,
					"return_opportunity",
					{ note: values.note || "" },
					__("Returned to {0}", [previous]),
					dialog
				);
			},
		});
		dialog.show();
	},

	keep_dialog(frm) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		const dialog = new frappe.ui.Dialog({
			title: __("Keep"),
			fields: [
				{
					fieldname: "note",
					fieldtype: "Small Text",
					label: __("Note"),
					description: __("You keep the opportunity instead of returning it to {0}.", [
						sales_process.esc(frm.doc.previous_sales_person),
					]),
				},
			],
			primary_action_label: __("Keep"),
			primary_action: (values) => {
				me.run(
					frm,
					"keep_opportunity",
					{ note: values.note || "" },
					__("You kept the opportunity"),
					dialog
				);
			},
		});
		dialog.show();
	},

	request_lost_dialog(frm) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		const dialog = new frappe.ui.Dialog({
			title: __("Request Lost"),
			fields: [
				{
					fieldname: "reason",
					fieldtype: "Link",
					options: "Sales Lost Reason",
					label: __("Lost Reason"),
					reqd: 1,
					get_query: () => ({ filters: { enabled: 1 } }),
					description: __(
						"Your superior decides whether the opportunity is closed as lost."
					),
				},
				{
					fieldname: "detail",
					fieldtype: "Small Text",
					label: __("Lost Reason Detail"),
					description: __("Optional: what happened, in your own words."),
				},
			],
			primary_action_label: __("Request"),
			primary_action: (values) => {
				const reason = (values.reason || "").trim();
				if (!reason) {
					frappe.msgprint(__("A reason is required to close an opportunity as lost."));
					return;
				}
				me.run(
					frm,
					"request_lost",
					{ reason: reason, detail: (values.detail || "").trim() },
					__("Request to close as lost sent for approval"),
					dialog
				);
			},
		});
		dialog.show();
	},

	// K8: the list entry (translated) and the owner's explanation, escaped for HTML
	lost_reason_text(frm) {
		const reason = frm.doc.lost_reason ? __(frm.doc.lost_reason) : "";
		const text = [reason, frm.doc.lost_detail].filter(Boolean).join(": ");
		return sales_process.esc(text);
	},

	approve_lost(frm) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		frappe.confirm(
			__("Close this opportunity as lost? Reason: {0}", [me.lost_reason_text(frm)]),
			() => me.run(frm, "approve_lost", {}, __("Opportunity closed as lost"))
		);
	},

	reject_lost_dialog(frm) {
		const me = sales_process.sales_opportunity;
		if (!me.ensure_saved(frm)) return;

		const dialog = new frappe.ui.Dialog({
			title: __("Reject Lost"),
			fields: [
				{
					fieldname: "note",
					fieldtype: "Small Text",
					label: __("Note"),
					description: __("The opportunity stays open with its owner."),
				},
			],
			primary_action_label: __("Reject"),
			primary_action: (values) => {
				me.run(
					frm,
					"reject_lost",
					{ note: values.note || "" },
					__("Request to close as lost rejected"),
					dialog
				);
			},
		});
		dialog.show();
	},
});

frappe.ui.form.on("Sales Opportunity", {
	refresh(frm) {
		const me = sales_process.sales_opportunity;

		if (frm.is_new()) {
			const field = frm.get_field("stage_path");
			if (field) field.$wrapper.empty();
			return;
		}

		if (frm.doc.status === "Open" && frm.doc.lost_requested) {
			frm.dashboard.set_headline_alert(
				__("Waiting for approval to close as lost: {0}", [me.lost_reason_text(frm)]),
				"orange"
			);
		}

		if (frm.doc.status !== "Lost" && frappe.model.can_create("Quotation")) {
			frm.add_custom_button(
				__("Quotation"),
				() =>
					frappe.model.open_mapped_doc({
						method: "sales_process.sales_process.doctype.sales_opportunity.sales_opportunity.make_quotation",
						frm: frm,
					}),
				__("Create")
			);
		}

		me.load_stage_path(frm);
	},
});
