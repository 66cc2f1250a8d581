"""Translation coverage: no site, no database, and nothing imported from frappe (or the app).

The extractor below walks `sales_process/` the way `bench get-untranslated` would
(frappe/translate.py, frappe/gettext/extractors/) and collects every string Frappe will look up at
run time:

* Python: the first argument of `_()`, `_lt()`, `frappe._()` and `frappe._lt()` when it is a string
  literal (parsed with `ast`; f-strings, variables and `%`/`+` expressions are skipped), plus the
  literal `label` / `description` / Select `options` of field-definition dicts (custom fields, report
  columns), which Frappe renders through `__()` although they are never wrapped in code.
* JS (`.js`, `.ts`, `.jsx`, `.tsx`, `.vue`): the first argument of `__()` when it is a `"..."`,
  `'...'` or `` `...` `` literal (template literals only without `${}`); commented-out lines are skipped.
* HTML templates: `_("...")` in Jinja and `__("...")` in microtemplates / inline scripts.
* JSON, by its "doctype" key: DocType (name, description, field labels and descriptions including
  section / tab / column breaks, Select options, connection groups), Report (name, column and filter
  labels), Workspace (label, charts, number cards, links, shortcuts, header / paragraph text),
  Number Card, Dashboard Chart, Dashboard and Page, and Custom Field fixture records.

Like Frappe, a string is only extracted when it contains an ASCII letter (so Chinese source text
never needs a zh row). A string used with a context (`_("Open", context="X")`, `__("Open", null, "X")`,
and DocType field labels and Select options, which the form looks up with their doctype as context)
is satisfied by a `source,translation,X` row or by a plain `source,translation` row. App translations
are merged over Frappe's and ERPNext's, so a plain row for a common word (Open, Company, Return)
changes it on every screen; give such a word a meaning of its own with a context row instead.

This test is meant to fail whenever someone adds a string without adding it to zh.csv: the failure
message lists every missing string with the file(s) it came from.

Run from the repository root:
	/root/sales-process-bench/env/bin/python -m pytest tests/unit/test_translations.py -q
"""

import ast
import csv
import json
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).parents[2]
APP_DIR = REPO_DIR / "sales_process"
TRANSLATIONS_DIR = APP_DIR / "translations"
ZH_CSV = TRANSLATIONS_DIR / "zh.csv"
EN_CSV = TRANSLATIONS_DIR / "en.csv"
FIXTURES_DIR = APP_DIR / "fixtures"

SKIP_DIRS = {"__pycache__", "node_modules", "dist", "build", ".git", "translations"}
JS_SUFFIXES = {".js", ".ts", ".jsx", ".tsx", ".vue"}
PY_FUNCTIONS = {"_", "_lt"}
# same exclusions as frappe/gettext/extractors/doctype.py
EXCLUDE_SELECT_OPTIONS = {
	"naming_series",
	"number_format",
	"float_precision",
	"currency_precision",
	"minimum_password_score",
}
# fixture fields whose Chinese master data en.csv must translate
FIXTURE_TEXT_FIELDS = ("stage_name", "criterion", "hint", "description", "activity_name", "reason_name")

PLACEHOLDER = re.compile(r"\{\s*(\d+)\s*\}")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# a string literal in JS ("..." / '...' / `...`) or in a Jinja expression ("..." / '...')
_DQ = r'"(?P<dq>(?:[^"\\\n]|\\.)*)"'
_SQ = r"'(?P<sq>(?:[^'\\\n]|\\.)*)'"
_BT = r"`(?P<bt>(?:[^`\\]|\\.)*)`"
JS_CALL = re.compile(rf"(?<![\w$.])__\(\s*(?:{_DQ}|{_SQ}|{_BT})", re.DOTALL)
JINJA_CALL = re.compile(rf"(?<![\w$.])_\(\s*(?:{_DQ}|{_SQ})", re.DOTALL)
PY_FALLBACK_CALL = re.compile(rf"(?<![\w$])(?:frappe\.)?_(?:lt)?\(\s*(?:{_DQ}|{_SQ})", re.DOTALL)
STRING_LITERAL = re.compile(rf"^(?:{_DQ}|{_SQ}|{_BT})$", re.DOTALL)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

