"""The phone page /sales-field (F1, F2), as salespeople use it on a phone: headless Chromium at 390×844
with touch, one phone that lets the page have its location and one that blocks it.

One story in steps that run in file order (each step skips when an earlier one failed): the
salesperson opens the page as a guest and is sent through /login back to it, reads Today, files a
visit in the three steps of the Log screen with a check-in (after the server refused too many
minutes with its own message), and sees it counted on Today; a colleague whose phone blocks location
files a visit without a check-in; the salesperson raises a help alert and claims a lead from the pool;
in Chinese the page is Chinese; a user without a Sales Person is told why there is nothing to do.
Each step asserts what the page shows and what the database stored; every screen is photographed."""

import pytest

import frappe
from frappe.utils import add_days, get_datetime, now_datetime, today

from tests.e2e.conftest import opener
from tests.e2e.story import db, need

PAGE = "/sales-field"
# the phone that lets the page have its location: the Bund, Shanghai
HERE = {"latitude": 31.2400, "longitude": 121.4900, "accuracy": 12}
VISIT, CALL = "拜访客户", "电话沟通"  # fixtures: a visit (is_visit) and a call
REASON = "决策人难以接触"  # a fixture Help Alert Reason
MINUTES, COST = 45, 30
NOTE = "Showed the new catalogue on site"


@pytest.fixture(scope="module")
def field(cast):
	"""Committed for the story: a customer with an open opportunity for the rep (its next action due
	today) and one for the colleague, a customer nobody holds, and a lead in the pool; removed at the end (the customers with
	their opportunities, logs and alerts by the cast's teardown)."""
	frappe.db.rollback()
	data = {}
	for key in ("rep", "colleague"):
		customer = cast.make_customer(f"E2E Field Customer {key} {cast.tag}")
		frappe.db.commit()
		frappe.set_user(cast.users[key])
		try:
			opp = frappe.get_doc(
				{
					"doctype": "Sales Opportunity",
					"customer": customer,
					"company": cast.company,
					"amount": 42000,
					"expected_close_date": add_days(today(), 45),
					"next_action_date": today(),
					"next_action": f"Bring the samples {cast.tag}",
				}
			).insert()
		finally:
			frappe.set_user("Administrator")
		data[key] = {"customer": customer, "opportunity": opp.name}
	# the rep's customer sits 0.001° north of HERE: 6,371,008.8 m × 0.001 × π / 180 = 111.2 m (F2)
	address = frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": f"E2E Field Office {cast.tag}",
			"address_type": "Office",
			"address_line1": "1 Zhongshan East 1st Road",
			"city": "Shanghai",
			"country": "China",
			"sp_latitude": HERE["latitude"] + 0.001,
			"sp_longitude": HERE["longitude"],
			"links": [{"link_doctype": "Customer", "link_name": data["rep"]["customer"]}],
		}
	).insert(ignore_permissions=True)
	data["address"] = address.name
	data["walk_in"] = cast.make_customer(f"E2E Field Walk-in {cast.tag}")  # held by nobody
	lead = frappe.get_doc(
		{
			"doctype": "Sales Lead",
			"company_name": f"E2E Field Pool Company {cast.tag}",
			"lead_name": "Li Na",
			"email": f"li.na.{cast.tag}@e2e-field.example.com",
			"source": "Trade Show",
		}
	).insert(ignore_permissions=True)
	data["lead"] = lead.name
	for key in ("rep", "colleague"):
		cast.set_language(key, "en")  # commits; the desk story may have left the rep in Chinese
	frappe.db.commit()
	yield data
	frappe.db.rollback()
	frappe.db.delete("Sales Daily Log Activity", {"parent": ("in", _logs_on_lead(lead.name) or [""])})
	frappe.db.delete("Sales Daily Log", {"lead": lead.name})
	frappe.db.delete("Sales Lead Log", {"lead": lead.name})
	for doctype, field in (("Version", "docname"), ("Comment", "reference_name")):
		frappe.db.delete(doctype, {field: lead.name})
	frappe.db.delete("Notification Log", {"document_name": lead.name})
	frappe.db.delete("Sales Lead", {"name": lead.name})
	frappe.db.delete("Dynamic Link", {"parenttype": "Address", "parent": address.name})
	frappe.db.delete("Address", {"name": address.name})
	frappe.db.commit()
	for key in ("rep", "colleague"):
		cast.set_language(key, "en")


