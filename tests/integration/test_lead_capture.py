"""Leads from the channels that run in-process (G2: e-mail through Frappe's receive path, the desk),
Frappe's Assignment Rule (G4), scoring (G6), conversion (G7) and daily logs on a lead (G7, L2).
Everything runs in the test's transaction and is rolled back. The web form, REST and Data Import
(which commits per row) are in test_lead_channels.py."""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

import frappe
from frappe.cache_manager import clear_doctype_map
from frappe.email.receive import InboundMail
from frappe.utils import add_days, now_datetime

from sales_process.api import daily_log as log_api
from sales_process.domain import daily_log, lead, lead_conversion, lead_scoring, opportunity

LEAD = "Sales Lead"


def new_lead(factory, **fields) -> "frappe.model.document.Document":
	fake = factory.fake["en_US"]
	return frappe.get_doc(
		{
			"doctype": LEAD,
			"company_name": fields.pop("company_name", None) or factory.unique(fake.company()),
			"lead_name": fields.pop("lead_name", None) or fake.name(),
			"phone": fields.pop("phone", None) or fake.numerify("1##########"),
			**fields,
		}
	).insert()


def as_user(user: str):
	frappe.set_user(user)


@pytest.fixture
def team(factory):
	team = factory.team()
	team.users = {key: factory.user_of(team[key]) for key in ("head", "lead", "rep", "rep2")}
	yield team
	frappe.set_user("Administrator")


def logs(name: str) -> list[tuple]:
	return [
		(r.action, r.from_sales_person, r.to_sales_person)
		for r in frappe.get_all(
			"Sales Lead Log",
			{"lead": name},
			["action", "from_sales_person", "to_sales_person"],
			order_by="creation, name",
		)
	]


# --- G2: e-mail to the sales inbox -----------------------------------------------------------------


@pytest.fixture
def inbox():
	account = frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": f"Sales Inbox {frappe.generate_hash(length=6)}",
			"email_id": f"sales.{frappe.generate_hash(length=6)}@capture.example.com",
			"enable_incoming": 1,
			"use_imap": 0,
			"append_to": LEAD,
			"awaiting_password": 1,
			"email_server": "pop.capture.example.com",
		}
	).insert(ignore_permissions=True)
	return account


def mail(account, sender: str, name: str, subject: str, body: str) -> bytes:
	message = EmailMessage()
	message["From"] = f"{name} <{sender}>"
	message["To"] = account.email_id
	message["Subject"] = subject
	message["Message-ID"] = make_msgid(domain="prospect.example.com")
	message["Date"] = formatdate()
	message.set_content(body)
	return message.as_bytes()


def test_an_inbound_mail_becomes_a_pool_lead_with_source_email(inbox, factory):
	sender = factory.email()
	raw = mail(inbox, sender, "Wang Xiaoming", "询价：200 台设备", "请报价，谢谢。")
	communication = InboundMail(raw, inbox).process()  # what EmailAccount.receive does per mail

	assert communication.reference_doctype == LEAD
	doc = frappe.get_doc(LEAD, communication.reference_name)
	assert (doc.source, doc.email, doc.lead_name, doc.email_subject) == (
		"Email",
		sender,
		"Wang Xiaoming",
		"询价：200 台设备",
	)
	assert doc.sales_person is None and doc.pool == lead.pool_for(None) and doc.status == "New"
	assert logs(doc.name) == [("Create", None, None)]
	assert "请报价" in communication.content

	# Frappe keeps only Latin letters of a sender's name: a Chinese name falls back to the address,
	# and the mail still becomes a lead
	other = factory.email()
	communication = InboundMail(mail(inbox, other, "王小明", "合作", "你好"), inbox).process()
	assert frappe.db.get_value(LEAD, communication.reference_name, ["lead_name", "source"]) == (
		other,
		"Email",
	)


def test_a_second_mail_from_the_same_prospect_threads_onto_the_lead(inbox, factory):
	sender = factory.email()
	first = InboundMail(mail(inbox, sender, "Li Lei", "Quote please", "Hello"), inbox).process()
	# a new subject: Frappe makes a new lead, G3 refuses it (same e-mail), Frappe threads the mail
	second = InboundMail(mail(inbox, sender, "Li Lei", "Another question", "Again"), inbox).process()
	assert second.reference_doctype == LEAD and second.reference_name == first.reference_name
	assert frappe.db.count(LEAD, {"email": sender}) == 1


# --- the desk and G6 ---------------------------------------------------------------------------------


