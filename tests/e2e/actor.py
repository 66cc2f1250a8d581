"""One user in one browser context, with the few desk gestures the flows need.

Every helper that waits for something on the page goes through `check`: on failure it saves a
screenshot and raises an AssertionError that names it."""

import itertools
import re
import time
from contextlib import contextmanager
from pathlib import Path

TIMEOUT_MS = 30_000
SHOT_NUMBERS = itertools.count(1)  # one sequence per run: the folder lists the screenshots in order


# frappe-charts (the desk's charts) animate every update: for 250 ms the chart's container shows an
# animated copy of its svg instead of the svg itself, and an axis chart's first update (from zeros to
# its data) runs 700 ms after it is drawn. A resize in that time — a full-page screenshot of a page
# taller than the viewport resizes it — makes the chart redraw, and the redraw throws "Failed to
# execute 'removeChild' on 'Node'" (BaseChart.makeChartArea removes an svg that is not there). So a
# step that photographs charts first waits until none of them has an update pending or running.
WATCH_CHARTS = """() => {
	if (frappe.utils.make_chart.sp_watched) return;
	const make_chart = frappe.utils.make_chart;
	window.sp_charts = [];
	frappe.utils.make_chart = function (...args) {
		const chart = make_chart.apply(this, args);
		const update = chart.update;
		chart.sp_updated = false; // its first update (from zeros to its data) is still to come
		chart.update = function (...update_args) {
			chart.sp_updated = true;
			return update.apply(this, update_args);
		};
		window.sp_charts.push(chart);
		return chart;
	};
	frappe.utils.make_chart.sp_watched = true;
}"""

CHARTS_STILL = """() => (window.sp_charts || []).every((chart) =>
	!chart.parent.isConnected || chart.parent.offsetParent === null  // gone, or on a hidden page
	|| (chart.sp_updated                                              // the first update has run
		&& chart.svg.parentNode === chart.container                     // its own svg is shown
		&& !chart.container.querySelector('animate, animateTransform')))
	&& ![...document.querySelectorAll('.dashboard-widget-box .chart-loading-state')].some(
		(state) => state.offsetParent !== null && state.textContent.trim() === __("Loading..."))"""


DESK_CONTEXT = {"viewport": {"width": 1400, "height": 1000}, "locale": "en-US"}


