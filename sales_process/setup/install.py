"""Install / migrate / uninstall hooks (registered in hooks.py)."""

import frappe
from frappe import _

from sales_process.domain import settings, stages


def after_install():
	from sales_process.overrides.customer import backfill_normalized_identity
	from sales_process.setup.custom_fields import make_custom_fields

	make_custom_fields()
	backfill_normalized_identity()
	set_role_permissions()
	allow_data_import()
	settings.store_defaults()
	ensure_default_lead_pool()
	ensure_lead_kanban()


def after_migrate():
	settings.store_defaults()
	ensure_default_lead_pool()
	ensure_lead_kanban()
	report_stage_set_problems()


def before_uninstall():
	from sales_process.setup.custom_fields import delete_custom_fields

	revoke_data_import()
	delete_custom_fields()
	restore_role_permissions()


# A2/K4: lists of these leave the company only through a Sales Manager (print and export)
K4_DOCTYPES = ("Customer", "Contact", "Address", "Sales Opportunity", "Sales Lead")
# the ERPNext/Frappe doctypes whose role permissions the app changes (its own doctypes carry their
# permissions in their JSON and leave with the app)
PERMISSION_DOCTYPES = ("Customer", "Contact", "Address", "Contract")
# the site's Custom DocPerm rows of PERMISSION_DOCTYPES as they were before the app changed them,
# kept as a global default so that uninstall can put them back
SNAPSHOT_KEY = "sales_process_role_permissions_before"
SNAPSHOT_FIELDS = (
	"role", "permlevel", "if_owner", "select", "read", "write", "create", "delete", "submit", "cancel",
	"amend", "report", "export", "import", "share", "print", "email",
)  # fmt: skip


def _snapshot() -> dict:
	return frappe.parse_json(frappe.defaults.get_global_default(SNAPSHOT_KEY) or "{}")


def remember_role_permissions():
	"""Record how the site's role permissions of PERMISSION_DOCTYPES were before the app's first
	change to each. A site that had the app before snapshots existed records its changed doctypes
	as 'no custom permissions' (the state the app found on a fresh site)."""
	snapshot = _snapshot()
	legacy = not snapshot and frappe.flags.in_install != "sales_process"
	for doctype in PERMISSION_DOCTYPES:
		if doctype in snapshot:
			continue
		if legacy and doctype in ("Customer", "Contract"):
			snapshot[doctype] = []
			continue
		snapshot[doctype] = frappe.get_all(
			"Custom DocPerm", {"parent": doctype}, list(SNAPSHOT_FIELDS), order_by="idx asc"
		)
	frappe.defaults.set_global_default(SNAPSHOT_KEY, frappe.as_json(snapshot))


def restore_role_permissions():
	"""Uninstall: each changed doctype's Custom DocPerm rows become what they were before the app
	(none, on a site that had none: its standard DocPerm rows apply again)."""
	for doctype, rows in _snapshot().items():
		frappe.db.delete("Custom DocPerm", {"parent": doctype})
		for idx, row in enumerate(rows, 1):
			frappe.get_doc(
				{"doctype": "Custom DocPerm", "parent": doctype, "parenttype": "DocType", "idx": idx, **row}
			).db_insert()
		frappe.clear_cache(doctype=doctype)
	frappe.defaults.clear_default(SNAPSHOT_KEY)


