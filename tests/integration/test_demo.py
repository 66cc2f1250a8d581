"""X3: the demo command builds a coherent company through the real process, inside the test's
transaction (rolled back afterwards). Runs at a small scale to stay quick."""

import math

import pytest

import frappe
from frappe.utils import flt, getdate, today

from sales_process.api.daily_log import verify_chain
from sales_process.api.workbench import get_workbench
from sales_process.domain import check_in
from sales_process.domain.daily_log import verify
from sales_process.reports import daily_logs, lost_reasons
from sales_process.setup.demo import DEMO_MARKER, HIERARCHY, make_demo


@pytest.fixture
def demo():
	if frappe.db.exists("Sales Person", DEMO_MARKER):
		pytest.skip("the test site already holds the demo company")
	summary = make_demo(seed=7, scale=0.2)
	assert frappe.session.user == "Administrator"
	return summary


def test_demo_company(demo):
	people = [h[0] for h in HIERARCHY]
	opps = frappe.get_all(
		"Sales Opportunity",
		filters={"sales_person": ("in", people)},
		fields=["name", "stage", "status", "previous_sales_person", "stage_due_at", "lost_requested"],
	)
	# every stage of the process is populated, terminal ones included
	stages = set(frappe.get_all("Sales Process Stage", pluck="name"))
	assert stages <= {o.stage for o in opps}
	assert {"Open", "Won", "Lost"} <= {o.status for o in opps}
	assert any(o.lost_requested and o.status == "Open" for o in opps)  # waiting for approval
	# K8: the lost ones carry several reasons of the list, which Lost Reason Analysis shows
	lost = lost_reasons.analysis({"sales_person": DEMO_MARKER})
	assert len(lost.rows) >= 3 and lost.count == sum(o.status == "Lost" for o in opps)
	assert all(frappe.db.exists("Sales Lost Reason", r["group_value"]) for r in lost.rows)

	# the confiscation job ran: some are held by a superior, and its log row says so
	confiscated = [o for o in opps if o.previous_sales_person]
	assert confiscated and demo["confiscated"] == len(confiscated)
	assert frappe.db.exists(
		"Opportunity Stage Log", {"opportunity": confiscated[0].name, "action": "Confiscate"}
	)
	now = frappe.utils.now_datetime()
	assert any(o.status == "Open" and o.stage_due_at and o.stage_due_at < now for o in opps)

	# daily logs: chains intact, three months-ish of history, today's entries through the API
	assert verify(people)["ok"]
	assert frappe.db.count("Sales Daily Log", {"sales_person": ("in", people)}) == demo["daily_logs"]
	assert frappe.db.count(
		"Sales Daily Log", {"log_date": frappe.utils.today(), "sales_person": ("in", people)}
	)

	# help alerts: answered, some resolved into the experience pool
	alerts = frappe.get_all(
		"Help Alert",
		filters={"raised_by_sales_person": ("in", people)},
		fields=["name", "status", "experience_entry"],
	)
	resolved = [a for a in alerts if a.status == "Resolved"]
	assert resolved and all(frappe.db.exists("Experience Entry", a.experience_entry) for a in resolved)
	assert any(a.status == "Open" for a in alerts)

	# money: submitted orders and invoices for won opportunities, one still owing after a part payment
	won = [o.name for o in opps if o.status == "Won"]
	assert frappe.db.exists("Contract", {"sales_opportunity": ("in", won)})
	orders = frappe.get_all(
		"Sales Order", filters={"sales_opportunity": ("in", won), "docstatus": 1}, pluck="name"
	)
	assert orders
	invoices = frappe.get_all(
		"Sales Invoice Item",
		filters={"sales_order": ("in", orders), "docstatus": 1},
		pluck="parent",
		distinct=True,
	)
	outstanding = frappe.get_all(
		"Sales Invoice",
		filters={"name": ("in", invoices)},
		fields=["name", "outstanding_amount", "grand_total"],
	)
	assert any(0 < i.outstanding_amount < i.grand_total for i in outstanding)
	assert frappe.db.count("Payment Entry Reference", {"reference_name": ("in", invoices), "docstatus": 1})

	# customers: referral chain, anniversaries and birthdays to celebrate, decision makers
	customers = frappe.get_all(
		"Sales Opportunity", filters={"name": ("in", [o.name for o in opps])}, pluck="customer"
	)
	assert frappe.db.count("Customer", {"name": ("in", customers), "referred_by": ("is", "set")})
	assert frappe.db.exists("Contact", {"birthday": "1988-02-29", "is_decision_maker": 1})
	# the referral graph branches (someone brought in two customers), and the care job ran
	assert frappe.db.sql(
		"""select referred_by from tabCustomer where ifnull(referred_by, '') != ''
		group by referred_by having count(*) >= 2"""
	)
	assert demo["care_reminders"] > 0
	assert (
		frappe.db.count("ToDo", {"sales_process_care_key": ("is", "set"), "status": "Open"})
		>= demo["care_reminders"]
	)


