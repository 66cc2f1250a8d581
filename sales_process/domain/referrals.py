"""The customer referral graph (C3): who referred whom, with won amounts.

`Customer.referred_by` makes a forest (overrides.customer.validate_referral refuses loops). The
graph is read in two queries — the referral edges the user may read, and the won opportunities
of the customers in it within the user's data scope (A1), summed in SQL — and laid out as
trees: each node carries its own won amount and its whole network's (itself plus everyone it
brought in, directly or through others).
"""

import frappe
from frappe.query_builder.functions import Count, Sum
from frappe.utils import cint, flt

from sales_process.domain import hierarchy

DEFAULT_NODE_LIMIT = 300


def graph(customer: str | None = None, node_limit: int = DEFAULT_NODE_LIMIT, user: str | None = None) -> dict:
	user = user or frappe.session.user
	node_limit = max(1, min(cint(node_limit) or DEFAULT_NODE_LIMIT, 2000))
	# every customer with a referrer, through the permission-aware list (user permissions apply)
	edges = frappe.get_list(
		"Customer",
		filters={"referred_by": ("is", "set")},
		fields=["name", "customer_name", "referred_by"],
		limit_page_length=0,
		order_by="name asc",
	)
	parent = {e.name: e.referred_by for e in edges}
	children: dict[str, list[str]] = {}
	for e in edges:
		children.setdefault(e.referred_by, []).append(e.name)
	names = {e.name: e.customer_name for e in edges}
	referrers = sorted(set(parent.values()) - set(names))
	if referrers:
		for r in frappe.get_list(
			"Customer",
			filters={"name": ("in", referrers)},
			fields=["name", "customer_name"],
			limit_page_length=0,
		):
			names[r.name] = r.customer_name
	# a referrer the user may not read stays as a bare name: the edge itself is readable
	for r in referrers:
		names.setdefault(r, r)

	def root_of(name: str) -> str:
		seen = set()
		while name in parent and name not in seen:
			seen.add(name)
			name = parent[name]
		return name

	roots = sorted({root_of(n) for n in names})
	if customer:
		if customer not in names:
			return {"nodes": [], "roots": [], "truncated": False, "currency": _currency()}
		roots = [root_of(customer)]

	won = _won(list(names), user)
	trees = []
	for root in roots:
		members = _members(root, children)
		network = sum(won.get(m, (0, 0.0))[1] for m in members)
		trees.append((network, len(members), root, members))
	# the most valuable networks first; cut whole trees so no drawing is half a tree
	trees.sort(key=lambda t: (-t[0], -t[1], t[2]))
	nodes, kept_roots, truncated = [], [], False
	for _network, size, root, _tree in trees:
		if nodes and len(nodes) + size > node_limit:
			truncated = True
			continue
		kept_roots.append(root)
		nodes.extend(_tree_nodes(root, children, names, won))
	return {"nodes": nodes, "roots": kept_roots, "truncated": truncated, "currency": _currency()}


def _members(root: str, children: dict) -> list[str]:
	out, stack = [], [root]
	while stack:
		node = stack.pop()
		out.append(node)
		stack.extend(children.get(node, ()))
	return out


def _tree_nodes(root: str, children: dict, names: dict, won: dict) -> list[dict]:
	"""Depth-first rows with depth and network totals (children before the parent's total)."""
	rows: dict[str, dict] = {}
	order = []

	def visit(node: str, depth: int, referrer: str | None):
		count, amount = won.get(node, (0, 0.0))
		row = {
			"name": node,
			"customer_name": names.get(node) or node,
			"referred_by": referrer,
			"depth": depth,
			"won_count": count,
			"won_amount": amount,
			"referred_count": len(children.get(node, ())),
			"network_won_amount": amount,
			"network_size": 1,
		}
		rows[node] = row
		order.append(node)
		for child in sorted(children.get(node, ())):
			visit(child, depth + 1, node)
			row["network_won_amount"] += rows[child]["network_won_amount"]
			row["network_size"] += rows[child]["network_size"]

	visit(root, 0, None)
	for row in rows.values():
		row["network_won_amount"] = flt(row["network_won_amount"], 2)
	return [rows[n] for n in order]


def _won(customers: list[str], user: str) -> dict[str, tuple[int, float]]:
	"""Won opportunities per customer, within the user's data scope, summed in SQL."""
	if not customers:
		return {}
	opp = frappe.qb.DocType("Sales Opportunity")
	out = {}
	for i in range(0, len(customers), 1000):
		query = (
			frappe.qb.from_(opp)
			.select(opp.customer, Count(opp.name), Sum(opp.amount))
			.where((opp.status == "Won") & opp.customer.isin(customers[i : i + 1000]))
			.groupby(opp.customer)
		)
		for customer, count, amount in hierarchy.apply_scope(query, opp.sales_person, user).run():
			out[customer] = (cint(count), flt(amount, 2))
	return out


def _currency() -> str | None:
	return frappe.defaults.get_defaults().get("currency")
