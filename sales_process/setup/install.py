"""Install / migrate / uninstall hooks (registered in hooks.py)."""

import frappe
from frappe import _

from sales_process.domain import stages


def after_install():
	ensure_settings()


def after_migrate():
	ensure_settings()
	report_stage_set_problems()


def ensure_settings():
	"""Materialise the single's defaults so jobs read stored values, not the JSON defaults."""
	settings = frappe.get_single("Sales Process Settings")
	if settings.is_new() or not frappe.db.exists("Singles", {"doctype": "Sales Process Settings"}):
		settings.save(ignore_permissions=True)


def report_stage_set_problems() -> list[str]:
	"""Fixtures load stage by stage; once all are in, check the whole set (P2) and log what is wrong."""
	messages = [stages.describe(p) for p in stages.whole_set_problems(stages.stored_stages())]
	if messages:
		frappe.log_error(title=_("Sales process stages are misconfigured"), message="\n".join(messages))
	return messages