class Actor:
	def __init__(
		self,
		browser,
		base: str,
		user: str,
		password: str,
		key: str,
		run_dir: Path,
		context: dict | None = None,
	):
		self.base, self.user, self.password, self.key = base, user, password, key
		self.run_dir, self.test = run_dir, "setup"
		self.context = browser.new_context(**(context or DESK_CONTEXT))
		self.context.set_default_timeout(TIMEOUT_MS)
		self.page = self.context.new_page()
		self.console_errors: list[str] = []
		self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

	# --- evidence -----------------------------------------------------------------------------

	def shot(self, name: str, quiet: bool = False) -> str | None:
		label = re.sub(r"[^\w.-]+", "_", f"{next(SHOT_NUMBERS):03d}-{self.test}-{self.key}-{name}")
		path = self.run_dir / f"{label}.png"
		try:
			self.page.screenshot(path=str(path), full_page=True)
		except Exception:
			if quiet:
				return None
			raise
		return str(path)

	def url(self) -> str:
		try:
			return self.page.url
		except Exception:
			return "?"

	@contextmanager
	def check(self, what: str):
		"""Run the block; if it fails, fail with `what`, the error and a screenshot's path."""
		try:
			yield
		except Exception as error:
			path = self.shot(f"FAILED-{what}", quiet=True)
			errors = f"\npage errors: {self.console_errors[-3:]}" if self.console_errors else ""
			raise AssertionError(
				f"[{self.key} {self.user}] {what}: {type(error).__name__}: {str(error)[:1500]}"
				f"\nurl: {self.url()}\nscreenshot: {path}{errors}"
			) from None

	def close(self):
		try:
			self.context.close()
		except Exception:
			pass

	# --- navigation ---------------------------------------------------------------------------

	def login(self):
		page = self.page
		with self.check("log in through /login"):
			page.goto(f"{self.base}/login")
			page.fill("#login_email", self.user)
			page.fill("#login_password", self.password)
			self.shot("login")
			page.click(".btn-login")
			page.wait_for_url(re.compile(r"/app(/|$)"), timeout=60_000)
			self.wait_desk()
			assert page.evaluate("frappe.session.user") == self.user

	def wait_desk(self):
		self.page.wait_for_function(
			"() => window.frappe && frappe.boot && frappe.router && frappe.container && !frappe.dom.freeze_count",
			timeout=60_000,
		)

	def open(self, route: str, reload: bool = False, **route_options):
		"""Desk route like 'sales-workbench' or 'sales-opportunity/new', reached the way a user's
		click does (the desk's router, no page reload); route_options become the new page's filters.
		reload=True loads the page afresh, as a user coming back later does: the desk keeps documents
		it has shown and, without the realtime server, would show them as they were."""
		with self.check(f"open /app/{route}"):
			if reload:
				self.page.goto(f"{self.base}/app/{route}")
				self.wait_desk()
				return
			self.idle()
			self.page.evaluate(
				"""([route, options]) => {
					if (Object.keys(options).length) frappe.route_options = options;
					frappe.set_route(route);
				}""",
				[route, route_options],
			)
			self.page.wait_for_function(
				"(route) => decodeURIComponent(location.pathname).startsWith('/app/' + route)",
				arg=route,
			)
			self.wait_desk()

	def wait_form(self, doctype: str) -> str:
		"""Wait until the saved form of `doctype` named in the address bar is the current form."""
		self.page.wait_for_function(
			"""(doctype) => window.cur_frm && cur_frm.doctype === doctype && !cur_frm.is_new()
				&& decodeURIComponent(location.pathname).endsWith('/' + cur_frm.doc.name)
				&& !frappe.dom.freeze_count""",
			arg=doctype,
		)
		return self.page.evaluate("cur_frm.doc.name")

	def current(self, selector: str):
		"""`selector` inside the page that is shown now (the desk keeps earlier pages hidden)."""
		return self.page.locator(f".page-container:visible {selector}").first

	def see(self, text: str, selector: str = "body", what: str | None = None, timeout: int = TIMEOUT_MS):
		with self.check(what or f"see {text!r} in {selector}"):
			self.page.locator(f"{selector}:visible", has_text=text).first.wait_for(
				state="visible", timeout=timeout
			)

	def idle(self):
		"""No request of frappe.call in flight, no freeze."""
		self.page.wait_for_function("() => !frappe.dom.freeze_count && !(frappe.request.ajax_count > 0)")

	# --- controls -----------------------------------------------------------------------------

	def control(self, fieldname: str, scope: str):
		return self.page.locator(f"{scope} .frappe-control[data-fieldname='{fieldname}']:visible").first

	def fill_link(self, fieldname: str, value: str, scope: str, search: str | None = None):
		"""Type into a Link control and pick the value from its dropdown, as a user does; then wait
		until the form (or dialog) holds it."""
		control = self.control(fieldname, scope)
		field = control.locator("input").first
		field.click()
		field.fill(search or value)
		option = control.locator("ul[role='listbox'] [role='option']", has_text=search or value).first
		option.wait_for(state="visible")
		option.click()
		self.page.wait_for_function(
			"""([f, v, in_dialog]) => {
				const holder = in_dialog ? window.cur_dialog : window.cur_frm;
				if (!holder) return false;
				return (in_dialog ? holder.get_value(f) : holder.doc[f]) === v;
			}""",
			arg=[fieldname, value, scope == self.dialog()],
		)

	def fill(self, fieldname: str, value, scope: str):
		field = self.control(fieldname, scope).locator("input, textarea").first
		field.fill(str(value))
		field.press("Tab")

	def fill_date(self, fieldname: str, iso_date: str, scope: str):
		text = self.page.evaluate("(d) => frappe.datetime.str_to_user(d)", iso_date)
		field = self.control(fieldname, scope).locator("input").first
		field.fill(text)
		field.press("Escape")
		return text

	def dialog(self) -> str:
		return ".modal.show"

	def primary_in_dialog(self):
		self.page.locator(".modal.show .modal-footer .btn-primary:visible").first.click()

	def wait_dialog_shown(self):
		"""The dialog has finished opening: Frappe focuses its first input then (shown.bs.modal), so
		typing into a later field before that sends the rest of the text into the first one."""
		self.page.wait_for_function("() => window.cur_dialog && cur_dialog.display")

	def wait_dialog_closed(self, timeout: int = TIMEOUT_MS):
		deadline = time.time() + timeout / 1000
		while time.time() < deadline:
			if self.page.locator(".modal.show").count() == 0:
				return
			self.page.wait_for_timeout(100)
		raise AssertionError("the dialog did not close")

	# --- charts -------------------------------------------------------------------------------

	def watch_charts(self):
		"""Keep a list of the charts the desk draws from now on (until the page is loaded again)."""
		self.page.evaluate(WATCH_CHARTS)

	def wait_charts_still(self):
		"""Every chart shown has been drawn and finished updating (watch_charts first; see
		WATCH_CHARTS): a full-page screenshot in the middle of an update makes frappe-charts throw."""
		with self.check("the charts have finished drawing"):
			self.page.wait_for_function(CHARTS_STILL)


