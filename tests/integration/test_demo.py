"""X3: the demo command builds a coherent company through the real process, inside the test's
transaction (rolled back afterwards). Runs at a small scale to stay quick."""

import pytest

import frappe

from sales_process.domain.daily_log import verify
from sales_process.reports import lost_reasons
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