def test_a_salespersons_desk_entry_is_theirs_and_its_score_explains_itself(team, factory):
	as_user(team.users["rep"])
	doc = new_lead(factory, source="Referral", email=factory.email(), territory=None)
	assert doc.sales_person == team.rep and doc.source == "Referral"
	points, parts = lead_scoring.score(doc)
	rules = {p["rule"]: p["points"] for p in parts}
	referral = frappe.db.get_value("Sales Lead Source", "Referral", "score")
	field_points = lead_scoring.get_settings().lead_score_field_points
	assert rules == {"source": referral, "completeness": 4 * field_points}  # company, person, phone, email
	assert doc.score == points == sum(rules.values())
	lines = doc.score_explanation.splitlines()
	assert lines[0] == f"+{referral}  Source Referral" and "Email" in lines[1]


def test_an_edited_score_does_not_stick(team, factory):
	as_user(team.users["rep"])
	doc = new_lead(factory)
	expected = doc.score
	doc.score = 999
	doc.save()
	assert frappe.db.get_value(LEAD, doc.name, "score") == expected


def _history(source: str, territory: str, converted: int, disqualified: int):
	"""Decided leads, written in bulk (history only: no holder, no logs)."""
	now = now_datetime()
	rows = [
		(frappe.generate_hash(length=12), now, now, status, source, territory, "History")
		for status in ["Converted"] * converted + ["Disqualified"] * disqualified
	]
	frappe.db.bulk_insert(
		LEAD, ["name", "creation", "modified", "status", "source", "territory", "company_name"], rows
	)


def test_the_company_history_counts_once_there_is_enough_of_it(factory):
	frappe.db.set_single_value("Sales Process Settings", "lead_score_min_history", 10)
	frappe.db.delete(LEAD, {"status": ("in", lead_scoring.DECIDED)})
	territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
	doc = new_lead(factory, source="Trade Show", territory=territory)
	assert "history" not in {p["rule"] for p in lead_scoring.score(doc)[1]}

	_history("Trade Show", territory, converted=3, disqualified=3)  # 6 < 10: the company's rate
	_history("Phone", territory, converted=0, disqualified=6)
	part = next(p for p in lead_scoring.score(doc)[1] if p["rule"] == "history")
	assert part["points"] == round(3 / 12 * 50) and "25%" in part["text"]

	_history("Trade Show", territory, converted=6, disqualified=0)  # 12 ≥ 10: the group's own rate
	part = next(p for p in lead_scoring.score(doc)[1] if p["rule"] == "history")
	assert part["points"] == round(9 / 12 * 50) and "9" in part["text"] and territory in part["text"]


# --- G4: Frappe's Assignment Rule --------------------------------------------------------------------


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture
def rule(team):
	made = []

	def make(kind: str, users: list[str], **fields) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Assignment Rule",
				"name": f"Leads {kind} {frappe.generate_hash(length=5)}",
				"document_type": LEAD,
				"rule": kind,
				"priority": 1,
				"assign_condition": "not sales_person",
				"description": "New lead",
				"users": [{"user": u} for u in users],
				"assignment_days": [{"day": day} for day in DAYS],
				**fields,
			}
		).insert(ignore_permissions=True)
		made.append(doc.name)
		return doc.name

	yield make
	frappe.db.rollback()
	# the rules' map is cached in Redis, which the rollback does not reach
	clear_doctype_map("Assignment Rule", LEAD)
	for name in made:
		frappe.clear_document_cache("Assignment Rule", name)


def test_round_robin_hands_new_leads_out_in_turn(team, rule, factory):
	name = rule("Round Robin", [team.users["rep"], team.users["rep2"]])
	docs = [new_lead(factory) for _ in range(3)]  # as Administrator: no holder of its own
	assert [d.sales_person for d in docs] == [team.rep, team.rep2, team.rep]
	for d in docs:
		assert frappe.db.get_value(LEAD, d.name, "sales_person") == d.sales_person
		assert logs(d.name) == [("Create", None, None), ("Assign", None, d.sales_person)]
		assert frappe.db.get_value("Sales Lead Log", {"lead": d.name, "action": "Assign"}, "reason") == (
			f"Assignment Rule {name}"
		)
	assert (
		frappe.db.count("ToDo", {"reference_type": LEAD, "allocated_to": team.users["rep"], "status": "Open"})
		== 2
	)


def test_load_balancing_gives_the_lead_to_the_least_loaded(team, rule, factory):
	first = rule("Round Robin", [team.users["rep"]])
	new_lead(factory), new_lead(factory)
	frappe.db.set_value("Assignment Rule", first, "disabled", 1)
	clear_doctype_map("Assignment Rule", LEAD)
	rule("Load Balancing", [team.users["rep"], team.users["rep2"]])
	assert new_lead(factory).sales_person == team.rep2


def test_based_on_field_gives_the_lead_to_the_user_the_field_names(team, rule, factory):
	manager = factory.sales_person(roles=("Sales Manager", "Sales User"))
	rule("Based on Field", [], field="owner")
	as_user(factory.user_of(manager.name))
	doc = new_lead(factory)  # a manager's own entry goes to the pool; the rule gives it to its owner
	assert doc.sales_person == manager.name
	assert logs(doc.name) == [("Create", None, None), ("Assign", None, manager.name)]