def _logs_on_lead(lead: str) -> list[str]:
	return frappe.get_all("Sales Daily Log", {"lead": lead}, pluck="name")


@pytest.fixture(scope="module")
def phones():
	sessions = {}
	yield sessions
	for actor in sessions.values():
		actor.close()


@pytest.fixture
def open_phone(request, phones, browser, desk, cast, run_dir):
	"""open_phone("rep", geolocation=HERE) -> that user on a phone, logged in on first use (or again,
	in a fresh context, with fresh=True); geolocation=None: the phone blocks location."""
	from tests.e2e.actor import PhoneActor

	def make(key: str, geolocation: dict | None = None) -> PhoneActor:
		return PhoneActor(
			browser, desk.base, cast.users[key], cast.password, f"{key}-phone", run_dir, geolocation
		)

	return opener(request, phones, make)


def figures(phone) -> tuple[int, float, int]:
	page = phone.page
	return (
		int(page.inner_text("#sp-minutes")),
		float(page.inner_text("#sp-score")),
		int(page.inner_text("#sp-entries")),
	)


def flash(phone, text: str):
	phone.see(text, "#sp-flash", f"the confirmation {text!r}")


def pick_who(phone, customer: str, opportunity: str | None):
	phone.tap(f"#sp-log input[name='who'][value='customer:{customer}'] >> xpath=..")
	if opportunity:
		phone.tap(f"#sp-log input[name='opportunity'][value='{opportunity}'] >> xpath=..")


def tick(phone, activity: str):
	phone.tap(f"#sp-log input[name='activity'][value='{activity}'] >> xpath=..")


def test_01_salesperson_opens_the_page_on_a_phone(open_phone, cast, story, field):
	rep = open_phone("rep", geolocation=HERE)  # logs in from /sales-field through /login
	with rep.check("the phone page, not the desk: one column at 390 px, the Today screen"):
		assert rep.page.url.split("#")[0].endswith(PAGE), rep.page.url
		assert rep.page.evaluate("typeof window.frappe") == "undefined"  # no desk boot
		assert rep.page.evaluate("document.documentElement.scrollWidth") <= 390
		assert rep.page.locator("#screen-today").is_visible()
		assert rep.page.locator("#screen-log").is_hidden()
		for tab in rep.page.locator("nav.tabs button").all():
			box = tab.bounding_box()
			assert box["height"] >= 44 and box["width"] >= 44, box  # a thumb's target
		assert rep.page.locator("nav.tabs button").all_inner_texts() == ["Today", "Log", "Help", "Pool"]
	with rep.check("one request: the page brings every screen's data, no script, style or data call"):
		requests = []
		rep.page.on("request", lambda request: requests.append(request.url))
		rep.reload_phone("today")
		loaded = [url for url in requests if url != "about:blank" and not url.endswith("/favicon.ico")]
		assert loaded == [f"{rep.base}{PAGE}"], loaded
	rep.see(cast.sp["rep"], "header", "the salesperson in the header")
	rep.see(f"E2E Field Customer rep {cast.tag}", "#sp-appointments", "today's appointment")
	rep.see(f"Bring the samples {cast.tag}", "#sp-appointments", "its next action")
	rep.see(field["rep"]["opportunity"], "#sp-near", "the opportunity close to confiscation")
	rep.see("You have no open help alert.", "#sp-alerts-own", "an empty state in words")
	story["before"] = figures(rep)
	rep.shot("today")
	story["phone"] = True


