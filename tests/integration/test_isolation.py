"""Each integration test runs in its own rolled-back transaction: what one test writes,
the next one never sees. The two tests run in file order."""

import frappe

NAME = "_isolation probe stage"


def test_1_write_a_record():
	frappe.get_doc(
		{"doctype": "Sales Process Stage", "stage_name": NAME, "sequence": 71, "probability": 50}
	).insert()
	assert frappe.db.exists("Sales Process Stage", NAME)


def test_2_the_record_is_gone():
	assert not frappe.db.exists("Sales Process Stage", NAME)
	assert not frappe.db.exists("Sales Process Stage", {"sequence": 71})


def test_factory_builds_a_sales_person_tree_with_users(factory):
	tree = factory.tree(depth=3, width=2)
	assert len(tree) == 1 + 2 + 4
	leaf = next(p for p, children in tree.items() if not children)
	employee = frappe.db.get_value("Sales Person", leaf, "employee")
	user = frappe.db.get_value("Employee", employee, "user_id")
	assert user and "Sales User" in frappe.get_roles(user)
	parent = frappe.db.get_value("Sales Person", leaf, "parent_sales_person")
	assert leaf in tree[parent]
