"""Migration from ERPNext CRM (M1, M2) on the real site, with ERPNext records made through
ERPNext's own API: a dry run writes nothing; a full run maps stages, owners, parties, amounts,
lost reasons, quotations, comments, communications and ToDos, keeps creation and owner, writes
one Import log row each and leaves ERPNext's rows unchanged; a second run creates nothing;
unmappable rows are reported; a run killed mid-batch and resumed loses and doubles nothing."""

import signal
import time

import frappe
from frappe.utils import add_days, get_datetime, today

from sales_process.domain import crm_migration, stage_history
from tests.integration.job_runner import read_line, start


def erpnext_lead(factory, owner=None, **fields):
	return frappe.get_doc(
		{
			"doctype": "Lead",
			"lead_name": factory.fake["en_US"].name(),
			"company_name": factory.unique(factory.fake["en_US"].company()),
			"email_id": factory.email(),
			"lead_owner": owner,
			**fields,
		}
	).insert(ignore_permissions=True)


def erpnext_opportunity(factory, party, owner, opportunity_from="Customer", **fields):
	return frappe.get_doc(
		{
			"doctype": "Opportunity",
			"opportunity_from": opportunity_from,
			"party_name": party,
			"company": factory.company,
			"currency": "CNY",
			"opportunity_owner": owner,
			"expected_closing": add_days(today(), 20),
			"items": [{"item_name": "Consulting", "qty": 2, "rate": 5000, "uom": "Nos"}],
			**fields,
		}
	).insert(ignore_permissions=True)


def snapshot(names: dict[str, list[str]]) -> dict:
	"""Every column of the given ERPNext rows (a change anywhere shows)."""
	return {
		doctype: frappe.db.sql(f"select * from `tab{doctype}` where name in %s order by name", [tuple(n)])
		for doctype, n in names.items()
	}


def target_of(doctype: str, name: str) -> str | None:
	return frappe.db.get_value(
		"CRM Migration Map",
		{"source_doctype": doctype, "source_name": name, "status": "Migrated"},
		"target_name",
	)


def counts() -> dict:
	return {
		dt: frappe.db.count(dt)
		for dt in (
			"Sales Opportunity",
			"Sales Lead",
			"Opportunity Stage Log",
			"Sales Lead Log",
			"CRM Migration Map",
			"CRM Migration Run",
			"Comment",
			"ToDo",
			"Communication Link",
		)
	}


def pipeline(factory):
	"""A small ERPNext pipeline: an open opportunity with items, a quotation, a comment, an e-mail
	and a ToDo; a lost one with lost reasons; a converted one; one from a converted lead; one from a
	prospect without a customer; one whose owner is no Sales Person; an open lead."""
	rep = factory.sales_person(is_group=False)
	rep_user = factory.user_of(rep.name)
	stranger = factory.user()
	customer = factory.customer()
	w = frappe._dict(rep=rep.name, rep_user=rep_user, customer=customer)
	w.open = erpnext_opportunity(factory, customer, rep_user, probability=60)
	item = factory.service_item()
	frappe.get_doc(
		{
			"doctype": "Quotation",
			"quotation_to": "Customer",
			"party_name": customer,
			"company": factory.company,
			"transaction_date": today(),
			"valid_till": add_days(today(), 30),
			"opportunity": w.open.name,
			"items": [{"item_code": item, "qty": 1, "rate": 100}],
		}
	).insert(ignore_permissions=True)
	w.quotation = frappe.db.get_value("Quotation", {"opportunity": w.open.name})
	w.open.add_comment("Comment", "客户要求下周再报价")
	frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"subject": "RFQ",
			"content": "Please quote",
			"sender": factory.email(),
			"reference_doctype": "Opportunity",
			"reference_name": w.open.name,
		}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": rep_user,
			"description": "Call back",
			"reference_type": "Opportunity",
			"reference_name": w.open.name,
		}
	).insert(ignore_permissions=True)
	reason = factory.unique("Price")
	frappe.get_doc({"doctype": "Opportunity Lost Reason", "lost_reason": reason}).insert(
		ignore_permissions=True
	)
	w.lost_reason = reason
	w.lost = erpnext_opportunity(
		factory, factory.customer(), rep_user, status="Lost", lost_reasons=[{"lost_reason": reason}]
	)
	w.won = erpnext_opportunity(factory, factory.customer(), rep_user, status="Converted")
	w.converted_lead = erpnext_lead(factory, rep_user)
	factory.customer(lead_name=w.converted_lead.name)
	w.from_lead = erpnext_opportunity(factory, w.converted_lead.name, rep_user, opportunity_from="Lead")
	prospect = frappe.get_doc({"doctype": "Prospect", "company_name": factory.unique("Prospect")}).insert(
		ignore_permissions=True
	)
	w.from_prospect = erpnext_opportunity(factory, prospect.name, rep_user, opportunity_from="Prospect")
	w.no_owner = erpnext_opportunity(factory, factory.customer(), stranger)
	w.open_lead = erpnext_lead(factory, rep_user)
	w.opportunities = [w.open, w.lost, w.won, w.from_lead, w.from_prospect, w.no_owner]
	w.names = {
		"Opportunity": [o.name for o in w.opportunities],
		"Lead": [w.converted_lead.name, w.open_lead.name],
		"Prospect": [prospect.name],
	}
	return w