def test_02_salesperson_logs_a_visit_with_a_check_in(open_phone, cast, story, field):
	need(story, "phone")
	rep = open_phone("rep", geolocation=HERE)
	customer, opportunity = field["rep"]["customer"], field["rep"]["opportunity"]
	rep.tap("nav.tabs button[data-tab='log']")
	with rep.check("step 1: a customer nobody holds is found through the link search"):
		rep.page.locator("#screen-log").wait_for(state="visible")
		rep.page.fill("#sp-who-search", f"Walk-in {cast.tag}")
		assert rep.page.locator(".sp-who:visible").count() == 0
		rep.tap("#sp-who-more")
		found = rep.page.locator(f"#sp-found input[value='customer:{field['walk_in']}']")
		found.wait_for(state="attached")
		assert found.locator("xpath=..").is_visible()
	rep.shot("log-1-search-all")
	with rep.check("step 1: the customer, then its opportunity"):
		rep.page.fill("#sp-who-search", f"Field Customer rep {cast.tag}")
		assert rep.page.locator(".sp-who:visible").count() == 1  # the search narrows the list
		pick_who(rep, customer, opportunity)
		assert rep.page.locator(f".sp-opp[data-customer='{customer}']").is_visible()
		shown = [row.get_attribute("data-customer") for row in rep.page.locator(".sp-opp:visible").all()]
		assert shown == [customer], shown  # only the picked customer's opportunities
		assert rep.page.locator(f".sp-opp[data-customer='{field['colleague']['customer']}']").count() == 0
	rep.shot("log-1-who")
	rep.tap("#sp-log .step.active [data-go='2']")
	with rep.check("step 2: visit types marked; the check-in offered once a visit is ticked"):
		rep.page.locator("#sp-log .step[data-step='2']").wait_for(state="visible")
		visit = rep.page.locator(f".sp-activity:has(input[value='{VISIT}'])")
		assert "Visit" in visit.locator(".badge").inner_text()
		assert "Customer Visit" in visit.inner_text()  # en.csv's name for the fixture
		tick(rep, CALL)
		assert rep.page.locator("#sp-checkin").is_hidden()  # a call is no visit
		tick(rep, VISIT)
		rep.page.locator("#sp-checkin").wait_for(state="visible")
	rep.shot("log-2-what")
	rep.tap("#sp-checkin-button")
	rep.see("Checked in: 31.240000, 121.490000 (accuracy 12 m)", "#sp-checkin", "the position shown")
	rep.shot("log-2-checked-in")
	rep.tap("#sp-log .step.active [data-go='3']")

	count = db().count("Sales Daily Log", {"sales_person": cast.sp["rep"]})
	with rep.check("step 3: too many minutes: the server's own message, nothing written"):
		rep.page.locator("#sp-minutes-input").wait_for(state="visible")
		assert rep.page.locator("#sp-no-checkin-warning").is_hidden()  # checked in: no warning
		rep.page.fill("#sp-minutes-input", "2000")
		rep.tap("#sp-log-submit")
		rep.page.locator("#sp-error", has_text="minutes").wait_for(state="visible")
		error = rep.page.inner_text("#sp-error")
		assert "would exceed" in error and "Traceback" not in error and "<" not in error, error
		assert db().count("Sales Daily Log", {"sales_person": cast.sp["rep"]}) == count
	rep.shot("log-3-server-error")
	with rep.check("step 3: minutes from the quick buttons, cost, note; save"):
		rep.tap("#sp-log [data-minutes='45']")
		assert rep.page.input_value("#sp-minutes-input") == str(MINUTES)
		rep.page.fill("#sp-cost-input", str(COST))
		rep.page.fill("#sp-note-input", NOTE)
		rep.shot("log-3-how")
		rep.tap("#sp-log-submit")
		rep.page.locator("#sp-flash", has_text="Daily log").wait_for(state="visible")
		rep.wait_phone()
		assert rep.page.locator("#screen-today").is_visible()
	name = db().get_value(
		"Sales Daily Log", {"sales_person": cast.sp["rep"], "note": NOTE}, "name", order_by="creation desc"
	)
	assert name, "no entry stored"
	flash(rep, f"Daily log {name} saved")
	with rep.check("Today counts the entry"):
		minutes, score, entries = figures(rep)
		before = story["before"]
		assert (minutes, entries) == (before[0] + MINUTES, before[2] + 1), (minutes, entries, before)
		assert score > before[1]
	rep.shot("today-after-log")

	row = db().get_value(
		"Sales Daily Log",
		name,
		["customer", "lead", "opportunity", "minutes", "cost", "note", "difficulty", "log_date", "owner"],
		as_dict=True,
	)
	assert (row.customer, row.lead, row.opportunity) == (customer, None, opportunity), row
	assert (row.minutes, float(row.cost), row.note, row.difficulty) == (MINUTES, COST, NOTE, 0), row
	assert (str(row.log_date), row.owner) == (today(), cast.users["rep"]), row
	activities = db().get_all(
		"Sales Daily Log Activity", {"parent": name}, pluck="activity_type", order_by="idx asc"
	)
	assert sorted(activities) == sorted([CALL, VISIT]), activities
	story["visit"] = name


