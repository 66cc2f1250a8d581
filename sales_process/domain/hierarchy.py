"""The sales hierarchy (ERPNext's Sales Person tree) and the data scope it implies (A1).

A user's Sales Person is the enabled Sales Person whose Employee has that user_id. A user
sees and edits records of their Sales Person and every descendant (any depth, via the nested
set lft/rgt). Managers (SCOPE_FREE_ROLES) see everything.
"""

import frappe
from frappe.utils.caching import request_cache

SCOPE_FREE_ROLES = frozenset({"Sales Manager", "System Manager"})


@request_cache
def sales_person_of(user: str | None = None) -> str | None:
	user = user or frappe.session.user
	sp = frappe.qb.DocType("Sales Person")
	emp = frappe.qb.DocType("Employee")
	rows = (
		frappe.qb.from_(sp)
		.join(emp)
		.on(sp.employee == emp.name)
		.select(sp.name)
		.where((emp.user_id == user) & (sp.enabled == 1))
		.orderby(sp.lft)
		.limit(1)
		.run()
	)
	return rows[0][0] if rows else None


@request_cache
def user_of(sales_person: str) -> str | None:
	"""The user behind a Sales Person (through its Employee), if any."""
	return users_of([sales_person]).get(sales_person)


def languages(users) -> dict[str, str]:
	"""User → language (the site default when unset), for many at once."""
	users = [u for u in set(users) if u]
	if not users:
		return {}
	rows = frappe.get_all("User", filters={"name": ("in", users)}, fields=["name", "language"])
	default = frappe.db.get_default("lang") or "en"
	return {r.name: r.language or default for r in rows}


def users_of(sales_persons) -> dict[str, str]:
	"""Sales Person → user, for many at once."""
	names = [s for s in set(sales_persons) if s]
	if not names:
		return {}
	sp = frappe.qb.DocType("Sales Person")
	emp = frappe.qb.DocType("Employee")
	rows = (
		frappe.qb.from_(sp)
		.join(emp)
		.on(sp.employee == emp.name)
		.select(sp.name, emp.user_id)
		.where(sp.name.isin(names) & emp.user_id.isnotnull())
		.run()
	)
	return dict(rows)


def is_scope_free(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or bool(SCOPE_FREE_ROLES.intersection(frappe.get_roles(user)))


@request_cache
def bounds(sales_person: str) -> tuple[int, int] | None:
	row = frappe.db.get_value("Sales Person", sales_person, ["lft", "rgt"])
	return (row[0], row[1]) if row else None


def is_within(sales_person: str | None, ancestor: str | None) -> bool:
	"""True if `sales_person` is `ancestor` or one of its descendants."""
	if not sales_person or not ancestor:
		return False
	inner, outer = bounds(sales_person), bounds(ancestor)
	return bool(inner and outer and inner[0] >= outer[0] and inner[1] <= outer[1])


def is_strictly_below(sales_person: str | None, ancestor: str | None) -> bool:
	return sales_person != ancestor and is_within(sales_person, ancestor)


def superior_of(sales_person: str) -> str | None:
	return frappe.db.get_value("Sales Person", sales_person, "parent_sales_person") or None


def subtree(sales_person: str) -> list[str]:
	lft, rgt = bounds(sales_person) or (0, -1)
	sp = frappe.qb.DocType("Sales Person")
	return [r[0] for r in frappe.qb.from_(sp).select(sp.name).where((sp.lft >= lft) & (sp.rgt <= rgt)).run()]


def has_subordinates(sales_person: str | None) -> bool:
	if not sales_person:
		return False
	lft, rgt = bounds(sales_person) or (0, 0)
	return rgt - lft > 1


def scope_condition(column: str, user: str | None = None) -> str:
	"""SQL condition restricting `column` (a Sales Person link, e.g. "`tabX`.`sales_person`") to
	the user's scope; "" when unrestricted. Used by permission_query_conditions and reports."""
	user = user or frappe.session.user
	if is_scope_free(user):
		return ""
	me = sales_person_of(user)
	if not me:
		return "1=0"
	lft, rgt = bounds(me)
	return (
		f"{column} in (select `name` from `tabSales Person` "
		f"where `lft` >= {int(lft)} and `rgt` <= {int(rgt)})"
	)


def in_scope(sales_person: str | None, user: str | None = None) -> bool:
	user = user or frappe.session.user
	if is_scope_free(user):
		return True
	return is_within(sales_person, sales_person_of(user))


def scope_criterion(field, user: str | None = None):
	"""The same scope as `scope_condition`, as a frappe.qb criterion on `field` (a Sales Person
	column); None when the user is unrestricted. For the analytics engine's queries."""
	user = user or frappe.session.user
	if is_scope_free(user):
		return None
	me = sales_person_of(user)
	if not me:
		from pypika.terms import ValueWrapper

		return ValueWrapper(1) == 0
	lft, rgt = bounds(me)
	sp = frappe.qb.DocType("Sales Person")
	return field.isin(frappe.qb.from_(sp).select(sp.name).where((sp.lft >= lft) & (sp.rgt <= rgt)))


def apply_scope(query, field, user: str | None = None):
	"""query.where(scope) when the user is restricted; the query unchanged otherwise."""
	criterion = scope_criterion(field, user)
	return query if criterion is None else query.where(criterion)
