"""The people of the browser tests, committed with unique names and removed at the end.

Sales Team
└─ lead    (group, the team)  ── rep (the salesperson), colleague
plus manager (Sales Manager, no Sales Person). Everyone logs in with a password.
"""

import frappe

from sales_process.setup.org import default_company, make_person, make_user


class Cast:
	PEOPLE = (("lead", None), ("rep", "lead"), ("colleague", "lead"))

	def __init__(self):
		frappe.db.rollback()
		self.tag = frappe.generate_hash(length=6)
		self.password = f"E2e-{frappe.generate_hash(length=12)}!"
		self.company = default_company()
		self.users: dict[str, str] = {}
		self.sp: dict[str, str] = {}
		self.employees: list[str] = []
		self.customers: list[str] = []
		# another process renumbering the Employee / Sales Person trees (nested sets) can deadlock
		# with us: the whole build is one transaction, so roll back and build again
		for attempt in range(3):
			try:
				return self._build()
			except frappe.QueryDeadlockError:
				frappe.db.rollback()
				for built in (self.sp, self.users, self.employees, self.customers):
					built.clear()
				if attempt == 2:
					raise
			except Exception:
				self.teardown()
				raise

	def _build(self):
		for key, parent in self.PEOPLE:
			email = f"e2e-{key}.{self.tag}@e2e.example.com"
			sp = make_person(
				f"E2E {key} {self.tag}",
				email,
				self.company,
				parent=self.sp.get(parent),
				is_group=key == "lead",
				language="en",
				password=self.password,
			)
			self.sp[key] = sp.name
			self.users[key] = email
			self.employees.append(sp.employee)
		email = f"e2e-manager.{self.tag}@e2e.example.com"
		make_user(email, f"E2E manager {self.tag}", ["Sales Manager", "Sales User"], "en", self.password)
		self.users["manager"] = email
		self.customer = self.make_customer(f"E2E Browser Customer {self.tag}")
		frappe.db.commit()

	def make_customer(self, name: str) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_type": "Company",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
			}
		).insert(ignore_permissions=True)
		self.customers.append(doc.name)
		return doc.name

	def set_language(self, key: str, language: str):
		frappe.db.set_value("User", self.users[key], "language", language)
		frappe.db.commit()
		frappe.clear_cache(user=self.users[key])

	def teardown(self):
		from tests.integration.world import remove_committed

		remove_committed(
			self.customers,
			[self.sp[key] for key, _parent in reversed(self.PEOPLE) if key in self.sp],
			self.employees,
			list(self.users.values()),
		)
