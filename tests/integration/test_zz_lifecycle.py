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
	before = custom_fields()
	assert set(before) == EXPECTED
	for doctype, names in PUBLIC.items():
		for name in names:
			assert frappe.db.has_column(doctype, name), (doctype, name)

	result = bench("migrate")
	assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
	assert custom_fields() == before  # unchanged: not even re-saved

	result = bench("uninstall-app", "sales_process", "--yes", "--no-backup", "--force")
	assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
	try:
		frappe.clear_cache()
		assert custom_fields() == {}
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
