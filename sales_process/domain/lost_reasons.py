"""Lost reasons (K8): an opportunity is closed as lost with a reason from the Sales Lost Reason list
(fixtures ship a default set; Sales Managers maintain it) and, optionally, a free-text detail.

One home for what a lost reason may be: `check` (the lost request and the Data Import), `ensure`
(the ERPNext migration brings its own list in, set-based) and `map_free_text` (the migrate patch that
turned the free-text reasons written before K8 into list entries, losing nothing).
"""

import json

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce
from frappe.utils import cstr, now_datetime

from sales_process.domain.bulk import insert_rows

DOCTYPE = "Sales Lost Reason"
OTHER = "Other"  # a fixture row: what has no entry of its own, with the text in the detail
MAX_DETAIL = 2000
MAX_NAME = 140  # a Link column
BATCH = 1000


def check(reason) -> str:
	"""The Sales Lost Reason `reason` names, as stored (its exact case); refused when blank, unknown
	or disabled."""
	if reason is not None and not isinstance(reason, str):
		frappe.throw(_("The lost reason must be text."), frappe.ValidationError)
	reason = cstr(reason).strip()
	if not reason:
		frappe.throw(_("A reason is required to close an opportunity as lost."), frappe.MandatoryError)
	row = (
		frappe.db.get_value(DOCTYPE, reason, ["name", "enabled"], as_dict=True)
		if len(reason) <= MAX_NAME
		else None
	)
	if not row:
		frappe.throw(
			_("Lost reason {0} does not exist; choose one from the Sales Lost Reason list.").format(
				reason[:MAX_NAME]
			),
			frappe.LinkValidationError,
		)
	if not row.enabled:
		frappe.throw(
			_("Lost reason {0} is disabled; choose another one.").format(_(row.name)), frappe.ValidationError
		)
	return row.name


def clean_detail(detail) -> str | None:
	if detail is not None and not isinstance(detail, str):
		frappe.throw(_("The lost reason detail must be text."), frappe.ValidationError)
	detail = cstr(detail).strip()
	if len(detail) > MAX_DETAIL:
		frappe.throw(
			_("The lost reason detail is longer than {0} characters.").format(MAX_DETAIL),
			frappe.ValidationError,
		)
	return detail or None


def note(reason: str | None, detail: str | None) -> str | None:
	"""What the stage log and the superior's messages say about a lost request."""
	if reason and detail:
		return f"{reason}: {detail}"
	return reason or detail or None


def ensure(names) -> dict[str, str]:
	"""{given name: stored name} for every name, adding the missing ones to the list in one INSERT
	(the ERPNext migration: its Opportunity Lost Reason names become list entries). Names match
	case-insensitively, as the database compares them."""
	wanted = {}
	for name in names:
		name = cstr(name).strip()[:MAX_NAME]
		if name:
			wanted.setdefault(name.lower(), name)
	if not wanted:
		return {}
	r = frappe.qb.DocType(DOCTYPE)
	stored = {
		n.lower(): n
		for n in frappe.qb.from_(r).select(r.name).where(r.name.isin(list(wanted.values()))).run(pluck=True)
	}
	missing = [name for key, name in wanted.items() if key not in stored]
	if missing:
		now, user = now_datetime(), frappe.session.user
		description = _("Brought in from ERPNext's Opportunity Lost Reasons by the CRM migration.")
		insert_rows(
			DOCTYPE,
			["name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "lost_reason"]
			+ ["enabled", "description"],
			[(n, now, now, user, user, 0, 0, n, 1, description) for n in missing],
		)
		stored.update({n.lower(): n for n in missing})
	return {given: stored[cstr(given).strip()[:MAX_NAME].lower()] for given in names if cstr(given).strip()}


# --- the migrate patch: free text → list entries ----------------------------------------------------


def keep_free_text():
	"""Before the schema sync (pre_model_sync): lost_reason was a TEXT column and becomes a Link
	(VARCHAR 140), which would cut or refuse longer texts; move every text into the new lost_detail
	column first. `map_free_text` gives each row its list entry after the sync."""
	if not frappe.db.table_exists("Sales Opportunity"):
		return
	# the columns of this site's table (information_schema would also list other sites' tables)
	described = frappe.db.sql("show columns from `tabSales Opportunity`", as_dict=True)  # nosemgrep
	columns = {c.Field: cstr(c.Type).lower() for c in described}
	if "lost_reason" not in columns or "varchar" in columns["lost_reason"]:
		return  # already a Link
	if "lost_detail" not in columns:  # the schema sync that follows keeps it (a Small Text is TEXT)
		frappe.db.sql_ddl("alter table `tabSales Opportunity` add column `lost_detail` text")  # nosemgrep
	o = frappe.qb.DocType("Sales Opportunity")
	frappe.qb.update(o).set(o.lost_detail, o.lost_reason).set(o.lost_reason, None).where(
		(Coalesce(o.lost_reason, "") != "") & o.lost_detail.isnull()
	).run()


def _known() -> dict[str, str]:
	"""{lower-case name or its Chinese translation: name} of the list's entries."""
	names = frappe.get_all(DOCTYPE, pluck="name")
	zh = frappe.translate.get_all_translations("zh") or {}
	known = {}
	for name in names:
		known.setdefault(name.lower(), name)
		if zh.get(name):
			known.setdefault(zh[name].strip().lower(), name)
	return known


def _fixtures():
	"""The shipped list (patches run before Frappe syncs fixtures)."""
	path = frappe.get_app_path("sales_process", "fixtures", "sales_lost_reason.json")
	with open(path, encoding="utf-8") as f:
		for row in json.load(f):
			if not frappe.db.exists(DOCTYPE, row["name"]):
				frappe.get_doc(row).insert(ignore_permissions=True)


def map_free_text() -> int:
	"""Every opportunity whose lost reason is not a list entry (free text written before K8, or moved to
	the detail by `keep_free_text`) gets one: the entry whose name or Chinese translation is exactly its
	text (ignoring case and surrounding spaces), the text then dropped as the entry says it all; else
	"Other", with the text kept in lost_detail (before any detail the row had). Nothing is lost, and a
	second run changes nothing. Returns the rows changed."""
	_fixtures()
	known = _known()
	o, r = frappe.qb.DocType("Sales Opportunity"), frappe.qb.DocType(DOCTYPE)
	blank = o.lost_reason.isnull() | (o.lost_reason == "")
	free = ~blank & o.lost_reason.notin(frappe.qb.from_(r).select(r.name))
	stashed = blank & o.lost_detail.isnotnull() & (o.lost_detail != "")
	rows = (
		frappe.qb.from_(o)
		.select(o.name, o.lost_reason, o.lost_detail)
		.where(free | stashed)
		.run(as_dict=True)
	)
	changes = {}
	for row in rows:
		text = cstr(row.lost_reason if row.lost_reason else row.lost_detail).strip()
		detail = cstr(row.lost_detail).strip() if row.lost_reason else ""
		match = known.get(text.lower())
		if match:
			changes[row.name] = (match, detail or None)
		else:
			changes[row.name] = (OTHER, "\n".join(t for t in (text, detail) if t) or None)
	names = list(changes)
	for start in range(0, len(names), BATCH):
		batch = names[start : start + BATCH]
		reason, detail = Case(), Case()
		for name in batch:
			reason = reason.when(o.name == name, changes[name][0])
			detail = detail.when(o.name == name, changes[name][1])
		frappe.qb.update(o).set(o.lost_reason, reason).set(o.lost_detail, detail).where(
			o.name.isin(batch)
		).run()
	return len(changes)
