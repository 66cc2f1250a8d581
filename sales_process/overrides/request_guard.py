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


# --- arguments of the app's whitelisted methods --------------------------------------------------

TYPE_NAMES = {
	str: lambda: _("text"),
	int: lambda: _("a whole number"),
	float: lambda: _("a number"),
	bool: lambda: _("0 or 1"),
	list: lambda: _("a list"),
	dict: lambda: _("an object"),
}


def refuse_bad_arguments():
	"""before_request: a call of one of the app's whitelisted methods that leaves out a required
	argument, or sends one of the wrong type, is refused with a translated 417 naming the argument,
	before Python raises a TypeError (a 500) or Frappe its untranslated type message. Checked against
	the method's own signature and annotations, so every method is covered without code of its own.
	Calls Frappe would refuse anyway (a method not allowed for the HTTP verb or for a guest) are left
	to Frappe."""
	fn = _app_method()
	if fn is None:
		return
	import inspect

	from frappe.utils.typing_validations import transform_parameter_types

	raw = inspect.unwrap(fn)
	form = frappe.local.form_dict
	for name, param in inspect.signature(raw).parameters.items():
		if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
			continue
		if name not in form:
			if param.default is param.empty:
				frappe.throw(
					_("{0} is missing: {1} needs it.").format(name, raw.__name__),
					frappe.MandatoryError,
					title=_("Missing Value"),
				)
			continue
		if param.annotation is param.empty:
			continue
		try:
			transform_parameter_types(raw, (), {name: form[name]})
		except TypeError:
			frappe.throw(
				_("{0} has the wrong type: {1} expects {2}.").format(
					name, raw.__name__, _describe(param.annotation)
				),
				frappe.ValidationError,
				title=_("Invalid Value"),
			)


def _app_method():
	"""The whitelisted function of the app a /api/method call names, or None."""
	request = getattr(frappe.local, "request", None)
	parts = request.path.split("/") if request else []
	# /api/method/<cmd>, /api/v1/method/<cmd>, /api/v2/method/<cmd>
	if "method" not in parts[:4]:
		return None
	cmd = unquote(parts[parts.index("method") + 1]) if len(parts) > parts.index("method") + 1 else ""
	if not cmd.startswith("sales_process."):
		return None
	try:
		fn = frappe.get_attr(cmd)
	except Exception:
		return None  # Frappe answers an unknown method itself
	if (
		fn not in frappe.whitelisted
		or request.method not in frappe.allowed_http_methods_for_whitelisted_func.get(fn, ())
	):
		return None
	_authenticate()
	if frappe.session.user == "Guest" and fn not in frappe.guest_methods:
		return None
	return fn


def _authenticate():
	"""Frappe authenticates API keys and tokens only after the before_request hooks (a session
	cookie is read before them); do it now, as Frappe will (idempotent), so the guard knows the user."""
	from frappe.auth import validate_auth

	validate_auth()


def _describe(annotation) -> str:
	import typing

	options = [a for a in typing.get_args(annotation) or (annotation,) if a is not type(None)]
	return _(" or ").join(
		TYPE_NAMES[typing.get_origin(a) or a]() if (typing.get_origin(a) or a) in TYPE_NAMES else str(a)
		for a in options
	)

