"""X1: every string Frappe extracts from the app for translation has a row in zh.csv.

The strings come from Frappe's own extractors, run on this checkout's `sales_process/`:

* code (.py, .js, .html, .vue): `frappe.translate.get_messages_from_file`, what `bench get-untranslated`
  runs over an app (babel for Python; Frappe's regex and its JavaScript parser for the rest);
* DocType, Workspace and Report JSON: the extractors of `frappe/babel_extractors.csv` (what
  `bench generate-pot-file` uses), which read the files, not the database.

Frappe's extractors do not know two things the desk still shows through `__()`: custom fields the app
creates in code (`sales_process.setup.custom_fields.CUSTOM_FIELDS`) and the titles of Number Cards,
Dashboard Charts and Pages (plus Report JSON columns and filters, which only the database-based
extractor reads). The test adds those from the app's own definitions.

As in Frappe, only strings with an ASCII letter count (Chinese source text needs no row). A string used
with a context (`_("Open", context="X")`, `__("Open", null, "X")`, and DocType field labels — tab
labels aside — and Select options, which the form looks up with their doctype as context) is satisfied
by a `source,translation,X` row or by a plain `source,translation` row. App translations are merged
over Frappe's and ERPNext's, so a plain row for a common word (Open, Company, Return) changes it on
every screen; give such a word a meaning of its own with a context row instead.

The failure lists every missing string with the file(s) it came from. The CSV files themselves are
checked without a site in tests/unit/test_translations.py.
"""

import json
import os
from collections import defaultdict
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

import frappe
from frappe.gettext.extractors.utils import is_translatable
from frappe.gettext.translate import get_method_map
from frappe.translate import get_messages_from_file

from tests.unit.test_translations import APP_DIR, REPO_DIR, ZH_CSV, Key, describe, load_translations

CODE_SUFFIXES = (".py", ".js", ".html", ".vue")
# the gettext extractors for metadata; code goes through get_messages_from_file instead
METADATA_EXTRACTORS = ("doctype.extract", "workspace.extract", "report.extract")
# the form looks these up as __(text, null, doctype) (frappe/gettext/extractors/doctype.py's comments)
DOCTYPE_CONTEXT_COMMENTS = ("Label of a ", "Option for the ")
TITLE_FIELDS = {
	"Number Card": "label",
	"Dashboard Chart": "chart_name",
	"Dashboard": "dashboard_name",
	"Page": "title",
}


def _skipped(directory: str) -> bool:
	name = os.path.basename(directory)
	return name.startswith((".", "_")) or name in ("node_modules", "dist", "translations")


def code_messages() -> dict[Key, list[str]]:
	found: dict[Key, list[str]] = defaultdict(list)
	frappe.flags.scanned_files = set()  # get_messages_from_file scans a path once per flag set
	for directory, folders, files in os.walk(APP_DIR):
		folders[:] = sorted(f for f in folders if not _skipped(f))
		for name in sorted(files):
			if name.endswith(CODE_SUFFIXES) and not name.endswith(".min.js"):
				path = Path(directory, name)
				where = path.relative_to(REPO_DIR).as_posix()
				for _file, message, context, line in get_messages_from_file(str(path)):
					found[(message, context or None)].append(f"{where}:{line}")
	return found


def metadata_messages() -> dict[Key, list[str]]:
	found: dict[Key, list[str]] = defaultdict(list)
	method_map = [
		(pattern, method)
		for pattern, method in get_method_map("frappe")
		if method.endswith(METADATA_EXTRACTORS)
	]
	keywords = {**DEFAULT_KEYWORDS, "_lt": None}
	for filename, line, message, comments, _context in extract_from_dir(
		APP_DIR, method_map, keywords=keywords, directory_filter=lambda d: not _skipped(d)
	):
		path = APP_DIR / filename
		where = path.relative_to(REPO_DIR).as_posix()
		context = None
		if path.parent.parent.name == "doctype" and any(
			c.startswith(DOCTYPE_CONTEXT_COMMENTS) and not c.startswith("Label of a Tab Break")
			for c in comments
		):
			context = json.loads(path.read_text(encoding="utf-8"))["name"]
		found[(message, context)].append(f"{where}:{line}" if line else where)
	return found


def app_defined_messages() -> dict[Key, list[str]]:
	"""What the desk translates but Frappe's extractors do not find (see the module docstring)."""
	from sales_process.setup.custom_fields import CUSTOM_FIELDS

	found: dict[Key, list[str]] = defaultdict(list)
	where = "sales_process/setup/custom_fields.py"
	for doctype, fields in CUSTOM_FIELDS.items():
		for field in fields:
			if field.get("label"):
				found[(field["label"], doctype)].append(where)
			if field.get("description"):
				found[(field["description"], None)].append(where)
			if field.get("fieldtype") == "Select":
				for option in (field.get("options") or "").split("\n"):
					if option and not option.isdigit():
						found[(option, doctype)].append(where)

	for path in sorted((APP_DIR / "sales_process").glob("*/*/*.json")):
		data = json.loads(path.read_text(encoding="utf-8"))
		doctype = data.get("doctype") if isinstance(data, dict) else None
		texts = [data.get(TITLE_FIELDS[doctype])] if doctype in TITLE_FIELDS else []
		if doctype == "Report":
			texts += [row.get("label") for row in (data.get("columns") or []) + (data.get("filters") or [])]
		for text in filter(None, texts):
			found[(text, None)].append(path.relative_to(REPO_DIR).as_posix())
	return found


def extract_messages() -> dict[Key, list[str]]:
	"""{(message, context): ["sales_process/x.py:12", …]} for every translatable string of the app."""
	found: dict[Key, list[str]] = defaultdict(list)
	for part in (code_messages(), metadata_messages(), app_defined_messages()):
		for (message, context), places in part.items():
			if isinstance(message, str) and message and is_translatable(message):
				found[(message, context)].extend(p for p in places if p not in found[(message, context)])
	return dict(found)


def test_every_source_string_has_a_zh_translation(site):
	messages = extract_messages()
	assert messages, f"nothing extracted from {APP_DIR}: is the path right?"
	zh = load_translations(ZH_CSV)

	missing = sorted(
		(key for key in messages if not (zh.get(key) or zh.get((key[0], None)))),
		key=lambda key: (key[0], key[1] or ""),
	)
	assert not missing, (
		f"{len(missing)} of {len(messages)} translatable strings have no translation in "
		f"{ZH_CSV.relative_to(REPO_DIR)}. Add a `source,translation` row for each (quote fields that "
		"contain commas, keep {0}-style placeholders); a string shown with [context: X] is looked up "
		"with that context first, so a `source,translation,X` row applies to it alone, which is how to "
		"give a common word such as Open or Company a meaning of its own without changing it everywhere:\n"
		+ "\n".join("  " + describe(key, messages[key]) for key in missing)
	)
