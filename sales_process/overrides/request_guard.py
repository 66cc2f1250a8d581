"""before_request: list requests on the app's doctypes may sort and group by column names only.

Frappe v15's own check of `order_by`/`group_by` looks at a leading function name and at
"select … from", so `(select sleep(3))` or `if(<condition>, sleep(3), 0)` pass it and run once per
row: a salesperson could stall the database, or probe it by timing. The desk and the REST
clients only ever send column names with an optional direction, so anything else is refused
before Frappe builds the query (a 417 with a message). Requests without these parameters cost
one dict lookup."""

import os
import re
from urllib.parse import unquote

import frappe
from frappe import _

SORT_KEYS = ("order_by", "group_by", "sort_by", "sort_order")
# `tabSales Opportunity`.`modified` desc  |  modified  |  name asc
COLUMN = re.compile(r"^\s*(`[^`()]+`|\w+)(\s*\.\s*(`[^`()]+`|\w+))?(\s+(asc|desc))?\s*$", re.IGNORECASE)

_DOCTYPE_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "sales_process", "doctype")
APP_DOCTYPES = frozenset(
	frappe.unscrub(d) for d in os.listdir(_DOCTYPE_DIR) if os.path.isdir(os.path.join(_DOCTYPE_DIR, d))
)


def is_column_list(value) -> bool:
	return isinstance(value, str) and all(COLUMN.match(part) for part in value.split(","))


def refuse_expressions_in_sorting():
	form = frappe.local.form_dict
	present = [key for key in SORT_KEYS if form.get(key)]
	if not present or _doctype(form) not in APP_DOCTYPES:
		return
	for key in present:
		if key == "sort_order":
			if str(form[key]).strip().lower() not in ("asc", "desc"):
				frappe.throw(_("Sort order must be asc or desc."), frappe.ValidationError)
		elif not is_column_list(form[key]):
			frappe.throw(
				_("Sorting and grouping accept column names only, such as {0}.").format("modified desc"),
				frappe.ValidationError,
				title=_("Not Allowed"),
			)


def _doctype(form) -> str | None:
	if form.get("doctype"):
		return form.get("doctype")
	request = getattr(frappe.local, "request", None)
	parts = request.path.split("/") if request else []
	# /api/resource/<doctype>, /api/v2/document/<doctype>
	if len(parts) > 3 and parts[1] == "api" and parts[2] in ("resource", "v1"):
		return unquote(parts[4] if parts[2] == "v1" and len(parts) > 4 else parts[3])
	if len(parts) > 4 and parts[1] == "api" and parts[2] == "v2" and parts[3] == "document":
		return unquote(parts[4])
	return None
