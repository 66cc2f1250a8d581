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
		# another process renumbering the Sales Person tree (nested set) can deadlock with us
		for attempt in range(3):
			try:
				return self._teardown()
			except frappe.QueryDeadlockError:
				frappe.db.rollback()
				if attempt == 2:
					raise

	def _teardown(self):
		frappe.db.rollback()
		customers = self.customers or [""]
		users = list(self.users.values()) or [""]
		opps = frappe.get_all("Sales Opportunity", {"customer": ("in", customers)}, pluck="name")
		alerts = frappe.get_all("Help Alert", {"opportunity": ("in", opps or [""])}, pluck="name")
		logs = frappe.get_all("Sales Daily Log", {"customer": ("in", customers)}, pluck="name")
		entries = frappe.get_all(
			"Experience Entry", {"source_help_alert": ("in", alerts or [""])}, pluck="name"
		)
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
			frappe.db.delete("Sales Opportunity", {"name": ("in", opps)})
		frappe.db.delete("Notification Log", {"for_user": ("in", users)})
		# what logging in through /login leaves behind
		frappe.db.delete("Sessions", {"user": ("in", users)})
		frappe.db.delete("Activity Log", {"user": ("in", users)})
		frappe.db.delete("Route History", {"user": ("in", users)})
		frappe.flags.in_test = True
		for customer in self.customers:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		for key, _parent in reversed(self.PEOPLE):
			if key in self.sp:
				frappe.delete_doc("Sales Person", self.sp[key], force=True, ignore_permissions=True)
		for employee in self.employees:
			frappe.delete_doc("Employee", employee, force=True, ignore_permissions=True)
		for user in self.users.values():
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()
