"""Committed data for tests that go through the HTTP server (the server cannot see a test's
uncommitted transaction). Built once per session with unique names; everything it made, and
the opportunities made for its customers, is removed by name at the end."""

from faker import Faker

import frappe

from sales_process.domain import stage_history
from sales_process.setup.org import default_company, make_person, make_user


class World:
	"""Sales Team
	└─ head            (group)
	   ├─ lead_a       (group)  ── rep_a1, rep_a2
	   └─ lead_b       (group)  ── rep_b1
	plus: manager (Sales Manager, no Sales Person), accountant (Accounts User), outsider (no sales role)
	"""

	PEOPLE = (
		("head", None),
		("lead_a", "head"),
		("lead_b", "head"),
		("rep_a1", "lead_a"),
		("rep_a2", "lead_a"),
		("rep_b1", "lead_b"),
	)

	def __init__(self, server):
		self.server = server
		self.fake = Faker("en_US")
		self.tag = frappe.generate_hash(length=6)
		self.company = default_company()
		self.sp: dict[str, str] = {}
		self.users: dict[str, str] = {}
		self.clients = {}
		self.customers: list[str] = []
		self.employees: list[str] = []
		for key, parent in self.PEOPLE:
			email = f"{key}.{self.tag}@world.example.com"
			is_group = key in ("head", "lead_a", "lead_b")
			sp = make_person(
				f"{key} {self.tag}",
				email,
				self.company,
				parent=self.sp.get(parent),
				is_group=is_group,
			)
			self.sp[key] = sp.name
			self.users[key] = email
			self.employees.append(sp.employee)
		for key, roles in (
			("manager", ["Sales Manager", "Sales User"]),
			("accountant", ["Accounts User"]),
			("outsider", ["Stock User"]),
		):
			email = f"{key}.{self.tag}@world.example.com"
			make_user(email, key, roles)
			self.users[key] = email
		self.users["admin"] = "Administrator"
		keys = {user: self._api_keys(user) for user in self.users.values()}
		frappe.db.commit()
		from tests.integration.rest import Client

		for key, user in self.users.items():
			self.clients[key] = Client(server, user, *keys[user])

	@staticmethod
	def _api_keys(user: str) -> tuple[str, str]:
		doc = frappe.get_doc("User", user)
		api_key = doc.api_key or frappe.generate_hash(length=15)
		api_secret = frappe.generate_hash(length=15)
		frappe.db.set_value("User", user, {"api_key": api_key, "api_secret": api_secret})
		from frappe.utils.password import set_encrypted_password

		set_encrypted_password("User", user, api_secret, "api_secret")
		return api_key, api_secret

	def __getitem__(self, key: str):
		return self.clients[key]

	def customer(self, **fields) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": fields.pop("customer_name", None)
				or f"{self.fake.company()} {self.tag} {len(self.customers)}",
				"customer_type": "Company",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
				**fields,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.customers.append(doc.name)
		return doc.name

	def opportunity_doc(self, customer: str, **fields) -> dict:
		return {
			"customer": customer,
			"company": self.company,
			"amount": 10000,
			"expected_close_date": frappe.utils.add_days(frappe.utils.today(), 30),
			**fields,
		}

	def teardown(self):
		remove_committed(
			self.customers,
			[self.sp[key] for key, _parent in reversed(self.PEOPLE)],
			self.employees,
			[u for u in self.users.values() if u != "Administrator"],
		)


def remove_committed(customers: list[str], sales_persons: list[str], employees: list[str], users: list[str]):
	"""Delete what a test committed: the customers and everything made for them (opportunities and
	their history, daily logs, help alerts and the experience they produced), then the people
	(sales persons leaf first, employees, users) and what their logins left behind. Plain deletes
	for the app's records: the experience entry and the histories refuse delete_doc by design."""
	# another process renumbering the Sales Person tree (nested set) can deadlock with us
	for attempt in range(3):
		try:
			return _remove_committed(customers, sales_persons, employees, users)
		except frappe.QueryDeadlockError:
			frappe.db.rollback()
			if attempt == 2:
				raise


def _remove_committed(customers, sales_persons, employees, users):
	frappe.db.rollback()
	in_customers = ("in", customers or [""])
	opps = frappe.get_all("Sales Opportunity", {"customer": in_customers}, pluck="name")
	# K8: an alert raised on a customer has no opportunity
	alerts = frappe.get_all(
		"Help Alert",
		or_filters={"opportunity": ("in", opps or [""]), "customer": in_customers},
		pluck="name",
	)
	logs = frappe.get_all("Sales Daily Log", {"customer": in_customers}, pluck="name")
	entries = frappe.get_all("Experience Entry", {"source_help_alert": ("in", alerts or [""])}, pluck="name")
	documents = opps + alerts + logs + entries
	if documents:
		frappe.db.delete("Notification Log", {"document_name": ("in", documents)})
		frappe.db.delete("Version", {"docname": ("in", documents)})
		frappe.db.delete("Comment", {"reference_name": ("in", documents)})
	if entries:
		frappe.db.delete("Experience Entry", {"name": ("in", entries)})
	if alerts:
		frappe.db.delete("Help Alert Response", {"parent": ("in", alerts)})
		frappe.db.delete("Help Alert", {"name": ("in", alerts)})
	if logs:
		frappe.db.delete("Sales Daily Log Activity", {"parent": ("in", logs)})
		frappe.db.delete("Sales Daily Log", {"name": ("in", logs)})
	if opps:
		frappe.db.delete("Opportunity Stage Log", {"opportunity": ("in", opps)})
		stage_history.forget(opps)  # the summary and its part of the stage totals
		frappe.db.delete("Sales Opportunity", {"name": ("in", opps)})
	if users:
		frappe.db.delete("Notification Log", {"for_user": ("in", users)})
		# what logging in through /login leaves behind
		frappe.db.delete("Sessions", {"user": ("in", users)})
		frappe.db.delete("Activity Log", {"user": ("in", users)})
		frappe.db.delete("Route History", {"user": ("in", users)})
	frappe.flags.in_test = True
	for customer in customers:
		frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
	for sales_person in sales_persons:
		frappe.delete_doc("Sales Person", sales_person, force=True, ignore_permissions=True)
	for employee in employees:
		frappe.delete_doc("Employee", employee, force=True, ignore_permissions=True)
	for user in users:
		frappe.delete_doc("User", user, force=True, ignore_permissions=True)
	frappe.db.commit()