def test_03_the_check_in_is_stored_and_on_todays_route(open_phone, cast, story, field):
	"""F2 (the server's part): the check-in is stored with the entry and shown on the route."""
	need(story, "visit")
	name = story["visit"]
	row = db().get_value(
		"Sales Daily Log",
		name,
		[
			"check_in_latitude",
			"check_in_longitude",
			"check_in_accuracy",
			"check_in_at",
			"check_in_address",
			"check_in_distance",
		],
		as_dict=True,
	)
	assert round(float(row.check_in_latitude), 6) == HERE["latitude"], row
	assert round(float(row.check_in_longitude), 6) == HERE["longitude"], row
	assert round(float(row.check_in_accuracy)) == HERE["accuracy"], row
	assert abs((get_datetime(row.check_in_at) - now_datetime()).total_seconds()) < 15 * 60, row
	assert row.check_in_address == field["address"] and round(float(row.check_in_distance)) == 111, row
	rep = open_phone("rep", geolocation=HERE)
	rep.reload_phone("today")
	rep.see(f"E2E Field Customer rep {cast.tag}", f"#sp-route .sp-stop[data-entry='{name}']", "the stop")
	with rep.check("the stop says how far from the customer's address it was, and how exact"):
		text = rep.page.locator(f"#sp-route .sp-stop[data-entry='{name}']").inner_text()
		assert "111 m from the customer" in text and "accuracy 12 m" in text, text
	rep.shot("today-route")


def test_04_colleague_whose_phone_blocks_location_logs_a_visit(open_phone, cast, story, field):
	"""F1 with location blocked; the entry is marked stuck, which raises a help alert (H1)."""
	need(story, "phone")
	colleague = open_phone("colleague", geolocation=None)
	customer = field["colleague"]["customer"]
	colleague.tap("nav.tabs button[data-tab='log']")
	with colleague.check("steps 1 and 2: the colleague's customer, a visit"):
		assert (
			colleague.page.locator(f"input[name='who'][value='customer:{field['rep']['customer']}']").count()
			== 0
		)
		pick_who(colleague, customer, field["colleague"]["opportunity"])
		colleague.tap("#sp-log .step.active [data-go='2']")
		tick(colleague, VISIT)
		colleague.tap("#sp-checkin-button")
	colleague.see(
		"Location is blocked for this page.", "#sp-checkin", "the explanation of a blocked location"
	)
	colleague.see("flagged in the False Report Analysis", "#sp-checkin")
	colleague.shot("log-2-location-denied")
	with colleague.check("step 3 warns that the visit has no check-in; the visit is saved anyway"):
		colleague.tap("#sp-log .step.active [data-go='3']")
		colleague.page.locator("#sp-no-checkin-warning").wait_for(state="visible")
		colleague.page.fill("#sp-minutes-input", "30")
		colleague.page.fill("#sp-note-input", f"Visit without location {cast.tag}")
		colleague.tap("#sp-difficulty >> xpath=..")  # stuck: the entry raises a help alert (H1)
		colleague.page.select_option("#sp-difficulty-reason-input", REASON)
		colleague.shot("log-3-no-check-in")
		colleague.tap("#sp-log-submit")
		colleague.page.locator("#sp-flash", has_text="Daily log").wait_for(state="visible")
	colleague.shot("today-after-denied-visit")
	name = db().get_value(
		"Sales Daily Log", {"sales_person": cast.sp["colleague"], "customer": customer}, "name"
	)
	assert name, "no entry stored"
	opportunity = field["colleague"]["opportunity"]
	row = db().get_value(
		"Sales Daily Log", name, ["minutes", "opportunity", "note", "difficulty"], as_dict=True
	)
	note = f"Visit without location {cast.tag}"
	assert (row.minutes, row.opportunity, row.note, row.difficulty) == (30, opportunity, note, 1), row
	assert db().get_all("Sales Daily Log Activity", {"parent": name}, pluck="activity_type") == [VISIT]
	alert = db().get_value(
		"Help Alert",
		{"opportunity": opportunity, "raised_by": cast.users["colleague"]},
		["reason", "description", "status"],
		as_dict=True,
	)
	assert alert and (alert.reason, alert.status) == (REASON, "Open") and note in alert.description, alert
	story["denied_visit"] = name


