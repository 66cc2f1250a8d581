"""Browser tests: headless Chromium (Debian's `chromium`, driven by the Python `playwright` package)
against the desk of the test site, served with its assets by tests/integration/rest.py's Server(statics=True).

Everything here is package-scoped: the site connection, the server, the browser and the cast of
users are built when the first e2e test starts and removed after the last one, before
tests/integration (whose tests roll back every transaction) begins. The people are committed,
with unique names, because the server has its own database connections.

Screenshots of every step go to tests/e2e/artifacts/<run>/ (git-ignored); a failing step names its
screenshot in the failure message, and a failing test gets a screenshot of every open page.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import BENCH_DIR, TEST_SITE

ARTIFACTS = Path(os.environ.get("SP_E2E_ARTIFACTS") or Path(__file__).parent / "artifacts")

# Chromium on a closed network: no background downloads, updates or sync (it hangs without them)
CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-dev-shm-usage",
]


def chromium_path() -> str:
	path = os.environ.get("SP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
	if not os.path.exists(path):
		pytest.fail(
			f"Chromium not found ({path}); `scripts/dev test` installs it (apt package chromium), "
			"or point SP_CHROMIUM at a Chromium binary",
			pytrace=False,
		)
	return path


@pytest.fixture(scope="package")
def site():
	"""The test site's database for setting up and checking; reuses a connection that another
	package's fixture already opened (then leaves it open)."""
	import frappe

	if getattr(frappe.local, "initialised", False) and getattr(frappe.local, "db", None):
		yield frappe.local.site
		return
	cwd = os.getcwd()
	os.chdir(os.path.join(BENCH_DIR, "sites"))
	frappe.init(site=TEST_SITE, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		yield frappe.local.site
	finally:
		frappe.db.rollback()
		frappe.destroy()
		os.chdir(cwd)


@pytest.fixture(scope="package")
def desk(site):
	from tests.integration.rest import Server

	# the desk needs /assets: gunicorn with application_with_statics() and the site named per request
	server = Server(workers=3, statics=True, name="pytest-e2e")
	yield server
	server.stop()


@pytest.fixture(scope="package")
def run_dir() -> Path:
	path = ARTIFACTS / time.strftime("%Y%m%d-%H%M%S")
	path.mkdir(parents=True, exist_ok=True)
	return path


@pytest.fixture(scope="package")
def browser(run_dir):
	try:
		from playwright.sync_api import sync_playwright
	except ImportError:
		pytest.fail(
			"the Python package playwright is missing from the bench env; `scripts/dev test` installs "
			"it (tests/e2e/requirements.txt)",
			pytrace=False,
		)
	# Playwright gives each launch a fresh temporary profile (--user-data-dir) and removes it
	with sync_playwright() as pw:
		chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
		yield chromium
		chromium.close()


@pytest.fixture(scope="package")
def cast(site, desk):
	from tests.e2e.cast import Cast

	people = Cast()
	yield people
	people.teardown()


@pytest.fixture(scope="package")
def story() -> dict:
	"""What one step leaves for the next (the steps run in file order)."""
	return {}


@pytest.fixture(scope="package")
def actors(browser, desk, cast, run_dir):
	"""One logged-in browser context per user, shared by the steps (a user keeps their session)."""
	sessions = {}
	yield sessions
	for actor in sessions.values():
		actor.close()


def opener(request, sessions: dict, make):
	"""open(key, fresh=False, **options) -> that user's actor from `sessions`, made by
	make(key, **options) and logged in on first use (or again, in a fresh context, with fresh=True);
	the test's actors are remembered for the failure screenshots."""
	used = []
	request.node.e2e_actors = used

	def _open(key: str, fresh: bool = False, **options):
		actor = sessions.get(key)
		if actor is None or fresh:
			if actor is not None:
				actor.close()
			actor = make(key, **options)
			sessions[key] = actor
			actor.test = request.node.name
			actor.login()
		actor.test = request.node.name
		used.append(actor)
		return actor

	return _open


@pytest.fixture
def open_as(request, actors, browser, desk, cast, run_dir):
	"""open_as("rep") -> that user's Actor, logged in through /login on first use (or again, in a
	fresh context, with fresh=True)."""
	from tests.e2e.actor import Actor

	return opener(
		request, actors, lambda key: Actor(browser, desk.base, cast.users[key], cast.password, key, run_dir)
	)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
	report = yield
	if report.when == "call" and report.failed:
		shots = []
		for actor in getattr(item, "e2e_actors", []):
			path = actor.shot("FAILED", quiet=True)
			if path:
				shots.append(f"{actor.key} ({actor.user}) at {actor.url()}: {path}")
		if shots:
			report.sections.append(("e2e screenshots", "\n".join(shots)))
	return report