Key = tuple[str, str | None]  # (source, context)


# ---------------------------------------------------------------------------------------------
# helpers


def is_translatable(text: str) -> bool:
	"""frappe.gettext.extractors.utils.is_translatable"""
	return bool(
		re.search("[a-zA-Z]", text)
		and not text.startswith("fa fa-")
		and not text.endswith("px")
		and not text.startswith("eval:")
	)


def unescape(body: str) -> str:
	"""Resolve backslash escapes of a JS / Jinja string literal body."""

	def replace(match: re.Match) -> str:
		escape = match.group(1)
		if escape[0] == "u":
			return chr(int(escape[1:].strip("{}"), 16))
		if escape[0] == "x" and len(escape) == 3:
			return chr(int(escape[1:], 16))
		if escape in ("\n", "\r\n"):  # line continuation
			return ""
		return _SIMPLE_ESCAPES.get(escape, escape)

	return _ESCAPE.sub(replace, body)


def literal_body(match: re.Match) -> str | None:
	"""The unescaped value of the string literal matched by _DQ / _SQ / _BT, None for `${}` templates."""
	groups = match.groupdict()
	if groups.get("bt") is not None:
		return None if "${" in groups["bt"] else unescape(groups["bt"])
	body = groups["dq"] if groups["dq"] is not None else groups["sq"]
	return unescape(body)


def line_of(text: str, pos: int) -> int:
	return text.count("\n", 0, pos) + 1


def following_args(code: str, pos: int, limit: int = 4000) -> list[str]:
	"""The raw arguments of the call whose first argument is a literal ending at `pos`.

	Item 0 is whatever follows that literal inside the first argument: "" when the argument is just
	the literal, something like `+ name` when it is an expression. [] when the call cannot be parsed.
	"""
	args: list[str] = []
	depth = 0
	current: list[str] = []
	quote = None
	i = pos
	end = min(len(code), pos + limit)
	while i < end:
		char = code[i]
		if quote:
			current.append(char)
			if char == "\\" and i + 1 < end:
				current.append(code[i + 1])
				i += 1
			elif char == quote:
				quote = None
		elif char in "\"'`":
			quote = char
			current.append(char)
		elif char in "([{":
			depth += 1
			current.append(char)
		elif char in ")]}":
			if depth == 0:
				if char == ")":
					args.append("".join(current).strip())
					return args
				return []
			depth -= 1
			current.append(char)
		elif char == "," and depth == 0:
			args.append("".join(current).strip())
			current = []
		else:
			current.append(char)
		i += 1
	return []


def string_arg(raw: str) -> str | None:
	match = STRING_LITERAL.match(raw.strip())
	return literal_body(match) if match else None


def is_commented_out(code: str, pos: int) -> bool:
	line_start = code.rfind("\n", 0, pos) + 1
	prefix = code[line_start:pos].lstrip()
	return prefix.startswith(("//", "/*", "*"))


def select_options(options: str) -> list[str]:
	return [option for option in options.split("\n") if option.strip() and not option.isdigit()]


def json_line(text: str, value: str) -> int | None:
	for encoded in (json.dumps(value, ensure_ascii=False), json.dumps(value)):
		pos = text.find(encoded)
		if pos >= 0:
			return line_of(text, pos)
	return None


# ---------------------------------------------------------------------------------------------
# extractors: each yields (line, message, context)

Found = Iterator[tuple[int | None, str, str | None]]


def _py_literal(node: ast.AST | None) -> str | None:
	if isinstance(node, ast.Constant) and isinstance(node.value, str):
		return node.value
	return None


def _is_translate_call(node: ast.Call) -> bool:
	func = node.func
	if isinstance(func, ast.Name):
		return func.id in PY_FUNCTIONS
	return (
		isinstance(func, ast.Attribute)
		and func.attr in PY_FUNCTIONS
		and isinstance(func.value, ast.Name)
		and func.value.id == "frappe"
	)


