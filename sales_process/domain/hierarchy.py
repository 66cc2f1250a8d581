"""The sales hierarchy (ERPNext's Sales Person tree) and the data scope it implies (A1).

A user's Sales Person is the enabled Sales Person whose Employee has that user_id. A user
sees and edits records of their Sales Person and every descendant (any depth, via the nested
set lft/rgt). Managers (SCOPE_FREE_ROLES) see everything.

The scope is decided once, by `scope_of`, as a `Scope`; every form of it derives from that value:
the permission_query_conditions SQL (`Scope.condition`), the check of one document
(`Scope.contains`) and the reports' frappe.qb criteria (`Scope.criterion`, `Scope.apply`). A
report's "sales person (with subtree)" filter is a `Scope` too (`subtree_filter`), so a filter
and the scope select along the tree the same way.
"""

from dataclasses import dataclass

from pypika.terms import LiteralValue, ValueWrapper

import frappe
from frappe import _
from frappe.utils.caching import request_cache

from sales_process.domain import settings

SCOPE_FREE_ROLES = frozenset({"Sales Manager", "System Manager"})


@dataclass(frozen=True)
class Scope:
	"""The records a scope lets through, by the Sales Person (or other tree node) they belong to:
	all of them (`unrestricted`), or the nodes of `tree` whose nested-set bounds lie within
	`lft`..`rgt` (one subtree). An empty range (lft > rgt, as in NOBODY) lets nothing through."""

	lft: int = 1
	rgt: int = 0
	unrestricted: bool = False
	tree: str = "Sales Person"

	@property
	def empty(self) -> bool:
		return not self.unrestricted and self.lft > self.rgt

	def contains(self, node: str | None) -> bool:
		"""Whether a record of `node` is in scope (the has_permission check of one document)."""
		if self.unrestricted:
			return True
		inner = bounds(node, self.tree) if node else None
		return bool(inner) and self.lft <= inner[0] and inner[1] <= self.rgt

	def members(self):
		"""The names of the nodes in scope, as a subquery (not for an unrestricted scope)."""
		node = frappe.qb.DocType(self.tree)
		return frappe.qb.from_(node).select(node.name).where(within(node, self.lft, self.rgt))

	def criterion(self, field):
		"""`field` (a column linking to `tree`) in scope, as a frappe.qb criterion; None when
		unrestricted."""
		if self.unrestricted:
			return None
		if self.empty:
			return ValueWrapper(1) == 0
		return field.isin(self.members())

	def apply(self, query, field):
		"""query.where(criterion) when restricted; the query unchanged otherwise."""
		criterion = self.criterion(field)
		return query if criterion is None else query.where(criterion)

	def condition(self, column) -> str:
		"""The criterion as SQL (for permission_query_conditions); "" when unrestricted. `column` is
		a frappe.qb field or an SQL column such as "`tabX`.`sales_person`"."""
		return sql(self.criterion(LiteralValue(column) if isinstance(column, str) else column))


def within(node, lft, rgt):
	"""`node` (a tree table) lies in the subtree bounded by `lft`..`rgt`: numbers (one subtree), or
	another tree table's columns, which joins each node to every ancestor of it (set-based
	roll-ups)."""
	return (node.lft >= lft) & (node.rgt <= rgt)


EVERYONE = Scope(unrestricted=True)
NOBODY = Scope()


def sql(criterion) -> str:
	"""A frappe.qb criterion as an SQL condition, bracketed so that Frappe can "and" it with its
	own; "" for None (no restriction)."""
	if criterion is None:
		return ""
	return f"({criterion.get_sql(with_namespace=True, quote_char='`')})"


def scope_of(user: str | None = None) -> Scope:
	"""The data scope of `user` (A1), decided here only: the Administrator and managers see
	everyone; anyone else their Sales Person's subtree, and nothing without a Sales Person."""
	user = user or frappe.session.user
	if is_scope_free(user):
		return EVERYONE
	return subtree_scope(sales_person_of(user))