def test_a_dry_run_writes_nothing_and_plans_the_skips(factory):
	w = pipeline(factory)
	before = counts()
	plan = crm_migration.migrate(dry_run=True)
	assert counts() == before
	skipped = {s["source_name"]: s["reason"] for s in plan["skipped"]}
	assert w.from_prospect.name in skipped and w.no_owner.name in skipped
	assert w.open.name not in skipped
	statuses = {(r["source_doctype"], r["status"]): r["count"] for r in plan["by_status"]}
	assert statuses[("Opportunity", "Lost")] >= 1 and statuses[("Opportunity", "Converted")] >= 1
	assert any(u["user"] == w.no_owner.opportunity_owner for u in plan["unmapped_owners"])


def test_a_full_run_then_a_second_run_that_creates_nothing(factory):
	w = pipeline(factory)
	erpnext_before = snapshot(w.names)
	report = crm_migration.migrate(commit=False)
	assert snapshot(w.names) == erpnext_before  # ERPNext's own rows untouched

	open_ = frappe.get_doc("Sales Opportunity", target_of("Opportunity", w.open.name))
	assert (open_.customer, open_.sales_person, open_.status) == (w.customer, w.rep, "Open")
	assert float(open_.amount) == 10000 and open_.currency == "CNY"
	assert str(open_.expected_close_date) == str(w.open.expected_closing)
	assert (get_datetime(open_.creation), open_.owner) == (get_datetime(w.open.creation), w.open.owner)
	stages = {s.name: s for s in crm_migration.stored_stages()}
	assert not stages[open_.stage].is_terminal
	logs = frappe.get_all("Opportunity Stage Log", {"opportunity": open_.name}, ["action", "to_stage"])
	assert logs == [{"action": "Import", "to_stage": open_.stage}]
	assert frappe.db.get_value("Quotation", w.quotation, "sales_opportunity") == open_.name
	assert (
		frappe.db.get_value(
			"Comment", {"reference_doctype": "Sales Opportunity", "reference_name": open_.name}, "content"
		)
		== "客户要求下周再报价"
	)
	assert frappe.db.exists("ToDo", {"reference_type": "Sales Opportunity", "reference_name": open_.name})
	assert frappe.db.exists(
		"Communication Link", {"link_doctype": "Sales Opportunity", "link_name": open_.name}
	)

	lost = frappe.get_doc("Sales Opportunity", target_of("Opportunity", w.lost.name))
	assert lost.status == "Lost" and stages[lost.stage].is_lost and w.lost_reason in lost.lost_reason
	won = frappe.get_doc("Sales Opportunity", target_of("Opportunity", w.won.name))
	assert won.status == "Won" and stages[won.stage].is_won
	from_lead = frappe.get_doc("Sales Opportunity", target_of("Opportunity", w.from_lead.name))
	assert from_lead.customer == frappe.db.get_value("Customer", {"lead_name": w.converted_lead.name})

	sales_lead = frappe.get_doc("Sales Lead", target_of("Lead", w.open_lead.name))
	assert (sales_lead.sales_person, sales_lead.company_name) == (w.rep, w.open_lead.company_name)
	assert get_datetime(sales_lead.creation) == get_datetime(w.open_lead.creation)
	assert frappe.get_all("Sales Lead Log", {"lead": sales_lead.name}, pluck="action") == ["Import"]

	skipped = dict(
		frappe.get_all(
			"CRM Migration Map",
			{"status": "Skipped", "source_name": ("in", w.names["Opportunity"])},
			["source_name", "reason"],
			as_list=True,
		)
	)
	assert set(skipped) == {w.from_prospect.name, w.no_owner.name}
	assert w.no_owner.opportunity_owner in skipped[w.no_owner.name]
	run = frappe.get_doc("CRM Migration Run", report["run"])
	assert run.status == "Completed" and run.opportunities == report["counts"]["opportunities"] >= 4

	before = counts()
	again = crm_migration.migrate(commit=False)
	assert again["counts"]["opportunities"] == again["counts"]["leads"] == 0
	after = counts()
	assert after["Sales Opportunity"] == before["Sales Opportunity"]
	assert after["Sales Lead"] == before["Sales Lead"]
	assert after["Comment"] == before["Comment"] and after["ToDo"] == before["ToDo"]
	assert snapshot(w.names) == erpnext_before


