// Help Alert form: suggestions from the experience pool, "Respond" for colleagues and
// "Method Effective" on each response for the raiser (H2, H3, E1). Every change goes through
// sales_process.api.help_alert (POST); the fields themselves are read-only.
frappe.ui.form.on("Help Alert", {
	refresh(frm) {
		frm.disable_save();
		if (frm.is_new()) return;
		const esc = sales_process.esc;
		const open = frm.doc.status === "Open";
		const is_raiser = frm.doc.raised_by === frappe.session.user;

		if (open && !is_raiser) {
			frm.add_custom_button(__("Respond"), () => {
				const dialog = new frappe.ui.Dialog({
					title: __("Respond to {0}", [frm.doc.name]),
					fields: [
						{ fieldname: "analysis", fieldtype: "Small Text", label: __("Analysis"), reqd: 1 },
						{ fieldname: "countermeasure", fieldtype: "Small Text", label: __("Countermeasure") },
					],
					primary_action_label: __("Respond"),
					primary_action(values) {
						frappe.call({
							method: "sales_process.api.help_alert.respond",
							args: { alert: frm.doc.name, ...values },
							freeze: true,
							callback() {
								dialog.hide();
								frm.reload_doc();
							},
						});
					},
				});
				dialog.show();
			}).addClass("btn-primary");
		}

		if (open && is_raiser) {
			(frm.doc.responses || []).forEach((row, i) => {
				frm.add_custom_button(
					__("Response {0} by {1}", [i + 1, row.responder]),
					() =>
						frappe.confirm(__("Mark this answer as the method that worked? This resolves the alert."), () =>
							frappe.call({
								method: "sales_process.api.help_alert.mark_effective",
								args: { alert: frm.doc.name, response: row.name },
								freeze: true,
								callback(r) {
									frappe.show_alert({
										message: __("Resolved; experience entry {0} created", [r.message]),
										indicator: "green",
									});
									frm.reload_doc();
								},
							})
						),
					__("Method Effective")
				);
			});
		}

		frm.dashboard.clear_headline();
		if (!open && frm.doc.experience_entry) {
			frm.dashboard.set_headline(
				__("Resolved. The answer is in the experience pool: {0}", [
					`<a href="/app/experience-entry/${encodeURIComponent(frm.doc.experience_entry)}">${esc(
						frm.doc.experience_entry
					)}</a>`,
				])
			);
		}

		frappe.call({
			method: "sales_process.sales_process.doctype.help_alert.help_alert.get_suggestions",
			args: { name: frm.doc.name },
			type: "GET",
			callback(r) {
				const entries = r.message || [];
				const html = entries.length
					? `<ul style="padding-left: 18px">${entries
							.map(
								(e) =>
									`<li><a href="/app/experience-entry/${encodeURIComponent(e.name)}">${esc(
										e.title
									)}</a><div class="text-muted small">${esc(e.solution || "").slice(0, 200)}</div></li>`
							)
							.join("")}</ul>`
					: `<div class="text-muted">${__("Nothing in the experience pool matches yet.")}</div>`;
				frm.get_field("suggestions").$wrapper.html(html);
			},
		});
	},
});