def test_05_the_visit_without_location_has_no_check_in(story):
	"""F2 (the server's part): nothing of a check-in is stored when the phone gave no location."""
	need(story, "denied_visit")
	row = db().get_value(
		"Sales Daily Log",
		story["denied_visit"],
		["check_in_latitude", "check_in_longitude", "check_in_accuracy", "check_in_at"],
		as_dict=True,
	)
	assert not row.check_in_at and not row.check_in_latitude and not row.check_in_longitude, row


def test_06_salesperson_raises_a_help_alert(open_phone, cast, story, field):
	need(story, "phone")
	rep = open_phone("rep", geolocation=HERE)
	opportunity = field["rep"]["opportunity"]
	reason = frappe.get_all("Help Alert Reason", pluck="name", order_by="name asc", limit=1)[0]
	description = f"The buyer wants a second reference {cast.tag}"
	rep.reload_phone("help")
	with rep.check("the Help screen: on the opportunity, a reason, what is wrong"):
		rep.page.locator("#screen-help").wait_for(state="visible")
		rep.page.select_option("#sp-help-on", f"opportunity:{opportunity}")
		rep.page.select_option("#sp-help-reason", reason)
		rep.page.fill("#sp-help-description", description)
		rep.shot("help")
		rep.tap("#sp-help-submit")
		rep.page.locator("#sp-flash", has_text="Help alert").wait_for(state="visible")
	alert = db().get_value("Help Alert", {"opportunity": opportunity, "raised_by": cast.users["rep"]}, "name")
	assert alert, "no help alert stored"
	flash(rep, f"Help alert {alert} raised")
	rep.see(description, f"#sp-alerts-own .sp-alert[data-alert='{alert}']", "my open alert on Today")
	rep.shot("today-after-alert")
	row = db().get_value("Help Alert", alert, ["reason", "status", "description", "customer"], as_dict=True)
	assert (row.reason, row.status, row.customer) == (reason, "Open", field["rep"]["customer"]), row
	assert description in row.description, row


def test_07_salesperson_claims_a_lead_from_the_pool(open_phone, cast, story, field):
	need(story, "phone")
	rep = open_phone("rep", geolocation=HERE)
	lead = field["lead"]
	rep.reload_phone("pool")
	rep.see(
		f"E2E Field Pool Company {cast.tag}", f".sp-pool-lead[data-lead='{lead}']", "the lead in the pool"
	)
	rep.shot("pool")
	rep.tap(f".sp-claim[data-lead='{lead}']")
	flash(rep, f"Lead {lead} is yours now")
	with rep.check("the claimed lead leaves the pool and is on Today's leads to follow up"):
		assert rep.page.locator("#screen-pool").is_visible()
		assert rep.page.locator(f".sp-pool-lead[data-lead='{lead}']").count() == 0
		assert rep.page.locator(f"#sp-follow-up [data-lead='{lead}']").count() == 1
	rep.shot("pool-after-claim")
	row = db().get_value("Sales Lead", lead, ["sales_person", "held_since"], as_dict=True)
	assert row.sales_person == cast.sp["rep"] and row.held_since, row
	by = db().get_value("Sales Lead Log", {"lead": lead, "action": "Claim"}, ["to_sales_person", "by_user"])
	assert by == (cast.sp["rep"], cast.users["rep"]), by
	rep.tap("nav.tabs button[data-tab='log']")
	rep.see(lead, "#sp-log .sp-who", "the lead offered in the Log screen")


def test_08_the_page_in_chinese(open_phone, cast, story, field):
	need(story, "phone")
	cast.set_language("rep", "zh")
	try:
		rep = open_phone("rep", geolocation=HERE, fresh=True)  # the language comes with the session
		with rep.check("every screen in Chinese"):
			assert rep.page.get_attribute("html", "lang") == "zh"
			assert rep.page.locator("nav.tabs button").all_inner_texts() == ["今天", "日志", "求助", "公海"]
			rep.see("今天的路线", "#sp-route h2")
			rep.see("即将被没收", "#sp-near h2")
		rep.shot("today-zh")
		rep.tap("nav.tabs button[data-tab='log']")
		with rep.check("the Log screen in Chinese: steps, activity names, the visit badge"):
			rep.see("1. 对象", "#sp-log .steps")
			pick_who(rep, field["rep"]["customer"], None)
			rep.tap("#sp-log .step.active [data-go='2']")
			visit = rep.page.locator(f".sp-activity:has(input[value='{VISIT}'])")
			assert VISIT in visit.inner_text() and "拜访" in visit.locator(".badge").inner_text()
			tick(rep, VISIT)
			rep.see("在此签到", "#sp-checkin-button")
		rep.shot("log-zh")
		rep.tap("nav.tabs button[data-tab='pool']")
		rep.see("公海中有", "#sp-pool-intro", "the pool in Chinese")
		rep.shot("pool-zh")
	finally:
		cast.set_language("rep", "en")


