"""Install / migrate / uninstall of the app on the real test site (runs last: it uninstalls and
reinstalls sales_process, through the same CLI an administrator uses)."""

import os
import subprocess

import frappe

from sales_process.setup.custom_fields import CUSTOM_FIELDS
from tests.conftest import BENCH_DIR, TEST_SITE

EXPECTED = {f"{dt}-{f['fieldname']}" for dt, fields in CUSTOM_FIELDS.items() for f in fields}
PUBLIC = {
	"Customer": {"founding_date", "referred_by", "revisit_interval_days"},
	"Contact": {"birthday", "is_decision_maker"},
	"Quotation": {"sales_opportunity"},
	"Contract": {"sales_opportunity", "contract_amount"},
	"Sales Order": {"sales_opportunity"},
}


def bench(*args: str) -> subprocess.CompletedProcess:
	frappe.db.rollback()  # release metadata locks before another process alters tables
	return subprocess.run(
		[
			os.path.join(BENCH_DIR, "env", "bin", "python"),
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"--site",
			TEST_SITE,
			*args,
		],
		cwd=os.path.join(BENCH_DIR, "sites"),
		capture_output=True,
		text=True,
		timeout=900,
	)


def role_permissions() -> dict[str, list[tuple]]:
	"""The site's Custom DocPerm rows of the doctypes whose permissions the app changes."""
	from sales_process.setup.install import PERMISSION_DOCTYPES, SNAPSHOT_FIELDS

	frappe.db.rollback()
	frappe.clear_cache()
	return {
		doctype: [
			tuple(r.values())
			for r in frappe.get_all(
				"Custom DocPerm", {"parent": doctype}, list(SNAPSHOT_FIELDS), order_by="idx asc"
			)
		]
		for doctype in PERMISSION_DOCTYPES
	}


def sales_user_may(doctype: str, ptype: str) -> bool:
	"""Whether a Sales User row of the doctype's effective permissions (custom, else standard) grants ptype."""
	frappe.clear_cache(doctype=doctype)
	perms = frappe.get_meta(doctype).permissions
	return any(p.role == "Sales User" and not p.permlevel and p.get(ptype) for p in perms)


def stored_snapshot() -> dict | None:
	from sales_process.setup.install import SNAPSHOT_KEY

	value = frappe.db.get_value("DefaultValue", {"parent": "__default", "defkey": SNAPSHOT_KEY}, "defvalue")
	return frappe.parse_json(value) if value else None


def custom_fields() -> dict[str, tuple]:
	frappe.db.rollback()
	rows = frappe.get_all(
		"Custom Field",
		filters={"name": ("in", list(EXPECTED))},
		fields=["name", "fieldtype", "options", "insert_after", "modified"],
	)
	return {r.name: (r.fieldtype, r.options, r.insert_after, str(r.modified)) for r in rows}


def test_public_custom_fields_are_declared():
	declared = {dt: {f["fieldname"] for f in fields} for dt, fields in CUSTOM_FIELDS.items()}
	for doctype, names in PUBLIC.items():
		assert names <= declared[doctype], doctype


def test_custom_fields_exist_survive_migrate_and_vanish_on_uninstall():
	"""…and the role permissions the app changed (A2, K4, R4) are as before the install once it is
	uninstalled, and as installed again after the reinstall."""
	from sales_process.setup.install import PERMISSION_DOCTYPES, SNAPSHOT_FIELDS

	before = custom_fields()
	installed_permissions = role_permissions()
	snapshot = stored_snapshot()
	assert set(snapshot) == set(PERMISSION_DOCTYPES)
	for doctype in ("Customer", "Contact", "Address"):
		assert not sales_user_may(doctype, "print") and not sales_user_may(doctype, "export"), doctype
	assert set(before) == EXPECTED
	for doctype, names in PUBLIC.items():
		for name in names:
			assert frappe.db.has_column(doctype, name), (doctype, name)

	result = bench("migrate")
	assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
	assert custom_fields() == before  # unchanged: not even re-saved

	assert role_permissions() == installed_permissions

	result = bench("uninstall-app", "sales_process", "--yes", "--no-backup", "--force")
	assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
	try:
		frappe.clear_cache()
		assert custom_fields() == {}
		assert role_permissions() == {
			doctype: [tuple(r[f] for f in SNAPSHOT_FIELDS) for r in snapshot[doctype]]
			for doctype in PERMISSION_DOCTYPES
		}
		assert stored_snapshot() is None
		if not any(snapshot.values()):  # a site that had no custom permissions: the standard ones again
			assert sales_user_may("Customer", "print") and sales_user_may("Address", "print")
			assert not frappe.db.exists("Custom DocPerm", {"parent": "Contract", "role": "Accounts User"})
		for doctype, names in PUBLIC.items():
			for name in names:
				assert not frappe.db.has_column(doctype, name), (doctype, name)
		assert not frappe.db.table_exists("Sales Opportunity")
	finally:
		result = bench("install-app", "sales_process")
		assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
		frappe.clear_cache()
	assert set(custom_fields()) == EXPECTED
	assert frappe.db.count("Sales Process Stage") == 8
	assert role_permissions() == installed_permissions
	assert stored_snapshot() == snapshot
