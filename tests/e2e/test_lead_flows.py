"""Leads in the desk, end to end, as real users in a real browser (G5, G7, G8).

One story in steps that run in file order (each step skips when an earlier one failed): a lead
waits in the pool; the salesperson claims it from the pool panel of the workbench, where it moves to
"My Leads to Follow Up"; a colleague's workbench no longer offers it; the salesperson converts it from
the lead's form into a customer and an opportunity; the manager reads both lead reports for the
team. Each step asserts what the page shows and what the database holds."""

import pytest

import frappe

from tests.e2e.story import db, need

FORM = ".page-container:visible"
DIALOG = ".modal.show"
AMOUNT = 66000


@pytest.fixture(scope="module")
def pool_lead(cast):
	"""A lead entered by the Administrator (no holder: it goes to the pool, G4), committed; removed
	at the end with its log rows (insert-only by design, so deleted as plain rows here)."""
	frappe.db.rollback()
	doc = frappe.get_doc(
		{
			"doctype": "Sales Lead",
			"company_name": f"E2E Pool Lead Company {cast.tag}",
			"lead_name": "Wang Fang",
			"email": f"wang.fang.{cast.tag}@e2e-lead.example.com",
			"source": "Trade Show",
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	yield doc.name
	frappe.db.rollback()
	customer = frappe.db.get_value("Sales Lead", doc.name, "customer")
	frappe.db.delete("Sales Lead Log", {"lead": doc.name})
	frappe.db.delete("Version", {"docname": doc.name})
	frappe.db.delete("Comment", {"reference_name": doc.name})
	frappe.db.delete("Notification Log", {"document_name": doc.name})
	frappe.db.delete("Sales Lead", {"name": doc.name})
	frappe.db.commit()
	if customer and customer not in cast.customers:
		cast.customers.append(customer)  # the cast's teardown removes it with its opportunity


def test_01_salesperson_claims_a_lead_from_the_pool_panel(open_as, cast, story, pool_lead):
	row = db().get_value("Sales Lead", pool_lead, ["sales_person", "pool", "status"], as_dict=True)
	assert not row.sales_person and row.pool and row.status == "New", row
	# this story reads English labels; the desk story before it leaves the rep in Chinese (its step 9)
	cast.set_language("rep", "en")
	rep = open_as("rep", fresh=True)  # the language comes with the session: log in again
	rep.open("sales-workbench", reload=True)
	claim = f"{FORM} .sp-wb-claim[data-lead='{pool_lead}']"
	rep.see("Lead Pool", f"{FORM} .sp-wb-card-title", "the pool panel")
	rep.see(f"E2E Pool Lead Company {cast.tag}", f"{FORM} .sp-wb-pool-lead", "the lead in the pool panel")
	with rep.check("claim the lead from the pool panel"):
		rep.shot("pool-panel")
		rep.page.locator(claim).first.click()
	rep.see(f"Lead {pool_lead} is yours now", "#alert-container", "the confirmation")
	with rep.check("the lead moves from the pool to my leads to follow up"):
		rep.page.locator(f"{FORM} .sp-wb-lead[data-lead='{pool_lead}']").first.wait_for(state="visible")
		rep.page.locator(claim).first.wait_for(state="detached")
		follow_up = rep.page.locator(f"{FORM} .sp-wb-lead[data-lead='{pool_lead}']").first.inner_text()
		assert "No contact yet" in follow_up and "Due in" in follow_up, follow_up
	rep.shot("claimed")

	row = db().get_value("Sales Lead", pool_lead, ["sales_person", "held_since", "status"], as_dict=True)
	assert row.sales_person == cast.sp["rep"] and row.held_since and row.status == "New", row
	log = db().get_value(
		"Sales Lead Log",
		{"lead": pool_lead, "action": "Claim"},
		["from_sales_person", "to_sales_person", "by_user"],
		as_dict=True,
	)
	assert (log.from_sales_person, log.to_sales_person, log.by_user) == (
		None,
		cast.sp["rep"],
		cast.users["rep"],
	), log
	story["claimed"] = pool_lead


def test_02_a_colleague_no_longer_sees_it_in_the_pool(open_as, story):
	need(story, "claimed")
	colleague = open_as("colleague")
	colleague.open("sales-workbench", reload=True)
	colleague.see("Lead Pool", f"{FORM} .sp-wb-card-title", "the pool panel")
	with colleague.check("the claimed lead is not offered any more"):
		colleague.current(".sp-wb-grid").wait_for(state="visible")
		assert colleague.page.locator(f"{FORM} [data-lead='{story['claimed']}']").count() == 0
	colleague.shot("colleague-pool")


def test_03_salesperson_converts_the_lead_from_its_form(open_as, cast, story):
	need(story, "claimed")
	name = story["claimed"]
	rep = open_as("rep")
	rep.open(f"sales-lead/{name}", reload=True)
	with rep.check("convert the lead through the form's Convert dialog"):
		rep.wait_form("Sales Lead")
		rep.page.locator(f"{FORM} .page-actions button:visible", has_text="Convert").first.click()
		rep.see("Convert to Customer and Opportunity", f"{DIALOG} .modal-title")
		rep.fill("amount", AMOUNT, DIALOG)
		rep.shot("convert-dialog")
		rep.primary_in_dialog()
		rep.wait_dialog_closed()
	rep.see("Converted: opportunity", "#alert-container", "the confirmation")
	rep.see("Converted into customer", f"{FORM} .form-message", "the headline of a converted lead")
	with rep.check("the converted lead is read-only"):
		rep.page.wait_for_function("() => cur_frm.doc.status === 'Converted'")
		assert rep.page.locator(f"{FORM} .page-actions button:visible", has_text="Convert").count() == 0
		assert rep.page.evaluate("cur_frm.fields_dict.company_name.disp_status") == "Read"
	rep.shot("converted")

	row = db().get_value("Sales Lead", name, ["status", "customer", "opportunity"], as_dict=True)
	assert row.status == "Converted" and row.customer and row.opportunity, row
	cast.customers.append(row.customer)  # removed with its opportunity by the cast's teardown
	opp = db().get_value(
		"Sales Opportunity",
		row.opportunity,
		["customer", "sales_person", "stage", "status", "amount"],
		as_dict=True,
	)
	first_stage = frappe.get_all(
		"Sales Process Stage", filters={"is_won": 0, "is_lost": 0}, order_by="sequence", pluck="name", limit=1
	)[0]
	assert (opp.customer, opp.sales_person, opp.stage, opp.status, float(opp.amount)) == (
		row.customer,
		cast.sp["rep"],
		first_stage,
		"Open",
		AMOUNT,
	), opp
	assert db().exists("Opportunity Stage Log", {"opportunity": row.opportunity, "action": "Create"})
	assert db().exists("Sales Lead Log", {"lead": name, "action": "Convert", "by_user": cast.users["rep"]})

	with rep.check("open the opportunity from the headline"):
		rep.page.locator(f"{FORM} .form-message a[href*='/app/sales-opportunity/']").first.click()
		rep.page.wait_for_url("**/app/sales-opportunity/SOPP-*")
		assert rep.wait_form("Sales Opportunity") == row.opportunity
	rep.shot("opportunity")
	story["converted"] = name


def test_04_manager_reads_the_lead_reports(open_as, cast, story):
	need(story, "converted")
	manager = open_as("manager")
	manager.open("query-report/Lead Pool Statistics", sales_person=cast.sp["lead"])
	manager.see("Lead Pool Statistics", f"{FORM} .page-title", "the report's title")
	with manager.check("the team's row: the rep claimed one lead and converted it"):
		manager.current(".chart-wrapper svg").wait_for(state="visible")
		manager.page.wait_for_function(
			"() => frappe.query_report && frappe.query_report.data && frappe.query_report.data.length > 0"
		)
		data = {r["sales_person"]: r for r in manager.page.evaluate("frappe.query_report.data")}
		rep = data[cast.sp["rep"]]
		assert (rep["claimed"], rep["converted"], rep["held"]) == (1, 1, 0), rep
	manager.shot("pool-statistics")

	manager.open("query-report/Lead Source Analysis", sales_person=cast.sp["lead"], group_by="Source")
	manager.see("Lead Source Analysis", f"{FORM} .page-title", "the report's title")
	with manager.check("the Trade Show row counts the converted lead"):
		manager.current(".chart-wrapper svg").wait_for(state="visible")
		manager.page.wait_for_function(
			"() => frappe.query_report && frappe.query_report.data && frappe.query_report.data.length > 0"
		)
		data = {r["source"]: r for r in manager.page.evaluate("frappe.query_report.data")}
		row = data["Trade Show"]
		assert (row["leads"], row["converted"], row["conversion_rate"]) == (1, 1, 100), row
	manager.see("Trade Show", f"{FORM} .dt-scrollable", "the source in the table")
	manager.shot("source-analysis")
