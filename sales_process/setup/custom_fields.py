"""Custom fields the app adds to core doctypes (docs/administration.md), created in code.

`make_custom_fields()` is idempotent: it runs on install and again from a patch line in
patches.txt whenever this dict changes (bump the patch comment). `delete_custom_fields()` runs
before uninstall. Never export these as fixtures.
"""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

_OPPORTUNITY_LINK = {
	"fieldname": "sales_opportunity",
	"label": "Sales Opportunity",
	"fieldtype": "Link",
	"options": "Sales Opportunity",
	"search_index": 1,
	"no_copy": 0,
	"print_hide": 1,
}

# hidden, derived from the customer's own fields by sales_process.overrides.customer
_IDENTITY = [
	{
		"fieldname": f"sp_normalized_{key}",
		"label": f"Normalised {label} (Sales Process)",
		"fieldtype": "Data",
		"hidden": 1,
		"read_only": 1,
		"no_copy": 1,
		"print_hide": 1,
		"report_hide": 1,
		"search_index": 1,
		"insert_after": after,
	}
	for key, label, after in (
		("name", "Name", "revisit_interval_days"),
		("tax_id", "Tax ID", "sp_normalized_name"),
		("phone", "Phone", "sp_normalized_tax_id"),
		("email", "Email", "sp_normalized_phone"),
	)
]

CUSTOM_FIELDS = {
	"Customer": [
		{
			"fieldname": "sales_process_section",
			"label": "Sales Process",
			"fieldtype": "Section Break",
			"insert_after": "customer_details",
			"collapsible": 1,
		},
		{
			"fieldname": "founding_date",
			"label": "Founding Date",
			"fieldtype": "Date",
			"insert_after": "sales_process_section",
			"description": "The workbench reminds the owner of the founding anniversary.",
		},
		{
			"fieldname": "referred_by",
			"label": "Referred By",
			"fieldtype": "Link",
			"options": "Customer",
			"insert_after": "founding_date",
		},
		{
			"fieldname": "revisit_interval_days",
			"label": "Revisit Every (Days)",
			"fieldtype": "Int",
			"non_negative": 1,
			"insert_after": "referred_by",
			"description": "Remind the owner when no daily log mentions this customer for this many days.",
		},
		*_IDENTITY,
	],
	"Contact": [
		{
			"fieldname": "birthday",
			"label": "Birthday",
			"fieldtype": "Date",
			"insert_after": "designation",
		},
		{
			"fieldname": "is_decision_maker",
			"label": "Is Decision Maker",
			"fieldtype": "Check",
			"insert_after": "birthday",
		},
	],
	# the customer-care job's de-duplication key (C1, C2): a unique index, so a second run, or two
	# runs at once, cannot create the same reminder twice
	"ToDo": [
		{
			"fieldname": "sales_process_care_key",
			"label": "Customer Care Key (Sales Process)",
			"fieldtype": "Data",
			"unique": 1,
			"hidden": 1,
			"read_only": 1,
			"no_copy": 1,
			"print_hide": 1,
			"report_hide": 1,
			"insert_after": "allocated_to",
		}
	],
	# the last entry of the person's daily-log chain (L2), kept by sales_process.domain.daily_log so
	# that appending needs no gap-locking range read; a Sales Person save keeps the stored values
	"Sales Person": [
		{
			"fieldname": fieldname,
			"label": label,
			"fieldtype": fieldtype,
			"hidden": 1,
			"read_only": 1,
			"no_copy": 1,
			"print_hide": 1,
			"report_hide": 1,
			"insert_after": after,
		}
		for fieldname, label, fieldtype, after in (
			("sales_process_chain_head", "Last Daily Log (Sales Process)", "Data", "employee"),
			("sales_process_chain_seq", "Last Daily Log Position", "Int", "sales_process_chain_head"),
			("sales_process_chain_hash", "Last Daily Log Hash", "Data", "sales_process_chain_seq"),
		)
	],
	# F2: where the customer is, for the distance of a visit's check-in (domain/check_in.py);
	# 0, 0 (the empty columns) means no coordinates. Permission level 1: salespeople read them, only
	# Sales Managers set them (setup/install.py), or a rep could move the customer to where they are
	"Address": [
		{
			"fieldname": "sp_latitude",
			"label": "Latitude",
			"fieldtype": "Float",
			"precision": "7",
			"permlevel": 1,
			"insert_after": "pincode",
			"description": "Decimal degrees (WGS 84), e.g. 31.2304161. A visit's check-in is measured against it.",
		},
		{
			"fieldname": "sp_longitude",
			"label": "Longitude",
			"fieldtype": "Float",
			"precision": "7",
			"permlevel": 1,
			"insert_after": "sp_latitude",
			"description": "Decimal degrees (WGS 84), e.g. 121.4737010.",
		},
	],
	"Quotation": [{**_OPPORTUNITY_LINK, "insert_after": "party_name"}],
	"Sales Order": [{**_OPPORTUNITY_LINK, "insert_after": "customer_name"}],
	"Contract": [
		{**_OPPORTUNITY_LINK, "insert_after": "party_name"},
		{
			"fieldname": "contract_amount",
			"label": "Contract Amount",
			"fieldtype": "Currency",
			"insert_after": "sales_opportunity",
			"non_negative": 1,
		},
	],
}


def make_custom_fields():
	create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)


def delete_custom_fields():
	for doctype, fields in CUSTOM_FIELDS.items():
		names = [f"{doctype}-{f['fieldname']}" for f in fields]
		frappe.db.delete("Custom Field", {"name": ("in", names)})
		frappe.clear_cache(doctype=doctype)
		# drop the columns too, so a reinstall starts clean
		for f in fields:
			if f["fieldtype"] not in ("Section Break", "Column Break") and frappe.db.has_column(
				doctype, f["fieldname"]
			):
				# nosemgrep: frappe-using-db-sql -- DDL on uninstall: dropping our custom columns
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop column `{f['fieldname']}`")