def _field_definition(node: ast.Dict) -> Found:
	"""Literal label / description / Select options of a dict that defines a field."""
	values = {
		key.value: value
		for key, value in zip(node.keys, node.values, strict=True)
		if isinstance(key, ast.Constant) and isinstance(key.value, str)
	}
	if "fieldname" not in values or "fieldtype" not in values:
		return
	for key in ("label", "description"):
		if text := _py_literal(values.get(key)):
			yield values[key].lineno, text, None
	if _py_literal(values["fieldtype"]) == "Select" and (options := _py_literal(values.get("options"))):
		for option in select_options(options):
			yield values["options"].lineno, option, None


def extract_python(code: str, path: Path) -> Found:
	try:
		tree = ast.parse(code, filename=str(path))
	except SyntaxError as e:
		warnings.warn(f"{path}: cannot parse ({e}); falling back to a regex scan", stacklevel=2)
		for match in PY_FALLBACK_CALL.finditer(code):
			if (message := literal_body(match)) is not None:
				yield line_of(code, match.start()), message, None
		return

	for node in ast.walk(tree):
		if isinstance(node, ast.Dict):
			yield from _field_definition(node)
		if not (isinstance(node, ast.Call) and _is_translate_call(node) and node.args):
			continue
		message = _py_literal(node.args[0])
		if message is None:
			continue
		# frappe._(msg, lang=None, context=None)
		context = _py_literal(node.args[2]) if len(node.args) >= 3 else None
		for keyword in node.keywords:
			if keyword.arg == "context":
				context = _py_literal(keyword.value)
		yield node.lineno, message, context or None


def extract_js(code: str) -> Found:
	"""__("message"), __("message", [args]), __("message", null, "context")"""
	for match in JS_CALL.finditer(code):
		if is_commented_out(code, match.start()):
			continue
		message = literal_body(match)
		args = following_args(code, match.end())
		if message is None or (args and args[0]):  # a `${}` template or an expression such as "a" + b
			continue
		context = string_arg(args[2]) if len(args) >= 3 else None
		yield line_of(code, match.start()), message, context or None


def extract_html(code: str) -> Found:
	yield from extract_js(code)
	for match in JINJA_CALL.finditer(code):
		message = literal_body(match)
		args = following_args(code, match.end())
		if message is None or (args and args[0]):
			continue
		context = None
		for position, raw in enumerate(args):
			name, _, value = raw.partition("=")
			if value and name.strip() == "context":
				context = string_arg(value)
			elif position == 2 and not value:  # _(message, lang, context)
				context = string_arg(raw)
		yield line_of(code, match.start()), message, context or None


def _doctype(data: dict) -> Iterator[str | tuple[str, str, str | None]]:
	"""The form translates labels (tabs aside) and Select options as `__(text, null, doctype)`, so
	those are extracted with the doctype as context: a plain row or a row with that context will do."""
	doctype = data.get("name")
	yield doctype
	yield data.get("description")
	for field in data.get("fields") or []:
		label = field.get("label")
		yield (label, label, None if field.get("fieldtype") == "Tab Break" else doctype)
		yield field.get("description")
		options = field.get("options")
		if field.get("fieldtype") == "Select" and isinstance(options, str):
			if field.get("fieldname") in EXCLUDE_SELECT_OPTIONS:
				continue
			choices = select_options(options)
			if choices and "icon" in choices[0]:
				continue
			yield from ((choice, options, doctype) for choice in choices)
	for link in data.get("links") or []:
		yield link.get("group")


def _report(data: dict) -> Iterator[str]:
	yield data.get("report_name")
	for column in data.get("columns") or []:
		yield column.get("label")
	for report_filter in data.get("filters") or []:
		yield report_filter.get("label")


def _workspace(data: dict) -> Iterator[str]:
	yield data.get("label")
	for key in ("charts", "number_cards", "links", "shortcuts"):
		for item in data.get(key) or []:
			yield item.get("label")
			if key == "links":
				yield item.get("description")
			if key == "shortcuts":
				yield item.get("format")
	try:
		content = json.loads(data.get("content") or "[]")
	except ValueError:
		content = []
	for block in content if isinstance(content, list) else []:
		if isinstance(block, dict) and block.get("type") in ("header", "paragraph"):
			yield (block.get("data") or {}).get("text")