def test_without_a_rule_or_a_sales_person_the_lead_stays_in_the_pool(team, rule, factory):
	assert new_lead(factory).sales_person is None  # no rule yet
	nobody = factory.user()  # a user without a Sales Person
	rule("Round Robin", [nobody])
	doc = new_lead(factory)
	assert doc.sales_person is None and frappe.db.get_value(LEAD, doc.name, "sales_person") is None
	assert logs(doc.name) == [("Create", None, None)]
	assert frappe.db.get_value("ToDo", {"reference_name": doc.name}, "status") == "Cancelled"


def test_a_hand_made_todo_naming_a_rule_takes_no_lead(team, rule, factory):
	name = rule("Round Robin", [team.users["rep2"]])
	frappe.db.set_value("Assignment Rule", name, "disabled", 1)
	clear_doctype_map("Assignment Rule", LEAD)
	pooled = new_lead(factory)
	as_user(team.users["rep"])
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": team.users["rep"],
			"reference_type": LEAD,
			"reference_name": pooled.name,
			"assignment_rule": name,
			"description": "mine now?",
		}
	).insert()
	assert frappe.db.get_value(LEAD, pooled.name, "sales_person") is None
	assert frappe.db.get_value("ToDo", todo.name, "status") == "Cancelled"
	assert logs(pooled.name) == [("Create", None, None)]


def test_a_rule_respects_the_hold_limit(team, rule, factory):
	frappe.db.set_single_value("Sales Process Settings", "lead_hold_limit", 1)
	as_user(team.users["rep"])
	new_lead(factory)  # rep's own: rep is at the limit
	frappe.set_user("Administrator")
	rule("Round Robin", [team.users["rep"]])
	assert new_lead(factory).sales_person is None


def test_a_rule_never_takes_a_lead_from_its_holder(team, rule, factory):
	rule("Round Robin", [team.users["rep2"]])
	as_user(team.users["rep"])
	doc = new_lead(factory)
	assert frappe.db.get_value(LEAD, doc.name, "sales_person") == team.rep
	assert not frappe.db.exists("ToDo", {"reference_name": doc.name, "status": "Open"})


# --- G7: conversion -------------------------------------------------------------------------------


def test_conversion_makes_customer_contact_and_first_stage_opportunity(team, factory):
	as_user(team.users["rep"])
	email = factory.email()
	doc = new_lead(factory, email=email, tax_id=factory.fake.numerify("91##############"), notes="200 台")
	result = lead_conversion.convert(doc.name, amount=50000)

	customer = frappe.get_doc("Customer", result["customer"])
	assert (customer.customer_name, customer.tax_id, customer.customer_type) == (
		doc.company_name,
		doc.tax_id,
		"Company",
	)
	assert customer.customer_primary_contact == result["contact"] and customer.email_id == email
	contact = frappe.get_doc("Contact", result["contact"])
	assert contact.first_name == doc.lead_name and contact.email_id == email
	assert [(link.link_doctype, link.link_name) for link in contact.links] == [("Customer", customer.name)]
	opp = frappe.get_doc("Sales Opportunity", result["opportunity"])
	assert (opp.customer, opp.contact, opp.sales_person, opp.status, opp.amount) == (
		customer.name,
		contact.name,
		team.rep,
		"Open",
		50000,
	)
	assert opp.stage == opportunity.first_stage().name and opp.description == "200 台"

	doc.reload()
	assert (doc.status, doc.customer, doc.opportunity) == ("Converted", customer.name, opp.name)
	assert logs(doc.name)[-1] == ("Convert", team.rep, team.rep)
	doc.notes = "changed"
	with pytest.raises(opportunity.ProcessError, match="read-only"):
		doc.save()
	with pytest.raises(opportunity.ProcessError, match="only open leads"):
		lead_conversion.convert(doc.name)


def test_conversion_links_the_existing_customer_of_the_same_company(team, factory):
	tax_id = factory.fake.numerify("91##############")
	existing = factory.customer(tax_id=tax_id)
	as_user(team.users["rep"])
	doc = new_lead(factory, tax_id=tax_id.replace("91", "91 ", 1))  # normalised alike
	customers = frappe.db.count("Customer")
	result = lead_conversion.convert(doc.name)
	assert result["customer"] == existing and frappe.db.count("Customer") == customers
	assert frappe.db.get_value("Sales Opportunity", result["opportunity"], "customer") == existing


def test_a_manager_converts_for_the_holder(team, factory):
	as_user(team.users["rep"])
	doc = new_lead(factory)
	as_user(team.users["lead"])
	result = lead_conversion.convert(doc.name)
	assert frappe.db.get_value("Sales Opportunity", result["opportunity"], "sales_person") == team.rep


