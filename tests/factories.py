"""Faker-backed builders for test data on the real site. Everything they create lives in the
test's transaction and is rolled back with it."""

from faker import Faker

import frappe

from sales_process.setup.org import default_company, make_person, make_user


class Factory:
	def __init__(self, seed: int | None = None):
		self.fake = Faker(["en_US", "zh_CN"])
		if seed is not None:
			self.fake.seed_instance(seed)
		self.company = default_company()

	def unique(self, prefix: str) -> str:
		return f"{prefix} {self.fake.unique.pystr(min_chars=8, max_chars=8)}"

	def email(self) -> str:
		return f"{self.fake.unique.user_name()}.{frappe.generate_hash(length=6)}@test.example.com"

	def user(self, roles=("Sales User",), language=None) -> str:
		return make_user(self.email(), self.fake["en_US"].first_name(), list(roles), language=language).name

	def sales_person(self, parent: str | None = None, roles=("Sales User",), is_group=True, joined=None):
		"""A Sales Person with a user and an employee. Groups by default so children can hang below."""
		name = self.unique(self.fake["en_US"].name())
		return make_person(
			name, self.email(), self.company, parent=parent, roles=roles, is_group=is_group, joined=joined
		)

	def tree(self, depth: int = 3, width: int = 2, parent: str | None = None) -> dict[str, list[str]]:
		"""A Sales Person subtree; returns {sales person: [its direct children]}."""
		root = self.sales_person(parent=parent)
		tree = {root.name: []}
		level = [root.name]
		for _ in range(depth - 1):
			nxt = []
			for p in level:
				for _ in range(width):
					child = self.sales_person(parent=p).name
					tree[p].append(child)
					tree[child] = []
					nxt.append(child)
			level = nxt
		return tree

	def customer(self, **fields) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": fields.pop("customer_name", None) or self.unique(self.fake.company()),
				"customer_type": "Company",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
				**fields,
			}
		)
		return doc.insert(ignore_permissions=True).name

	def service_item(self) -> str:
		"""A sales item (not stocked) for quotations and orders."""
		item = self.unique("Service")
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item,
				"item_name": item,
				"item_group": "Services",
				"stock_uom": "Nos",
				"is_stock_item": 0,
				"is_sales_item": 1,
			}
		).insert(ignore_permissions=True)
		return item

	@staticmethod
	def user_of(sales_person: str) -> str:
		employee = frappe.db.get_value("Sales Person", sales_person, "employee")
		return frappe.db.get_value("Employee", employee, "user_id")

	def team(self) -> frappe._dict:
		"""head ─ lead ─ rep, rep2 (lead and head are groups); head hangs under the tree root."""
		head = self.sales_person().name
		lead = self.sales_person(parent=head).name
		rep = self.sales_person(parent=lead, is_group=False).name
		rep2 = self.sales_person(parent=lead, is_group=False).name
		return frappe._dict(head=head, lead=lead, rep=rep, rep2=rep2)

	def opportunity(
		self, sales_person: str, customer: str | None = None, **fields
	) -> "frappe.model.document.Document":
		"""An opportunity entered by the user behind `sales_person` (so O1 sets the owner)."""
		from frappe.utils import add_days, today

		previous = frappe.session.user
		frappe.set_user(self.user_of(sales_person))
		try:
			doc = frappe.get_doc(
				{
					"doctype": "Sales Opportunity",
					"customer": customer or self.customer(),
					"company": self.company,
					"amount": fields.pop("amount", 10000),
					"expected_close_date": fields.pop("expected_close_date", add_days(today(), 60)),
					**fields,
				}
			).insert()
		finally:
			frappe.set_user(previous)
		return doc


OPPORTUNITY_COLUMNS = [
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"naming_series",
	"customer",
	"customer_name",
	"company",
	"status",
	"sales_person",
	"stage",
	"stage_entered_at",
	"stage_due_at",
	"probability",
	"amount",
	"currency",
	"expected_close_date",
	"territory",
	"customer_group",
	"lost_requested",
]


def bulk_opportunities(rows: list[dict]) -> None:
	"""Insert Sales Opportunity rows in one statement (test and benchmark data, skipping the
	controller on purpose). Each dict names the fields it sets; the rest take plain defaults."""
	now = frappe.utils.now_datetime()
	defaults = {
		"creation": now,
		"modified": now,
		"owner": "Administrator",
		"modified_by": "Administrator",
		"naming_series": "SOPP-.YYYY.-",
		"company": frappe.defaults.get_global_default("company"),
		"status": "Open",
		"probability": 10,
		"currency": "CNY",
		"expected_close_date": "2030-01-01",
		"lost_requested": 0,
	}
	frappe.db.bulk_insert(
		"Sales Opportunity",
		OPPORTUNITY_COLUMNS,
		[
			tuple({**defaults, "customer_name": r.get("customer"), **r}.get(c) for c in OPPORTUNITY_COLUMNS)
			for r in rows
		],
	)