def _custom_field(data: dict) -> Iterator[str]:
	yield (data.get("label"), data.get("label"), data.get("dt"))
	yield data.get("description")
	if data.get("fieldtype") == "Select" and isinstance(data.get("options"), str):
		yield from ((choice, data["options"], data.get("dt")) for choice in select_options(data["options"]))


JSON_EXTRACTORS = {
	"DocType": _doctype,
	"Report": _report,
	"Workspace": _workspace,
	"Number Card": lambda data: [data.get("label")],
	"Dashboard Chart": lambda data: [data.get("chart_name")],
	"Dashboard": lambda data: [data.get("dashboard_name")],
	"Page": lambda data: [data.get("title")],
	"Custom Field": _custom_field,
}


def extract_json(code: str, path: Path) -> Found:
	try:
		data = json.loads(code)
	except ValueError as e:
		warnings.warn(f"{path}: not valid JSON ({e}); skipped", stacklevel=2)
		return
	# a document export is one dict; fixtures are lists of dicts
	for record in data if isinstance(data, list) else [data]:
		if not isinstance(record, dict) or record.get("doctype") not in JSON_EXTRACTORS:
			continue
		# an extractor yields the string, or (string, the JSON value to find its line by, context)
		for item in JSON_EXTRACTORS[record["doctype"]](record):
			text, anchor, context = item if isinstance(item, tuple) else (item, item, None)
			if isinstance(text, str) and text:
				yield json_line(code, anchor), text, context


# ---------------------------------------------------------------------------------------------


def source_files(app_dir: Path) -> Iterator[Path]:
	for path in sorted(app_dir.rglob("*")):
		if SKIP_DIRS.intersection(path.relative_to(app_dir).parts[:-1]) or not path.is_file():
			continue
		if path.name.endswith((".min.js", ".map")):
			continue
		yield path


def extract_messages(app_dir: Path = APP_DIR) -> dict[Key, list[str]]:
	"""{(message, context): ["sales_process/x.py:12", ...]} for every translatable string."""
	found: dict[Key, list[str]] = defaultdict(list)
	for path in source_files(app_dir):
		suffix = path.suffix
		if suffix not in {".py", ".json", ".html"} | JS_SUFFIXES:
			continue
		try:
			code = path.read_text(encoding="utf-8")
		except (OSError, UnicodeDecodeError) as e:  # deleted or half-written by someone else
			warnings.warn(f"{path}: unreadable ({e}); skipped", stacklevel=2)
			continue
		if suffix == ".py":
			items: Iterable = extract_python(code, path)
		elif suffix == ".json":
			items = extract_json(code, path)
		elif suffix == ".html":
			items = extract_html(code)
		else:
			items = extract_js(code)
		where = path.relative_to(app_dir.parent).as_posix()
		for line, message, context in items:
			if is_translatable(message):
				place = f"{where}:{line}" if line else where
				if place not in found[(message, context)]:
					found[(message, context)].append(place)
	return {key: sorted(places, key=_place_order) for key, places in found.items()}


def _place_order(place: str) -> tuple[str, int]:
	path, _, line = place.rpartition(":")
	return (path, int(line)) if line.isdigit() else (place, 0)


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
	"""(line number, row) for every row of a translation CSV, read the way frappe.translate does."""
	with path.open(encoding="utf-8", newline="") as csv_file:
		reader = csv.reader(csv_file)
		return [(reader.line_num, row) for row in reader]


def load_translations(path: Path) -> dict[Key, str]:
	"""{(source, context or None): translation}; later rows win, as in frappe.translate."""
	table: dict[Key, str] = {}
	for _line, row in read_rows(path):
		if len(row) in (2, 3):
			context = row[2] if len(row) == 3 and row[2] else None
			table[(row[0], context)] = row[1].strip()
	return table