def test_09_a_user_without_a_sales_person_is_told_why(open_phone, cast):
	manager = open_phone("manager", geolocation=None)
	manager.see("is not linked to a Sales Person", "#sp-no-person", "the explanation")
	with manager.check("no screens, no tabs"):
		assert manager.page.locator("nav.tabs").count() == 0
	manager.shot("no-sales-person")


def test_10_markup_in_stored_text_and_in_server_messages_stays_text(open_phone, cast, story, field):
	"""What a user typed is shown as text wherever the page shows it, and so is a server message that
	repeats it: markup in either never runs (the template escapes; messages go through an inert
	DOMParser document, not an element's innerHTML, where <img onerror> would fire)."""
	need(story, "phone")
	rep = open_phone("rep", geolocation=HERE)
	payload = f"<img src=x onerror=\"window.__sp_xss='{cast.tag}'\"> stuck {cast.tag}"
	rep.reload_phone("help")
	rep.page.select_option("#sp-help-on", f"opportunity:{field['rep']['opportunity']}")
	rep.page.fill("#sp-help-description", payload)
	rep.tap("#sp-help-submit")
	rep.page.locator("#sp-flash", has_text="Help alert").wait_for(state="visible")
	rep.see(f"stuck {cast.tag}", "#sp-alerts-own", "the description, as text, on Today")
	with rep.check("the markup is shown, not run"):
		assert rep.page.evaluate("window.__sp_xss") is None
		assert rep.page.locator("#sp-alerts-own img").count() == 0
	rep.reload_phone("help")
	with rep.check("a server message repeating markup is shown as its text only"):
		# an opportunity name that is markup: the server's refusal repeats it
		rep.page.evaluate(
			"""(payload) => {
				const select = document.querySelector('#sp-help-on');
				select.add(new Option('forged', 'opportunity:' + payload));
				select.value = 'opportunity:' + payload;
			}""",
			f"<img src=y onerror=\"window.__sp_xss='message'\">{cast.tag}",
		)
		rep.page.fill("#sp-help-description", f"forged {cast.tag}")
		rep.tap("#sp-help-submit")
		rep.page.locator("#sp-error").wait_for(state="visible")
		rep.page.wait_for_timeout(300)  # an image's error would have fired by now
		assert rep.page.evaluate("window.__sp_xss") is None
		assert rep.page.locator("#sp-error img").count() == 0
		assert cast.tag in rep.page.inner_text("#sp-error")
	rep.shot("markup-stays-text")


def test_11_an_answer_lost_on_the_way_back_does_not_log_the_visit_twice(open_phone, cast, story, field):
	"""A phone on a bad network: the server stores the entry but its answer never reaches the phone.
	The page sends the same action again with the same Idempotency-Key (docs/reliability.md), the
	server answers with the first entry's name, and one entry is stored."""
	need(story, "phone")
	rep = open_phone("rep", geolocation=HERE)
	note = f"Call on a bad network {cast.tag}"
	keys = []

	def lose_the_first_answer(route):
		keys.append(route.request.headers.get("idempotency-key"))
		if len(keys) == 1:
			route.fetch()  # the server does the write …
			route.abort("connectionreset")  # … and the phone never hears back
		else:
			route.continue_()

	rep.page.route("**/api/method/sales_process.api.daily_log.add_log", lose_the_first_answer)
	rep.reload_phone("log")
	pick_who(rep, field["rep"]["customer"], field["rep"]["opportunity"])
	rep.tap("#sp-log .step.active [data-go='2']")
	tick(rep, CALL)
	rep.tap("#sp-log .step.active [data-go='3']")
	rep.page.fill("#sp-minutes-input", "7")
	rep.page.fill("#sp-note-input", note)
	rep.tap("#sp-log-submit")
	rep.page.locator("#sp-flash", has_text="Daily log").wait_for(state="visible")
	with rep.check("sent twice with one key, stored once"):
		assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
		assert db().count("Sales Daily Log", {"note": note}) == 1
	rep.shot("logged-once-on-a-bad-network")