PHONE = {"width": 390, "height": 844}


class PhoneActor(Actor):
	"""One user on a phone (F1): a 390×844 touch viewport, and the browser's answer to a location
	request decided up front — `geolocation` (latitude, longitude, accuracy) granted to the page, or
	no permission at all (headless Chromium then denies every request, as a user tapping "Block"
	does). Logs in through /login and lands on `home` (the phone page), not the desk."""

	def __init__(
		self,
		browser,
		base: str,
		user: str,
		password: str,
		key: str,
		run_dir: Path,
		geolocation: dict | None = None,
		home: str = "/sales-field",
	):
		options = {
			"viewport": PHONE,
			"screen": PHONE,
			"device_scale_factor": 2,
			"is_mobile": True,
			"has_touch": True,
			"locale": "en-US",
			"user_agent": (
				"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
				"Chrome/120.0 Mobile Safari/537.36"
			),
		}
		if geolocation is not None:
			options["geolocation"] = geolocation
			options["permissions"] = ["geolocation"]
		super().__init__(browser, base, user, password, key, run_dir, context=options)
		self.home = home

	def login(self):
		"""Open the phone page as a guest (it sends the browser to /login), log in, come back to it."""
		page = self.page
		with self.check(f"log in through /login from {self.home}"):
			page.goto(f"{self.base}{self.home}")
			page.wait_for_url(re.compile(r"/login\?redirect-to="))
			page.fill("#login_email", self.user)
			page.fill("#login_password", self.password)
			self.shot("phone-login")
			page.click(".btn-login")
			page.wait_for_url(re.compile(re.escape(self.home) + r"(#|$)"), timeout=60_000)
			self.wait_phone()

	def wait_phone(self):
		"""The phone page has run its script (or shows its message to a user without a Sales Person)."""
		self.page.wait_for_function(
			"() => document.body && (document.body.dataset.ready === '1' || !!document.getElementById('sp-no-person'))",
			timeout=60_000,
		)

	def reload_phone(self, screen: str = "today"):
		with self.check(f"open {self.home}#{screen}"):
			self.page.goto("about:blank")  # a load of its own, not a jump to another #screen
			self.page.goto(f"{self.base}{self.home}#{screen}")
			self.wait_phone()

	def tap(self, selector: str):
		"""A finger's tap on the first visible match."""
		self.page.locator(f"{selector} >> visible=true").first.tap()
