"""Multi-row inserts for set-based jobs and generators.

Plain `%s` parameters: frappe.db.bulk_insert builds one frappe.qb term per value, which for
thousands of rows costs more than the statement itself. Frappe 15 names `autoincrement` doctypes
from a MariaDB SEQUENCE (`<doctype>_id_seq`) one `SELECT nextval()` at a time, and bulk_insert
cannot fill `name` for them; NEXTVAL() inside the VALUES list numbers every row in the same
single statement.
"""

import frappe
from frappe import scrub

CHUNK = 2000


def insert_rows(doctype: str, fields: list[str], rows: list[tuple]) -> int:
	"""INSERT rows (tuples in the order of `fields`) into the doctype's table."""
	return _insert(doctype, fields, rows, "")


def insert_autoincrement(doctype: str, fields: list[str], rows: list[tuple]) -> int:
	"""INSERT rows into an autoincrement doctype's table, `name` taken from its sequence."""
	return _insert(doctype, fields, rows, f"nextval(`{scrub(doctype + '_id_seq')}`)")


def _insert(doctype: str, fields: list[str], rows: list[tuple], name_sql: str) -> int:
	if not rows:
		return 0
	columns = ", ".join(f"`{f}`" for f in (["name"] if name_sql else []) + fields)
	row_sql = f"({', '.join(([name_sql] if name_sql else []) + ['%s'] * len(fields))})"
	for start in range(0, len(rows), CHUNK):
		chunk = rows[start : start + CHUNK]
		# nosemgrep: frappe-using-db-sql -- one multi-row INSERT with plain parameters (see above); frappe.qb has no equivalent
		frappe.db.sql(
			f"insert into `tab{doctype}` ({columns}) values {', '.join([row_sql] * len(chunk))}",
			[v for row in chunk for v in row],
		)
	return len(rows)


def series_names(doctype: str, count: int) -> list[str]:
	"""`count` new names from the doctype's default naming series, reserved with one UPDATE of
	its `tabSeries` counter (the row lock is held until commit, as getseries does one at a time)."""
	from frappe.model.naming import parse_naming_series

	series = frappe.get_meta(doctype).get_field("naming_series").options.split("\n")[0]
	taken = {}

	def reserve(prefix, digits):
		# nosemgrep: frappe-using-db-sql -- the series counter's locking read, as Frappe's getseries does
		row = frappe.db.sql("select current from `tabSeries` where name=%s for update", prefix)
		if row:
			# nosemgrep: frappe-using-db-sql -- one UPDATE reserves the whole block
			frappe.db.sql("update `tabSeries` set current = current + %s where name=%s", (count, prefix))
		else:
			# nosemgrep: frappe-using-db-sql -- a new series row, as Frappe's getseries writes it
			frappe.db.sql("insert into `tabSeries` (name, current) values (%s, %s)", (prefix, count))
		taken.update(prefix=prefix, start=(row[0][0] or 0) if row else 0, digits=digits)
		return ""

	if not count:
		return []
	parse_naming_series(series + ("" if "#" in series else ".#####"), number_generator=reserve)
	p, start, digits = taken["prefix"], taken["start"], taken["digits"]
	return [f"{p}{n:0{digits}d}" for n in range(start + 1, start + count + 1)]
