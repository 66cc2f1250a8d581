"""C3: the customer referral graph — trees with won amounts, within the user's data scope, no loops."""

import pytest

import frappe

from sales_process.api.referrals import get_referral_graph
from sales_process.domain import referrals


def won(factory, sales_person, customer, amount):
	opp = factory.opportunity(sales_person, customer=customer, amount=amount)
	frappe.db.set_value("Sales Opportunity", opp.name, "status", "Won")  # test data: skip the stages
	return opp.name


def refer(customer, referrer):
	doc = frappe.get_doc("Customer", customer)
	doc.referred_by = referrer
	doc.save(ignore_permissions=True)


@pytest.fixture
def chain(factory):
	"""A ─┬─ B ── C      (B and D referred by A, C by B)
	      └─ D
	C won 1000 (rep), B won 500 (rep2), A won 200 (rep) and has an open 9999 (not won)."""
	team = factory.team()
	a, b, c, d = (factory.customer() for _ in range(4))
	refer(b, a)
	refer(c, b)
	refer(d, a)
	won(factory, team.rep, c, 1000)
	won(factory, team.rep2, b, 500)
	won(factory, team.rep, a, 200)
	factory.opportunity(team.rep, customer=a, amount=9999)
	return frappe._dict(team=team, a=a, b=b, c=c, d=d)


def by_name(result):
	return {n["name"]: n for n in result["nodes"]}


def test_tree_with_network_amounts(chain):
	result = get_referral_graph(customer=chain.c)
	assert result["roots"] == [chain.a]
	nodes = by_name(result)
	assert set(nodes) == {chain.a, chain.b, chain.c, chain.d}
	assert [result["nodes"][0]["name"]] == [chain.a]  # depth first from the root
	assert {n: nodes[n]["depth"] for n in nodes} == {chain.a: 0, chain.b: 1, chain.c: 2, chain.d: 1}
	assert nodes[chain.b]["referred_by"] == chain.a and nodes[chain.c]["referred_by"] == chain.b
	assert nodes[chain.a]["won_amount"] == 200 and nodes[chain.a]["won_count"] == 1
	assert nodes[chain.a]["network_won_amount"] == 1700
	assert nodes[chain.b]["network_won_amount"] == 1500
	assert nodes[chain.d]["network_won_amount"] == 0
	assert nodes[chain.a]["referred_count"] == 2 and nodes[chain.a]["network_size"] == 4
	# the independent sum: every won opportunity of the tree's customers
	total = frappe.db.sql(
		"select sum(amount) from `tabSales Opportunity` where status='Won' and customer in %s",
		[tuple(nodes)],
	)[0][0]
	assert nodes[chain.a]["network_won_amount"] == total


def test_amounts_respect_the_data_scope(factory, chain):
	frappe.set_user(factory.user_of(chain.team.rep))
	nodes = by_name(get_referral_graph(customer=chain.a))
	frappe.set_user("Administrator")
	# rep2's 500 on B is outside rep's scope: the edge shows, the amount does not
	assert nodes[chain.b]["won_amount"] == 0
	assert nodes[chain.a]["network_won_amount"] == 1200
	frappe.set_user(factory.user_of(chain.team.lead))
	assert by_name(get_referral_graph(customer=chain.a))[chain.a]["network_won_amount"] == 1700


def test_loops_and_self_referral_are_refused(chain):
	for referrer in (chain.c, chain.a):  # C is below A; A itself
		doc = frappe.get_doc("Customer", chain.a)
		doc.referred_by = referrer
		with pytest.raises(frappe.ValidationError, match="referral chain"):
			doc.save(ignore_permissions=True)
	assert frappe.db.get_value("Customer", chain.a, "referred_by") in (None, "")


def test_whole_trees_are_cut_at_the_node_limit(factory, chain):
	won(factory, chain.team.rep, chain.d, 10**9)  # A's network is the most valuable on the site
	small = factory.customer()
	refer(factory.customer(), small)
	full = referrals.graph(node_limit=2000)
	assert chain.a in full["roots"] and small in full["roots"] and not full["truncated"]
	# 5 nodes: A's tree (4) fits, the small one (2) would overflow and is left out whole
	cut = referrals.graph(node_limit=5)
	assert cut["truncated"]
	assert cut["roots"][0] == chain.a and small not in cut["roots"]
	names = {n["name"] for n in cut["nodes"]}
	assert {chain.a, chain.b, chain.c, chain.d} <= names and len(names) <= 5
	# every kept tree is whole: each node's referrer is in the result, or it is a root
	assert all(n["referred_by"] in names or n["name"] in cut["roots"] for n in cut["nodes"])


def test_users_without_customer_access_are_refused(factory):
	frappe.set_user(factory.user(roles=("Projects User",)))  # no Customer permission at all
	with pytest.raises(frappe.PermissionError):
		get_referral_graph()
