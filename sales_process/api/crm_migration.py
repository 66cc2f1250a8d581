"""Whitelisted methods of the CRM Migration page (M1): the plan, the stage mapping, the start."""

import frappe
from frappe import _

from sales_process.domain import crm_migration, jobs


def _require_system_manager():
	# not frappe.only_for, which lets everyone through while tests run
	if "System Manager" not in frappe.get_roles():
		frappe.throw(_("Only a System Manager can migrate from ERPNext CRM."), frappe.PermissionError)


@frappe.whitelist()
@frappe.read_only()
def get_plan() -> dict:
	"""The plan (nothing written), the mapping's choices and the latest run."""
	_require_system_manager()
	runs = frappe.get_all(
		crm_migration.RUN,
		fields=["name", "status", "started_at", "finished_at", "leads", "opportunities", "skipped"],
		order_by="creation desc",
		limit=1,
	)
	return {
		"plan": crm_migration.plan(),
		"pending": crm_migration.pending_count(),
		"sales_stages": frappe.get_all("Sales Stage", pluck="name", order_by="name"),
		"stages": [s.name for s in crm_migration.stored_stages() if not s.is_terminal],
		"overrides": {
			r.sales_stage: r.stage for r in frappe.get_single(crm_migration.SETTINGS).stage_mapping
		},
		"last_run": runs[0] if runs else None,
	}


@frappe.whitelist(methods=["POST"])
def save_stage_mapping(mapping: dict | str) -> dict:
	"""{ERPNext Sales Stage: Sales Process Stage}; an empty stage removes the override."""
	_require_system_manager()
	mapping = frappe.parse_json(mapping)
	if not isinstance(mapping, dict):
		frappe.throw(_("The stage mapping must be an object."), frappe.ValidationError)
	settings = frappe.get_single(crm_migration.SETTINGS)
	settings.set(
		"stage_mapping",
		[{"sales_stage": k, "stage": v} for k, v in sorted(mapping.items()) if v],
	)
	settings.save()
	return {"saved": len(settings.stage_mapping)}


@frappe.whitelist(methods=["POST"])
def start_migration(batch_size: int = crm_migration.BATCH_SIZE) -> dict:
	"""Enqueue the migration on the long queue; progress arrives as realtime events."""
	_require_system_manager()
	# a run whose worker died does not count as running (domain/jobs.py)
	job = jobs.enqueue_once(
		"sales_process.domain.crm_migration.run_job",
		"sales_process_crm_migration",
		timeout=6 * 3600,
		batch_size=frappe.utils.cint(batch_size) or crm_migration.BATCH_SIZE,
		user=frappe.session.user,
	)
	return {"queued": bool(job), "event": crm_migration.REALTIME_EVENT}