def describe(key: Key, places: Iterable[str] = ()) -> str:
	message, context = key
	text = json.dumps(message, ensure_ascii=False)
	if context:
		text += f"  [context: {context}]"
	places = list(places)
	if places:
		text += "  <- " + ", ".join(places[:5]) + (f" (+{len(places) - 5} more)" if len(places) > 5 else "")
	return text


# ---------------------------------------------------------------------------------------------
# tests


def test_every_source_string_has_a_zh_translation():
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


@pytest.mark.parametrize("path", [ZH_CSV, EN_CSV], ids=lambda path: path.name)
def test_translation_csv_is_well_formed(path):
	assert path.exists(), f"{path} is missing"
	problems = []
	if path.read_bytes().startswith(b"\xef\xbb\xbf"):
		problems.append("line 1: starts with a byte-order mark; save as plain UTF-8")

	seen: dict[Key, tuple[int, str]] = {}
	for line, row in read_rows(path):
		if not row:
			continue  # a blank line; frappe ignores it
		if len(row) not in (2, 3):
			problems.append(f"line {line}: {len(row)} columns, expected source,translation[,context]: {row}")
			continue
		source, translation = row[0], row[1]
		key = (source, row[2] if len(row) == 3 and row[2] else None)
		if not source.strip():
			problems.append(f"line {line}: empty source")
		if not translation.strip():
			problems.append(f"line {line}: empty translation for {describe(key)}")
		if key in seen and seen[key][1] != translation:
			first_line, first = seen[key]
			problems.append(
				f"line {line}: {describe(key)} is translated as {translation!r} "
				f"but line {first_line} already has {first!r}"
			)
		seen.setdefault(key, (line, translation))

	assert not problems, f"{path.relative_to(REPO_DIR)} is malformed:\n" + "\n".join(
		"  " + problem for problem in problems
	)


@pytest.mark.parametrize("path", [ZH_CSV, EN_CSV], ids=lambda path: path.name)
def test_translations_keep_the_placeholders(path):
	problems = []
	for line, row in read_rows(path):
		if len(row) not in (2, 3) or not row[1].strip():
			continue
		expected = set(PLACEHOLDER.findall(row[0]))
		actual = set(PLACEHOLDER.findall(row[1]))
		if expected != actual:
			want = ", ".join(f"{{{n}}}" for n in sorted(expected, key=int)) or "none"
			got = ", ".join(f"{{{n}}}" for n in sorted(actual, key=int)) or "none"
			problems.append(f"line {line}: {row[0]!r} -> {row[1]!r}: placeholders {got}, expected {want}")

	assert not problems, f"{path.relative_to(REPO_DIR)}: translations change the placeholders:\n" + "\n".join(
		"  " + problem for problem in problems
	)


def _records(node) -> Iterator[dict]:
	"""Every dict in a fixture file, child-table rows included."""
	if isinstance(node, dict):
		yield node
		for value in node.values():
			yield from _records(value)
	elif isinstance(node, list):
		for item in node:
			yield from _records(item)


def test_en_csv_translates_the_chinese_master_data_in_fixtures():
	en = load_translations(EN_CSV)
	missing: dict[Key, list[str]] = defaultdict(list)
	for path in sorted(FIXTURES_DIR.glob("*.json")):
		code = path.read_text(encoding="utf-8")
		where = path.relative_to(REPO_DIR).as_posix()
		for record in _records(json.loads(code)):
			for field in FIXTURE_TEXT_FIELDS:
				value = record.get(field)
				if isinstance(value, str) and CJK.search(value) and not en.get((value, None)):
					line = json_line(code, value)
					place = f"{where}:{line} ({field})" if line else f"{where} ({field})"
					if place not in missing[(value, None)]:
						missing[(value, None)].append(place)

	assert not missing, (
		f"{len(missing)} Chinese fixture strings have no English translation in "
		f"{EN_CSV.relative_to(REPO_DIR)}:\n"
		+ "\n".join("  " + describe(key, missing[key]) for key in sorted(missing))
	)
