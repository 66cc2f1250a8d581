"""Building blocks for people in the sales hierarchy: a user, their Employee, their Sales Person.

Shared by the demo-data command and the test factories so both build the same shapes.
The hierarchy is ERPNext's Sales Person tree; a person's user comes from Employee.user_id.
"""

import frappe
from frappe.utils import add_years, getdate, nowdate

ROOT_SALES_PERSON = "Sales Team"  # created by ERPNext's install


def make_user(email: str, first_name: str, roles: list[str], language: str | None = None, password=None):
	if frappe.db.exists("User", email):
		return frappe.get_doc("User", email)
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": first_name,
			"send_welcome_email": 0,
			"language": language,
			"user_type": "System User",
			"roles": [{"role": r} for r in roles],
		}
	)
	if password:
		user.new_password = password
	user.flags.no_welcome_mail = True
	user.insert(ignore_permissions=True)
	return user


def make_employee(user: str | None, first_name: str, company: str, joined=None, gender="Male"):
	employee = frappe.get_doc(
		{
			"doctype": "Employee",
			"first_name": first_name,
			"gender": gender,
			"date_of_birth": add_years(getdate(nowdate()), -30),
			"date_of_joining": joined or add_years(getdate(nowdate()), -1),
			"company": company,
			"status": "Active",
			"user_id": user,
		}
	)
	employee.insert(ignore_permissions=True)
	return employee


def make_sales_person(name: str, parent: str | None = None, employee: str | None = None, is_group=False):
	if frappe.db.exists("Sales Person", name):
		return frappe.get_doc("Sales Person", name)
	sp = frappe.get_doc(
		{
			"doctype": "Sales Person",
			"sales_person_name": name,
			"parent_sales_person": parent or ROOT_SALES_PERSON,
			"is_group": 1 if is_group else 0,
			"employee": employee,
			"enabled": 1,
		}
	)
	sp.insert(ignore_permissions=True)
	return sp


def make_person(
	name: str,
	email: str,
	company: str,
	parent: str | None = None,
	roles=("Sales User",),
	is_group=False,
	language=None,
	password=None,
	joined=None,
):
	"""User + Employee + Sales Person in one call; returns the Sales Person."""
	user = make_user(email, name, list(roles), language=language, password=password)
	employee = make_employee(user.name, name, company, joined=joined)
	return make_sales_person(name, parent=parent, employee=employee.name, is_group=is_group)


def default_company() -> str:
	return frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")
