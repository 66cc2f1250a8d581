// Customer form (K8): "Raise Help Alert" on a customer with no opportunity to name, e.g. a won
// customer asking for service. The server decides who may (the customer's holder, their
// superiors, the Sales Managers) through sales_process.api.help_alert.raise_alert.
frappe.ui.form.on("Customer", {
	refresh(frm) {
		if (frm.is_new() || !frappe.model.can_create("Help Alert")) return;
		frm.add_custom_button(
			__("Raise Help Alert"),
			() => {
				const dialog = new frappe.ui.Dialog({
					title: __("Raise Help Alert on {0}", [frm.doc.customer_name || frm.doc.name]),
					fields: [
						{
							fieldname: "reason",
							fieldtype: "Link",
							options: "Help Alert Reason",
							label: __("Reason"),
							reqd: 1,
						},
						{ fieldname: "description", fieldtype: "Small Text", label: __("Description"), reqd: 1 },
					],
					primary_action_label: __("Raise"),
					primary_action(values) {
						frappe.call({
							method: "sales_process.api.help_alert.raise_alert",
							args: { customer: frm.doc.name, reason: values.reason, description: values.description },
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
			__("Actions")
		);
	},
});