def subtree_scope(node: str | None, tree: str = "Sales Person") -> Scope:
	"""`node` and everything below it in `tree`; NOBODY when there is no such node."""
	limits = bounds(node, tree) if node else None
	return Scope(limits[0], limits[1], tree=tree) if limits else NOBODY


def subtree_filter(field, node: str | None, tree: str = "Sales Person"):
	"""A report filter "this node, with its subtree" on `field`, as a criterion; None without a
	filter. An unknown node is an error, not an empty report."""
	if not node:
		return None
	if not bounds(node, tree):
		frappe.throw(_("{0} {1} does not exist.").format(_(tree), node), frappe.DoesNotExistError)
	return subtree_scope(node, tree).criterion(field)


def visibility_scope(setting: str, user: str | None = None) -> Scope:
	"""The scope of a visibility setting (A3, L6): everyone when it is "Company", otherwise
	("Hierarchy") the user's data scope."""
	return EVERYONE if settings.get(setting) == "Company" else scope_of(user)


def people():
	"""(query, sp, emp): Sales Persons joined to their Employee, whose user_id is the person's user."""
	sp = frappe.qb.DocType("Sales Person")
	emp = frappe.qb.DocType("Employee")
	return frappe.qb.from_(sp).join(emp).on(sp.employee == emp.name), sp, emp


@request_cache
def sales_person_of(user: str | None = None) -> str | None:
	user = user or frappe.session.user
	query, sp, emp = people()
	rows = (
		query.select(sp.name).where((emp.user_id == user) & (sp.enabled == 1)).orderby(sp.lft).limit(1).run()
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
	query, sp, emp = people()
	return dict(query.select(sp.name, emp.user_id).where(sp.name.isin(names) & emp.user_id.isnotnull()).run())


def is_scope_free(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or bool(SCOPE_FREE_ROLES.intersection(frappe.get_roles(user)))


@request_cache
def bounds(node: str, tree: str = "Sales Person") -> tuple[int, int] | None:
	"""The nested-set (lft, rgt) of a node of `tree`; None when it does not exist."""
	row = frappe.db.get_value(tree, node, ["lft", "rgt"])
	return (row[0], row[1]) if row else None


def is_within(sales_person: str | None, ancestor: str | None) -> bool:
	"""True if `sales_person` is `ancestor` or one of its descendants."""
	return subtree_scope(ancestor).contains(sales_person)


def is_strictly_below(sales_person: str | None, ancestor: str | None) -> bool:
	return sales_person != ancestor and is_within(sales_person, ancestor)


def superior_of(sales_person: str) -> str | None:
	return frappe.db.get_value("Sales Person", sales_person, "parent_sales_person") or None


def subtree(sales_person: str) -> list[str]:
	scope = subtree_scope(sales_person)
	return [] if scope.empty else scope.members().run(pluck=True)


def has_subordinates(sales_person: str | None) -> bool:
	if not sales_person:
		return False
	lft, rgt = bounds(sales_person) or (0, 0)
	return rgt - lft > 1


# The public forms of the user's scope, each derived from `scope_of`.


def scope_condition(column: str, user: str | None = None) -> str:
	"""SQL condition restricting `column` (a Sales Person link, e.g. "`tabX`.`sales_person`") to
	the user's scope; "" when unrestricted."""
	return scope_of(user).condition(column)


def in_scope(sales_person: str | None, user: str | None = None) -> bool:
	return scope_of(user).contains(sales_person)


def scope_criterion(field, user: str | None = None):
	"""The user's scope as a frappe.qb criterion on `field` (a Sales Person column); None when
	the user is unrestricted."""
	return scope_of(user).criterion(field)


def apply_scope(query, field, user: str | None = None):
	"""query.where(scope) when the user is restricted; the query unchanged otherwise."""
	return scope_of(user).apply(query, field)
