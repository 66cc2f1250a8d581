"""A real Frappe site (MariaDB + Redis) for every integration test.

One connection for the session; each test runs in a transaction that is rolled back
afterwards, so nothing a test writes is seen by the next one (tests/integration/
test_isolation.py proves it). Tests must not commit.
"""

import os

import pytest

from tests.conftest import BENCH_DIR, TEST_SITE


@pytest.fixture(scope="session")
def site():
	import frappe

	cwd = os.getcwd()
	os.chdir(os.path.join(BENCH_DIR, "sites"))
	frappe.init(site=TEST_SITE, sites_path=".")
	frappe.connect()
	frappe.flags.in_test = True
	frappe.set_user("Administrator")
	yield frappe.local.site
	frappe.db.rollback()
	frappe.destroy()
	os.chdir(cwd)


@pytest.fixture(autouse=True)
def transaction(site):
	import frappe

	frappe.db.rollback()  # start clean even if a previous test failed half-way
	frappe.set_user("Administrator")
	yield
	frappe.db.rollback()
	# the connection's value cache (get_single_value, get_value) outlives a rollback: clear it so
	# the next test does not read what this one wrote
	frappe.db.value_cache.clear()
	frappe.clear_document_cache("Sales Process Settings", "Sales Process Settings")
	frappe.set_user("Administrator")
	frappe.local.response = frappe._dict()
	frappe.local.message_log = []
	frappe.flags.pop("mute_messages", None)


@pytest.fixture
def factory(site):
	from tests.factories import Factory

	return Factory()


@pytest.fixture(scope="session")
def server(site):
	from tests.integration.rest import Server

	srv = Server(workers=2)
	yield srv
	srv.stop()


@pytest.fixture(scope="session")
def world(site, server):
	from tests.integration.world import World

	w = World(server)
	yield w
	w.teardown()


# issue #11: the security and reliability suite's counts, printed in the terminal summary
from tests.integration.suite_report import pytest_terminal_summary  # noqa: E402, F401


@pytest.fixture(scope="session")
def tally():
	from tests.integration import suite_report

	return suite_report.count


@pytest.fixture(scope="session")
def zh_logins(world):
	"""A Sales User whose language is zh (no Sales Person), logged in each way Frappe allows:
	{"token" | "basic" | "session": requests.Session} (tests/integration/rest.py `logins`)."""
	import frappe

	from sales_process.setup.org import make_user
	from tests.integration.rest import logins
	from tests.integration.world import remove_committed

	email = f"zh.{world.tag}@world.example.com"
	password = f"Zh-{frappe.generate_hash(length=20)}-9!"
	make_user(email, "zh", ["Sales User"], language="zh", password=password)
	key, secret = world._api_keys(email)
	frappe.db.commit()
	try:
		yield logins(world.server, email, password, key, secret)
	finally:
		remove_committed([], [], [], [email])