def test_conversion_refusals_leave_nothing_behind(team, factory):
	pooled = new_lead(factory)  # as Administrator: in the pool
	with pytest.raises(opportunity.ProcessError, match="in the pool"):
		lead_conversion.convert(pooled.name)
	as_user(team.users["rep"])
	with pytest.raises(frappe.PermissionError):
		lead_conversion.convert(pooled.name)  # a salesperson claims it first

	tax_id = factory.fake.numerify("91##############")
	doc = new_lead(factory, tax_id=tax_id)
	as_user(team.users["rep2"])
	with pytest.raises(frappe.PermissionError):
		lead_conversion.convert(doc.name)  # not theirs

	# meanwhile rep2 opened an opportunity for the same company (as a customer): G3/O2 refuse
	frappe.set_user("Administrator")
	factory.opportunity(team.rep2, factory.customer(tax_id=tax_id))
	customers, contacts = frappe.db.count("Customer"), frappe.db.count("Contact")
	as_user(team.users["rep"])
	with pytest.raises(lead.DuplicateLead, match=team.rep2):
		lead_conversion.convert(doc.name)
	assert (frappe.db.count("Customer"), frappe.db.count("Contact")) == (customers, contacts)
	assert frappe.db.get_value(LEAD, doc.name, "status") == "New"

	with pytest.raises(frappe.ValidationError, match="amount"):
		lead_conversion.convert(new_lead(factory).name, amount=-5)


# --- G7: daily logs on a lead (L2's chain covers it) ------------------------------------------------


ACTIVITY = "电话沟通"


def test_a_daily_log_on_a_lead_counts_as_contact_and_is_chained(team, factory):
	as_user(team.users["rep"])
	doc = new_lead(factory)
	before = doc.score
	name = log_api.add_log(activities=[ACTIVITY], minutes=25, lead=doc.name, note="首次电话")
	entry = frappe.get_doc("Sales Daily Log", name)
	assert (entry.lead, entry.customer, entry.sales_person) == (doc.name, None, team.rep)

	doc.reload()
	assert doc.status == "Contacted" and doc.last_contact_at == entry.entered_at
	assert logs(doc.name)[-1] == ("Contact", team.rep, team.rep)
	contact_points = lead_scoring.get_settings().lead_score_contact_points
	assert doc.score == before + contact_points and "Contacted within" in doc.score_explanation

	assert log_api.verify_chain(team.rep) == {"ok": True, "problems": []}
	other = new_lead(factory)
	frappe.db.set_value("Sales Daily Log", name, "lead", other.name, update_modified=False)
	problems = log_api.verify_chain(team.rep)["problems"]
	assert [p["entry"] for p in problems] == [name] and "altered" in problems[0]["problem"]


def test_entries_without_a_lead_hash_as_before():
	entry = {
		"sales_person": "Someone",
		"log_date": "2026-11-30",
		"customer": "CUST-1",
		"activities": [ACTIVITY],
		"minutes": 30,
		"chain_seq": 1,
		"previous_hash": daily_log.GENESIS,
	}
	assert daily_log.content_hash({**entry, "lead": None}) == daily_log.content_hash(entry)
	assert daily_log.content_hash({**entry, "lead": "SLEAD-1"}) != daily_log.content_hash(entry)


def test_daily_logs_on_leads_that_are_not_workable_are_refused(team, factory):
	pooled = new_lead(factory)
	as_user(team.users["rep"])
	with pytest.raises(frappe.PermissionError, match="pool"):
		log_api.add_log(activities=[ACTIVITY], minutes=10, lead=pooled.name)
	mine = new_lead(factory)
	with pytest.raises(daily_log.DailyLogError, match="not both"):
		log_api.add_log(factory.customer(), [ACTIVITY], 10, lead=mine.name)
	with pytest.raises(daily_log.DailyLogError, match="customer, or the lead"):
		log_api.add_log(activities=[ACTIVITY], minutes=10)
	as_user(team.users["rep2"])
	with pytest.raises(frappe.PermissionError, match="held by"):
		log_api.add_log(activities=[ACTIVITY], minutes=10, lead=mine.name)
	as_user(team.users["rep"])
	result = lead_conversion.convert(mine.name)
	with pytest.raises(daily_log.DailyLogError, match=result["customer"]):
		log_api.add_log(activities=[ACTIVITY], minutes=10, lead=mine.name)


def test_a_stale_contact_gives_no_activity_points(team, factory):
	as_user(team.users["rep"])
	doc = new_lead(factory)
	days = lead.follow_up_days(doc.pool)
	doc.last_contact_at = add_days(now_datetime(), -(days + 1))
	part = next(p for p in lead_scoring.score(doc)[1] if p["rule"] == "activity")
	assert part["points"] == 0
