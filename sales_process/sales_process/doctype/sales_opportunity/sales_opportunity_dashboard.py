from frappe import _


def get_data():
	return {
		"fieldname": "sales_opportunity",
		"non_standard_fieldnames": {
			"Opportunity Stage Log": "opportunity",
			"Help Alert": "opportunity",
			"Sales Daily Log": "opportunity",
		},
		"transactions": [
			{"label": _("Sales"), "items": ["Quotation", "Sales Order", "Contract"]},
			{"label": _("Process"), "items": ["Opportunity Stage Log", "Sales Daily Log", "Help Alert"]},
		],
	}