def test_an_open_opportunity_of_a_held_company_is_skipped_naming_the_holder(factory):
	"""O2: the customer already has someone else's open Sales Opportunity."""
	holder = factory.sales_person(is_group=False)
	other = factory.sales_person(is_group=False)
	customer = factory.customer()
	held = factory.opportunity(holder.name, customer)
	source = erpnext_opportunity(factory, customer, factory.user_of(other.name))
	report = crm_migration.migrate(commit=False)
	reason = next(s["reason"] for s in report["skipped"] if s["source_name"] == source.name)
	assert holder.name in reason and held.name in reason
	assert not target_of("Opportunity", source.name)


def test_a_run_killed_mid_batch_then_resumed_loses_and_doubles_nothing(factory):
	rep = factory.sales_person(is_group=False)
	user = factory.user_of(rep.name)
	sources = [erpnext_opportunity(factory, factory.customer(), user).name for _ in range(9)]
	frappe.db.commit()  # the migration runs in another process
	runs_before = set(frappe.get_all("CRM Migration Run", pluck="name"))
	try:
		proc = start("migration", 4, "--stall-in-batch", "2")
		try:
			read_line(proc, "stalled", timeout=120)
			proc.send_signal(signal.SIGKILL)
			proc.wait(10)
		finally:
			if proc.poll() is None:
				proc.kill()
		frappe.db.rollback()
		migrated = [s for s in sources if target_of("Opportunity", s)]
		assert 0 < len(migrated) < len(sources)  # batch 1 committed, batch 2 gone with its process
		for _attempt in range(5):
			rerun = start("migration", 4)
			read_line(rerun, "{", timeout=120)
			rerun.wait(30)
			frappe.db.rollback()
			if all(target_of("Opportunity", s) for s in sources):
				break
			time.sleep(1)
		targets = [target_of("Opportunity", s) for s in sources]
		assert all(targets) and len(set(targets)) == len(sources)
		m = frappe.get_all("CRM Migration Map", {"source_name": ("in", sources)}, pluck="source_name")
		assert sorted(m) == sorted(sources)  # one map row each
		logs = frappe.get_all("Opportunity Stage Log", {"opportunity": ("in", targets)}, pluck="opportunity")
		assert sorted(logs) == sorted(targets)  # one Import row each
		assert frappe.db.count("Sales Opportunity", {"name": ("in", targets)}) == len(sources)
		assert "Failed" in frappe.get_all("CRM Migration Run", pluck="status")  # the killed run
	finally:
		frappe.db.rollback()
		targets = frappe.get_all("CRM Migration Map", {"source_name": ("in", sources)}, pluck="target_name")
		frappe.db.delete("Opportunity Stage Log", {"opportunity": ("in", targets or ["-"])})
		stage_history.forget(targets)
		frappe.db.delete("Sales Opportunity", {"name": ("in", targets or ["-"])})
		frappe.db.delete("CRM Migration Map", {"source_name": ("in", sources)})
		frappe.db.delete("Opportunity Item", {"parent": ("in", sources)})
		frappe.db.delete("Opportunity", {"name": ("in", sources)})
		# the runs' rows too: a later page test expects a site where nothing has been migrated yet
		runs = [r for r in frappe.get_all("CRM Migration Run", pluck="name") if r not in runs_before]
		frappe.db.delete("CRM Migration Map", {"run": ("in", runs or [""])})
		frappe.db.delete("CRM Migration Run", {"name": ("in", runs or [""])})
		frappe.db.commit()


def test_the_page_is_for_system_managers_and_its_mapping_steers_the_stage(factory):
	import pytest

	from sales_process.api import crm_migration as api

	rep = factory.sales_person(is_group=False)
	sales_stage = factory.unique("Stage")
	frappe.get_doc({"doctype": "Sales Stage", "stage_name": sales_stage}).insert(ignore_permissions=True)
	open_stages = [s for s in crm_migration.stored_stages() if not s.is_terminal]
	first, second = open_stages[0], open_stages[1].name
	source = erpnext_opportunity(
		factory,
		factory.customer(),
		factory.user_of(rep.name),
		sales_stage=sales_stage,
		probability=first.probability,
	)

	data = api.get_plan()
	assert sales_stage in data["sales_stages"] and second in data["stages"]
	default = next(r for r in data["plan"]["mapped"] if r["source"] == sales_stage)
	assert (default["how"], default["stage"]) == ("probability", first.name)  # no name matches

	api.save_stage_mapping({sales_stage: second})
	mapped = next(r for r in api.get_plan()["plan"]["mapped"] if r["source"] == sales_stage)
	assert (mapped["how"], mapped["stage"]) == ("mapping", second)
	crm_migration.migrate(commit=False)
	assert frappe.db.get_value("Sales Opportunity", target_of("Opportunity", source.name), "stage") == second

	manager = factory.user(roles=("Sales Manager", "Sales User"))
	frappe.set_user(manager)
	for call in (api.get_plan, lambda: api.save_stage_mapping({}), api.start_migration):
		with pytest.raises(frappe.PermissionError):
			call()