def test_demo_is_idempotent(demo):
	before = frappe.db.count("Sales Opportunity"), frappe.db.count("Sales Lead")
	assert make_demo(seed=7, scale=0.2) is None
	assert (frappe.db.count("Sales Opportunity"), frappe.db.count("Sales Lead")) == before


def test_demo_leads(demo):
	"""G: the demo's leads went through the real process — in the pool, held, contacted through a
	daily log, converted, disqualified, released and returned by the job — each move logged."""
	director = HIERARCHY[0][1]
	created = frappe.get_all("Sales Lead Log", {"action": "Create", "by_user": director}, pluck="lead")
	assert len(created) == demo["leads"]
	leads = frappe.get_all(
		"Sales Lead",
		filters={"name": ("in", created)},
		fields=[
			"name",
			"status",
			"sales_person",
			"pool",
			"customer",
			"opportunity",
			"last_contact_at",
			"source",
		],
	)
	in_pool = [
		lead for lead in leads if not lead.sales_person and lead.status not in ("Converted", "Disqualified")
	]
	held = [lead for lead in leads if lead.sales_person and lead.status in ("New", "Contacted")]
	assert len(in_pool) == demo["leads_in_pool"] + demo["leads_released"] + demo["leads_returned"]
	assert held and all(lead.pool for lead in leads)
	assert len({lead.source for lead in leads}) > 3  # several channels
	converted = [lead for lead in leads if lead.status == "Converted"]
	assert len(converted) == demo["leads_converted"] > 0
	for lead in converted:
		opp = frappe.db.get_value(
			"Sales Opportunity", lead.opportunity, ["customer", "sales_person"], as_dict=True
		)
		assert opp.customer == lead.customer and opp.sales_person == lead.sales_person
	assert sum(lead.status == "Disqualified" for lead in leads) == demo["leads_disqualified"] > 0
	contacted = [lead for lead in leads if lead.last_contact_at]
	assert len(contacted) == demo["leads_contacted"] > 0
	assert frappe.db.count("Sales Daily Log", {"lead": ("in", created)}) == demo["leads_contacted"]
	for action, count in (
		("Claim", len(leads) - demo["leads_in_pool"]),
		("Convert", demo["leads_converted"]),
		("Disqualify", demo["leads_disqualified"]),
		("Release", demo["leads_released"]),
		("Return", demo["leads_returned"]),
	):
		assert frappe.db.count("Sales Lead Log", {"lead": ("in", created), "action": action}) == count, action
	assert demo["leads_released"] == 1 and demo["leads_returned"] > 0
	# the creation dates spread over months: the source analysis has history to compare
	months = {str(d)[:7] for d in frappe.get_all("Sales Lead", {"name": ("in", created)}, pluck="creation")}
	assert len(months) >= 3


def _haversine(lat1, lon1, lat2, lon2):
	"""Written out here, not taken from check_in: the great-circle distance in metres."""
	r = 6_371_008.8
	p1, p2 = math.radians(lat1), math.radians(lat2)
	a = (
		math.sin((p2 - p1) / 2) ** 2
		+ math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
	)
	return 2 * r * math.asin(math.sqrt(a))


