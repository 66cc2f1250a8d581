"""The demo company (PRODUCT.md X3): fixed seed, zh_CN and en data, idempotent.

Run with `bench --site SITE sales-process-demo`; scripts/dev up calls it.
"""

import random

from faker import Faker

import frappe

from sales_process.setup.org import default_company, make_person

DEMO_MARKER = "销售总监 王强"  # the root of the demo hierarchy; present = demo already loaded
DEMO_PASSWORD = "demo-Sales-2026"

# (name, email, parent, is_group, roles, language)
HIERARCHY = [
	(DEMO_MARKER, "director@demo.example.com", None, True, ("Sales Manager", "Sales User"), "zh"),
	("华东经理 李娜", "east.manager@demo.example.com", DEMO_MARKER, True, ("Sales User",), "zh"),
	("华南经理 Mark Chen", "south.manager@demo.example.com", DEMO_MARKER, True, ("Sales User",), "en"),
	("上海组长 张伟", "sh.lead@demo.example.com", "华东经理 李娜", True, ("Sales User",), "zh"),
	("销售 刘洋", "liu.yang@demo.example.com", "上海组长 张伟", False, ("Sales User",), "zh"),
	("销售 陈静", "chen.jing@demo.example.com", "上海组长 张伟", False, ("Sales User",), "zh"),
	("销售 赵磊", "zhao.lei@demo.example.com", "华东经理 李娜", False, ("Sales User",), "zh"),
	("Sales Amy Wong", "amy.wong@demo.example.com", "华南经理 Mark Chen", False, ("Sales User",), "en"),
	("销售 孙鹏", "sun.peng@demo.example.com", "华南经理 Mark Chen", False, ("Sales User",), "zh"),
]


def make_demo(seed: int = 20261122, customers: int = 40):
	if frappe.db.exists("Sales Person", DEMO_MARKER):
		print("Demo data already present; nothing to do.")
		return
	random.seed(seed)
	fake_zh, fake_en = Faker("zh_CN"), Faker("en_US")
	fake_zh.seed_instance(seed)
	fake_en.seed_instance(seed)
	company = default_company()

	print(f"Demo: {len(HIERARCHY)} sales people")
	for name, email, parent, is_group, roles, language in HIERARCHY:
		make_person(
			name,
			email,
			company,
			parent=parent,
			roles=roles,
			is_group=is_group,
			language=language,
			password=DEMO_PASSWORD,
		)

	print(f"Demo: {customers} customers")
	for i in range(customers):
		fake = fake_zh if i % 4 else fake_en
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": fake.company(),
				"customer_type": "Company",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
			}
		).insert(ignore_permissions=True, ignore_if_duplicate=True)
	print(f"Demo users' password: {DEMO_PASSWORD}")
