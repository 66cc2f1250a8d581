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


def _type_name(kind) -> str | None:
	"""A type as a caller reads it, in their language (built per call: translations are per user)."""
	return {
		str: _("text"),
		int: _("a whole number"),
		float: _("a number"),
		bool: _("0 or 1"),
		list: _("a list"),
		dict: _("an object"),
	}.get(kind)


def refuse_bad_arguments():
	"""auth_hooks: a call of one of the app's whitelisted methods that leaves out a required
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
	if frappe.session.user == "Guest" and fn not in frappe.guest_methods:
		return None  # Frappe refuses it (a failed API key ends as Guest too: Frappe answers 401)
	return fn


# The guards that need the caller run as auth_hooks: Frappe's validate_auth calls them for every
# request once the user is known (a session cookie, an API key, Basic or an OAuth token), and
# after answer_in_callers_language (hooks.py lists it first). Run as before_request they had to
# validate an API key themselves, and Frappe then validated it again: a fifth of a REST call.


def answer_in_callers_language():
	"""auth_hooks (run by Frappe's validate_auth, after API keys and OAuth tokens are checked):
	Frappe sets `frappe.local.lang` in HTTPRequest, before validate_auth, while a token or Basic
	caller is still Guest, so it is the request's language (Accept-Language, preferred_language
	cookie) or the site's, and every message to them was in that language. Set it from the user
	as Frappe's session resumption does for a cookie; a `_lang` in the request still wins."""
	if frappe.session.user in ("", "Guest") or not frappe.get_request_header("Authorization"):
		return  # a guest, or a session cookie: Frappe has set the language already
	from frappe.translate import get_language

	frappe.set_user_lang(frappe.session.user)
	frappe.local.lang = get_language()  # _lang in the form, else the user's (just set)


def _describe(annotation) -> str:
	import typing

	options = [a for a in typing.get_args(annotation) or (annotation,) if a is not type(None)]
	names = [_type_name(typing.get_origin(a) or a) or str(a) for a in options]
	described = names[0]
	for name in names[1:]:
		described = _("{0} or {1}").format(described, name)
	return described


# --- K4: printing and exporting the lists salespeople must not take with them ----------------------

# methods that print documents (doctype and names in the form) and export lists (doctype in the form)
PRINT_METHODS = frozenset(
	(
		"frappe.utils.print_format.download_multi_pdf",
		"frappe.utils.print_format.download_multi_pdf_async",
		"frappe.utils.print_format.download_pdf",
		"frappe.utils.print_format.print_by_server",
		"frappe.utils.weasyprint.download_pdf",
		"frappe.utils.weasyprint.get_html",
		"frappe.www.printview.get_html_and_style",
		"frappe.www.printview.get_rendered_raw_commands",
	)
)
EXPORT_METHODS = frozenset(
	("frappe.desk.reportview.export_query", "frappe.core.doctype.data_export.exporter.export_data")
)
PRINT_PAGES = frozenset(("/printview", "/printpreview"))


def refuse_printing_and_exporting_lists():
	"""auth_hooks (K4): printing a document of a K4 doctype needs the print permission, and
	exporting needs an export permission that is not only for the user's own rows. Frappe lets
	anyone who may read a document print it (`validate_print_permission` accepts read), counts an
	"if owner" export (Address gives every role one) as export permission for Data Export, and
	`download_multi_pdf` swallows a refused document and answers 200. Managers keep both through
	their role permissions (`setup/install.py`)."""
	from sales_process.setup.install import K4_DOCTYPES

	request = getattr(frappe.local, "request", None)
	if not request:
		return
	path = request.path.rstrip("/")
	cmd = _method_of(path)
	if cmd in PRINT_METHODS or path in PRINT_PAGES:
		ptype = "print"
	elif cmd in EXPORT_METHODS:
		ptype = "export"
	else:
		return
	for doctype in _doctypes_named(frappe.local.form_dict):
		if doctype in K4_DOCTYPES and not _allowed(doctype, ptype):
			frappe.throw(
				_("You are not allowed to print or export {0}: ask a Sales Manager.").format(_(doctype)),
				frappe.PermissionError,
				title=_("Not Allowed"),
			)


def _method_of(path: str) -> str:
	parts = path.split("/")
	if len(parts) > 2 and parts[1] == "api" and "method" in parts[:4]:
		i = parts.index("method") + 1
		return unquote(parts[i]) if i < len(parts) else ""
	return ""


def _doctypes_named(form) -> set[str]:
	"""The doctypes a print or export request names: `doctype` (a name, or download_multi_pdf's
	{doctype: [names]} as an object or JSON text), or get_html_and_style's `doc` (a document, or a
	doctype with `name`)."""
	doctype, doc = (_parsed(form.get(key)) for key in ("doctype", "doc"))
	names = set(doctype) if isinstance(doctype, dict) else {doctype} if isinstance(doctype, str) else set()
	if isinstance(doc, dict):
		names.add(doc.get("doctype"))
	elif isinstance(doc, str) and form.get("name"):  # get_html_and_style(doc=<doctype>, name=…)
		names.add(doc)
	names.add(form.get("parent_doctype"))  # Data Export of a child table exports its parent
	return {str(n) for n in names if n}


def _parsed(value):
	if isinstance(value, str) and value.lstrip().startswith("{"):
		try:
			return frappe.parse_json(value)
		except ValueError:
			return None
	return value


def _allowed(doctype: str, ptype: str) -> bool:
	from frappe.permissions import get_role_permissions

	if "System Manager" in frappe.get_roles():
		return True
	# the rights of the user's roles on every row, not those limited to the rows they own
	return bool(get_role_permissions(frappe.get_meta(doctype)).get(ptype))