def test_demo_visits_are_checked_in(demo):
	"""F2: the demo customers have addresses with coordinates; most demo visits carry a check-in
	whose stored address and distance are what the server derives, the chains still verify, the two
	check-in rules flag a few visits each, and the first salesperson has a route today."""
	people = [h[0] for h in HIERARCHY]
	leaves = [h[0] for h in HIERARCHY if not h[3]]
	assert verify(people)["ok"]
	assert verify_chain(DEMO_MARKER) == {"ok": True, "problems": []}
	for person in leaves:
		assert verify_chain(person) == {"ok": True, "problems": []}, person

	log = frappe.qb.DocType("Sales Daily Log")
	act = frappe.qb.DocType("Sales Daily Log Activity")
	kind = frappe.qb.DocType("Sales Activity Type")
	visits = (
		frappe.qb.from_(log)
		.join(act)
		.on((act.parent == log.name) & (act.parenttype == "Sales Daily Log"))
		.join(kind)
		.on(kind.name == act.activity_type)
		.select(
			log.name,
			log.log_date,
			log.customer,
			log.chain_version,
			log.check_in_at,
			log.check_in_latitude,
			log.check_in_longitude,
			log.check_in_accuracy,
			log.check_in_address,
			log.check_in_distance,
		)
		.distinct()
		.where(log.sales_person.isin(people) & (kind.is_visit == 1))
		.run(as_dict=True)
	)
	checked = [v for v in visits if v.check_in_at]
	assert visits and len(checked) >= 0.8 * len(visits)
	assert demo["check_ins"]["checked_in"] == len(checked)
	assert demo["check_ins"]["without"] == len(visits) - len(checked)

	# every checked-in visit's customer has an address with coordinates, and it is the one stored
	link = frappe.qb.DocType("Dynamic Link")
	address = frappe.qb.DocType("Address")
	coordinates = {
		(r.customer, r.name): (flt(r.sp_latitude), flt(r.sp_longitude))
		for r in frappe.qb.from_(address)
		.join(link)
		.on((link.parent == address.name) & (link.parenttype == "Address"))
		.select(link.link_name.as_("customer"), address.name, address.sp_latitude, address.sp_longitude)
		.where((link.link_doctype == "Customer") & link.link_name.isin({v.customer for v in visits}))
		.run(as_dict=True)
	}
	assert coordinates and all(lat and lon for lat, lon in coordinates.values())
	# plausible Chinese city points
	assert all(18 < lat < 54 and 73 < lon < 135 for lat, lon in coordinates.values())
	for v in checked:
		assert getdate(v.check_in_at) == getdate(v.log_date)
		assert v.check_in_accuracy > 0
		lat, lon = coordinates[(v.customer, v.check_in_address)]
		expected = _haversine(flt(v.check_in_latitude), flt(v.check_in_longitude), lat, lon)
		assert abs(flt(v.check_in_distance) - expected) <= 0.05 + 1e-9, v.name
		assert flt(v.check_in_distance) == flt(
			check_in.distance_m(flt(v.check_in_latitude), flt(v.check_in_longitude), lat, lon), 1
		)
		# the customer's nearest address (each demo customer has one)
		assert [k for k in coordinates if k[0] == v.customer] == [(v.customer, v.check_in_address)]
	near = [v for v in checked if v.check_in_distance <= 500]
	far = [v for v in checked if v.check_in_distance > 500]
	assert all(5 <= v.check_in_distance <= 400 for v in near)
	assert far and all(900 <= v.check_in_distance <= 5100 for v in far)
	assert demo["check_ins"]["far"] == len(far)

	# both rules flag a few visits, not more than a small share
	start = min(getdate(v.log_date) for v in visits)
	flags = daily_logs.false_report_flags(start, today(), sales_person=DEMO_MARKER)
	for rule in ("visit_without_check_in", "check_in_far"):
		flagged = {f["entry"] for f in flags if f["rule"] == rule}
		assert 1 <= len(flagged) <= 0.1 * len(visits), (rule, len(flagged), len(visits))
	assert {f["entry"] for f in flags if f["rule"] == "check_in_far"} == {v.name for v in far}
	assert {f["entry"] for f in flags if f["rule"] == "visit_without_check_in"} == {
		v.name for v in visits if not v.check_in_at and v.chain_version >= 3
	}

	# today's route of the first salesperson: their desk card and check_in.route agree
	rep = leaves[0]
	stops = check_in.route(rep, getdate(today()))
	assert len(stops) >= 2 and all(s["distance"] is not None for s in stops)
	frappe.set_user(HIERARCHY[[h[0] for h in HIERARCHY].index(rep)][1])
	try:
		route = get_workbench()["route"]
	finally:
		frappe.set_user("Administrator")
	assert [s["entry"] for s in route] == [s["entry"] for s in stops]
