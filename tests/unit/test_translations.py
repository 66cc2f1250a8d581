"""The translation files: well formed, placeholders kept, Chinese master data translated to English.

No site, no database. That every translatable string of the app has a zh row is checked with Frappe's
own extractors in tests/integration/test_translations.py (X1), which uses the helpers below.

Run from the repository root: scripts/dev test tests/unit/test_translations.py -q
"""

import csv
import json
import re
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

# fixture fields whose Chinese master data en.csv must translate
FIXTURE_TEXT_FIELDS = ("stage_name", "criterion", "hint", "description", "activity_name", "reason_name")

PLACEHOLDER = re.compile(r"\{\s*(\d+)\s*\}")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

Key = tuple[str, str | None]  # (source, context)


def line_of(text: str, pos: int) -> int:
	return text.count("\n", 0, pos) + 1


def json_line(text: str, value: str) -> int | None:
	for encoded in (json.dumps(value, ensure_ascii=False), json.dumps(value)):
		pos = text.find(encoded)
		if pos >= 0:
			return line_of(text, pos)
	return None


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