def set_role_permissions():
	"""A2/K4: salespeople cannot print or export lists of customers, contacts and addresses (data
	leaving with a departing salesperson); Sales Managers can. The app's own K4 doctypes (Sales
	Opportunity, Sales Lead) give Sales Users neither in their JSON. `overrides/request_guard.py`
	refuses what these permissions alone do not stop."""
	from frappe.permissions import add_permission, setup_custom_perms, update_permission_property

	remember_role_permissions()
	for doctype in ("Customer", "Contact", "Address"):
		setup_custom_perms(doctype)
		for role, allowed in (("Sales User", 0), ("Sales Manager", 1)):
			if not frappe.db.exists("Custom DocPerm", {"parent": doctype, "role": role, "permlevel": 0}):
				add_permission(doctype, role, 0)
			if allowed:
				update_permission_property(doctype, role, 0, "read", 1, validate=False)
			update_permission_property(doctype, role, 0, "print", allowed, validate=False)
			update_permission_property(doctype, role, 0, "export", allowed, validate=False)
		frappe.clear_cache(doctype=doctype)
	# F2: an address's coordinates (permission level 1) are what a check-in is measured against:
	# salespeople read them, Sales Managers (and System Managers) set them
	for role, write in (("Sales User", 0), ("Sales Manager", 1), ("System Manager", 1)):
		if not frappe.db.exists("Custom DocPerm", {"parent": "Address", "role": role, "permlevel": 1}):
			add_permission("Address", role, 1)
		update_permission_property("Address", role, 1, "read", 1, validate=False)
		update_permission_property("Address", role, 1, "write", write, validate=False)
	frappe.clear_cache(doctype="Address")
	# R4: accountants follow contracts' billing and collection (read and report, never write)
	setup_custom_perms("Contract")
	for role in ("Accounts User", "Accounts Manager"):
		if not frappe.db.exists("Custom DocPerm", {"parent": "Contract", "role": role, "permlevel": 0}):
			add_permission("Contract", role, 0)
		update_permission_property("Contract", role, 0, "read", 1, validate=False)
		update_permission_property("Contract", role, 0, "report", 1, validate=False)
	frappe.clear_cache(doctype="Contract")


def ensure_default_lead_pool():
	"""G5: a company-wide pool (公海) that new leads fall into, named in the settings; an existing
	choice is kept."""
	from sales_process.domain.lead import DEFAULT_POOL
	from sales_process.domain.settings import get

	current = get("default_lead_pool")
	if current and frappe.db.exists("Sales Lead Pool", current):
		return
	if not frappe.db.exists("Sales Lead Pool", DEFAULT_POOL):
		frappe.get_doc({"doctype": "Sales Lead Pool", "pool_name": DEFAULT_POOL, "enabled": 1}).insert(
			ignore_permissions=True
		)
	frappe.db.set_single_value("Sales Process Settings", "default_lead_pool", DEFAULT_POOL)


LEAD_KANBAN = "Sales Leads"
LEAD_KANBAN_COLUMNS = (
	("New", "Blue"),
	("Contacted", "Orange"),
	("Qualified", "Purple"),
	("Converted", "Green"),
	("Disqualified", "Gray"),
)


def ensure_lead_kanban():
	"""G8: a public Kanban board of the leads by status. Moving a card to another column saves the
	status, which only the process sets: the lead's guard refuses it and the desk puts the card back."""
	if frappe.db.exists("Kanban Board", LEAD_KANBAN):
		return
	frappe.get_doc(
		{
			"doctype": "Kanban Board",
			"kanban_board_name": LEAD_KANBAN,
			"reference_doctype": "Sales Lead",
			"field_name": "status",
			"private": 0,
			"show_labels": 1,
			"fields": '["sales_person", "score", "source"]',
			"columns": [
				{"column_name": status, "status": "Active", "indicator": color, "order": "[]"}
				for status, color in LEAD_KANBAN_COLUMNS
			],
		}
	).insert(ignore_permissions=True)


def report_stage_set_problems() -> list[str]:
	"""Fixtures load stage by stage; once all are in, check the whole set (P2) and log what is wrong."""
	messages = [stages.describe(p) for p in stages.whole_set_problems(stages.stored_stages())]
	if messages:
		frappe.log_error(title=_("Sales process stages are misconfigured"), message="\n".join(messages))
	return messages


def allow_data_import():
	"""M3: Sales Managers import opportunities and leads at their stage and owner through Frappe's
	Data Import, which Frappe opens to System Managers only. Salespeople get no access (and a
	salesperson's imported row would be refused: domain/imports.py)."""
	from frappe.permissions import add_permission, update_permission_property

	add_permission("Data Import", "Sales Manager", 0)
	for ptype in ("read", "write", "create"):
		update_permission_property("Data Import", "Sales Manager", 0, ptype, 1, validate=False)
	frappe.clear_cache(doctype="Data Import")


def revoke_data_import():
	frappe.db.delete("Custom DocPerm", {"parent": "Data Import", "role": "Sales Manager"})
	frappe.clear_cache(doctype="Data Import")
