"""Multi-row inserts for set-based jobs and generators.

Frappe 15 names `autoincrement` doctypes from a MariaDB SEQUENCE (`<doctype>_id_seq`) one
`SELECT nextval()` at a time; frappe.db.bulk_insert cannot fill `name` for them. NEXTVAL() inside
the VALUES list numbers every row in the same single statement.
"""

import frappe
from frappe import scrub

CHUNK = 2000


def insert_autoincrement(doctype: str, fields: list[str], rows: list[tuple]) -> int:
	"""INSERT rows into an autoincrement doctype's table, `name` taken from its sequence."""
	if not rows:
		return 0
	sequence = f"`{scrub(doctype + '_id_seq')}`"
	columns = ", ".join(f"`{f}`" for f in ["name", *fields])
	row_sql = f"(nextval({sequence}), {', '.join(['%s'] * len(fields))})"
	for start in range(0, len(rows), CHUNK):
		chunk = rows[start : start + CHUNK]
		# nosemgrep: frappe-using-db-sql -- one multi-row INSERT with the doctype's sequence; frappe.qb has no equivalent
		frappe.db.sql(
			f"insert into `tab{doctype}` ({columns}) values {', '.join([row_sql] * len(chunk))}",
			[v for row in chunk for v in row],
		)
	return len(rows)
