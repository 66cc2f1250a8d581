"""Permission matrix (A1–A3, L2, O3, O4; issue #11): every doctype and every whitelisted method of
the app × six callers, through the REST API of a real server, against the explicit tables below.

Callers: rep_a1 (Sales User in subtree A, owns the sample records), rep_b1 (Sales User in subtree
B), manager (Sales Manager), accountant (Accounts User), outsider (no sales role), guest (no login).

Outcomes:
  ok      HTTP 200 (for read/list: the sample record is in the answer)
  hidden  list answered 200 but without the sample record (data scope)
  deny    HTTP 401/403
  rule    another 4xx: the permission check passed and a process rule refused the request (the
          payloads are chosen so that a permitted caller hits a rule instead of changing data where
          a change would disturb other tests, e.g. a stage with a duplicate sequence)

The tables are written by hand from docs/rules.md and docs/security.md; they are not computed from the code
under test. A second test checks that every doctype of the module and every whitelisted method of
the app appears in them, so a new one cannot slip in untested."""

import ast
import json
import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import frappe

from sales_process.domain import settings
from sales_process.domain.bulk import insert_autoincrement
from sales_process.domain.idempotency import record_name
from tests.integration.rest import Client, message

ROLES = ("rep_a1", "rep_b1", "manager", "accountant", "outsider", "guest")
OK, HIDDEN, DENY, RULE = "ok", "hidden", "deny", "rule"
OPS = ("read", "list", "create", "write", "delete", "export", "print", "report")


def row(*outcomes):
	assert len(outcomes) == len(ROLES)
	return dict(zip(ROLES, outcomes, strict=True))


# what no role changes and managers read: the app's derived tables
DERIVED = {
	"read": row(DENY, DENY, OK, DENY, DENY, DENY),
	"list": row(DENY, DENY, OK, DENY, DENY, DENY),
	"create": row(DENY, DENY, DENY, DENY, DENY, DENY),
	"write": row(DENY, DENY, DENY, DENY, DENY, DENY),
	"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),
	"export": row(DENY, DENY, OK, DENY, DENY, DENY),
	"print": row(DENY, DENY, OK, DENY, DENY, DENY),
	"report": row(DENY, DENY, OK, DENY, DENY, DENY),
}


# doctype → operation → outcome per caller (rep_a1, rep_b1, manager, accountant, outsider, guest)
EXPECTED = {
	"Sales Opportunity": {
		"read": row(OK, DENY, OK, OK, DENY, DENY),
		"list": row(OK, HIDDEN, OK, OK, DENY, DENY),
		"create": row(OK, DENY, OK, DENY, DENY, DENY),
		"write": row(OK, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),  # O3: nobody deletes
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),  # A2
		"print": row(DENY, DENY, OK, DENY, DENY, DENY),  # K4: only with the print permission
		"report": row(OK, HIDDEN, OK, OK, DENY, DENY),
	},
	"Opportunity Stage Log": {
		"read": row(OK, DENY, OK, DENY, DENY, DENY),
		"list": row(OK, HIDDEN, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, DENY, DENY, DENY, DENY),  # insert-only, by the process
		"write": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, DENY, OK, DENY, DENY, DENY),
		"report": row(OK, HIDDEN, OK, DENY, DENY, DENY),
	},
	# R1: derived from the log by its writer (per opportunity × stage, and per stage × owner)
	"Opportunity Stage Summary": DERIVED,
	"Opportunity Stage Totals": DERIVED,
	"Sales Daily Log": {
		"read": row(OK, DENY, OK, DENY, DENY, DENY),
		"list": row(OK, HIDDEN, OK, DENY, DENY, DENY),
		# rep_b1: the customer is held by rep_a1's open opportunity (L3); the manager has no
		# Sales Person to log for
		"create": row(OK, DENY, RULE, DENY, DENY, DENY),
		"write": row(DENY, DENY, DENY, DENY, DENY, DENY),  # L2
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, DENY, OK, DENY, DENY, DENY),
		"report": row(OK, HIDDEN, OK, DENY, DENY, DENY),
	},
	"Help Alert": {  # A3: company-wide (the default setting)
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"list": row(OK, OK, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, DENY, DENY, DENY, DENY),  # only through raise_alert()
		"write": row(DENY, DENY, DENY, DENY, DENY, DENY),  # responses only through respond()
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, DENY, DENY, DENY),
		"report": row(OK, OK, OK, DENY, DENY, DENY),
	},
	"Experience Entry": {  # A3; sample: a manual entry (the provenance one is attacked apart)
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"list": row(OK, OK, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, OK, DENY, DENY, DENY),
		"write": row(DENY, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, OK, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, DENY, DENY, DENY),
		"report": row(OK, OK, OK, DENY, DENY, DENY),
	},
	"Sales Process Stage": {  # the manager's create/write/delete hit P2 (never changes the set)
		"read": row(OK, OK, OK, OK, DENY, DENY),
		"list": row(OK, OK, OK, OK, DENY, DENY),
		"create": row(DENY, DENY, RULE, DENY, DENY, DENY),
		"write": row(DENY, DENY, RULE, DENY, DENY, DENY),
		"delete": row(DENY, DENY, RULE, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, OK, DENY, DENY),
		"report": row(OK, OK, OK, OK, DENY, DENY),
	},
	"Sales Activity Type": {
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"list": row(OK, OK, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, OK, DENY, DENY, DENY),
		"write": row(DENY, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, OK, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, DENY, DENY, DENY),
		"report": row(OK, OK, OK, DENY, DENY, DENY),
	},
	"Help Alert Reason": {
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"list": row(OK, OK, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, OK, DENY, DENY, DENY),
		"write": row(DENY, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, OK, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, DENY, DENY, DENY),
		"report": row(OK, OK, OK, DENY, DENY, DENY),
	},
	"Sales Lost Reason": {  # K8: Sales Managers maintain the list, Sales Users choose from it
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"list": row(OK, OK, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, OK, DENY, DENY, DENY),
		"write": row(DENY, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, OK, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, DENY, DENY, DENY),
		"report": row(OK, OK, OK, DENY, DENY, DENY),
	},
	"Sales Lead": {  # G5 / A1: held by rep_a1; A2 / K4: Sales Users export no lead lists
		"read": row(OK, DENY, OK, DENY, DENY, DENY),
		"list": row(OK, HIDDEN, OK, DENY, DENY, DENY),
		"create": row(OK, DENY, OK, DENY, DENY, DENY),  # for rep_a1: rep_b1 cannot give them one
		"write": row(OK, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),  # disqualify instead
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(DENY, DENY, OK, DENY, DENY, DENY),  # K4
		"report": row(OK, HIDDEN, OK, DENY, DENY, DENY),
	},
	"Sales Lead Log": {  # G1: insert-only, follows its lead
		"read": row(OK, DENY, OK, DENY, DENY, DENY),
		"list": row(OK, HIDDEN, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"write": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, DENY, OK, DENY, DENY, DENY),
		"report": row(OK, HIDDEN, OK, DENY, DENY, DENY),
	},
	"Sales Pipeline Snapshot": {  # K7: written by the daily job only; follows its person or team
		"read": row(OK, DENY, OK, DENY, DENY, DENY),
		"list": row(OK, HIDDEN, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"write": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),  # a System Manager's only
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, DENY, OK, DENY, DENY, DENY),
		"report": row(OK, HIDDEN, OK, DENY, DENY, DENY),
	},
	"Sales Lead Pool": {
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"list": row(OK, OK, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, OK, DENY, DENY, DENY),
		"write": row(DENY, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, OK, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, DENY, DENY, DENY),
		"report": row(OK, OK, OK, DENY, DENY, DENY),
	},
	"Sales Lead Source": {
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"list": row(OK, OK, OK, DENY, DENY, DENY),
		"create": row(DENY, DENY, OK, DENY, DENY, DENY),
		"write": row(DENY, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, OK, DENY, DENY, DENY),
		"export": row(DENY, DENY, OK, DENY, DENY, DENY),
		"print": row(OK, OK, OK, DENY, DENY, DENY),
		"report": row(OK, OK, OK, DENY, DENY, DENY),
	},
	# M1, M2: the migration's records and settings are the System Manager's alone
	"CRM Migration Run": {op: row(DENY, DENY, DENY, DENY, DENY, DENY) for op in OPS},
	"CRM Migration Map": {op: row(DENY, DENY, DENY, DENY, DENY, DENY) for op in OPS},
	"CRM Migration Settings": {
		"read": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"write": row(DENY, DENY, DENY, DENY, DENY, DENY),
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),
	},
	# issue 22: written by the requests themselves (domain.idempotency); System Manager reads
	"Sales Request Key": {op: row(DENY, DENY, DENY, DENY, DENY, DENY) for op in OPS},
	"Sales Process Settings": {  # a single: read and write only
		"read": row(OK, OK, OK, DENY, DENY, DENY),
		"write": row(DENY, DENY, OK, DENY, DENY, DENY),
		"delete": row(DENY, DENY, DENY, DENY, DENY, DENY),
	},
}
# child tables are reached only through their parent
CHILD_TABLES = (
	"Help Alert Response",
	"Sales Daily Log Activity",
	"Sales Process Stage Criterion",
	"CRM Stage Mapping",
)

OA, DL, HA = "sales_process.api.opportunity", "sales_process.api.daily_log", "sales_process.api.help_alert"
LA = "sales_process.api.lead"
# whitelisted method → outcome per caller; the arguments (built in `method_calls`) point at rep_a1's
# records and are chosen so a permitted caller is stopped by a rule or reads only
METHODS = {
	f"{OA}.advance_stage": row(RULE, DENY, RULE, DENY, DENY, DENY),  # skips a stage
	f"{OA}.return_opportunity": row(RULE, DENY, RULE, DENY, DENY, DENY),  # never confiscated
	f"{OA}.keep_opportunity": row(RULE, DENY, RULE, DENY, DENY, DENY),
	f"{OA}.reassign_opportunity": row(DENY, DENY, RULE, DENY, DENY, DENY),  # O3 managers; unknown target
	f"{OA}.request_lost": row(RULE, DENY, RULE, DENY, DENY, DENY),  # blank reason
	f"{OA}.approve_lost": row(RULE, DENY, RULE, DENY, DENY, DENY),  # nothing requested
	f"{OA}.reject_lost": row(RULE, DENY, RULE, DENY, DENY, DENY),
	f"{OA}.correct_closed": row(DENY, DENY, RULE, DENY, DENY, DENY),  # K1 managers; the opportunity is open
	f"{OA}.get_stage_path": row(OK, DENY, OK, OK, DENY, DENY),
	# a valid one-minute entry; rep_b1: the customer is held by rep_a1 (L3); manager: no Sales Person
	f"{DL}.add_log": row(OK, DENY, RULE, DENY, DENY, DENY),
	f"{DL}.verify_chain": row(OK, DENY, OK, DENY, DENY, DENY),  # of rep_a1's chain
	f"{HA}.raise_alert": row(RULE, DENY, RULE, DENY, DENY, DENY),  # blank description
	f"{HA}.respond": row(RULE, RULE, RULE, DENY, DENY, DENY),  # blank analysis (raiser: own alert)
	f"{HA}.mark_effective": row(RULE, DENY, DENY, DENY, DENY, DENY),  # only the raiser; no such row
	f"{HA}.search_experience": row(OK, OK, OK, DENY, DENY, DENY),
	# on rep_a1's held lead: already held; the manager has no Sales Person to claim for
	f"{LA}.claim_lead": row(RULE, DENY, RULE, DENY, DENY, DENY),
	f"{LA}.release_lead": row(RULE, DENY, RULE, DENY, DENY, DENY),  # blank reason
	f"{LA}.assign_lead": row(DENY, DENY, RULE, DENY, DENY, DENY),  # managers; unknown target
	f"{LA}.disqualify_lead": row(RULE, DENY, RULE, DENY, DENY, DENY),  # blank reason
	f"{LA}.convert_lead": row(RULE, DENY, RULE, DENY, DENY, DENY),  # a negative amount
	# answers everyone logged in, with empty panels where they may see nothing (asserted below)
	"sales_process.api.workbench.get_workbench": row(OK, OK, OK, OK, OK, DENY),
	"sales_process.sales_process.page.opportunity_board.opportunity_board.get_board": row(
		OK,
		OK,
		OK,
		OK,
		DENY,
		DENY,  # accountants read every opportunity
	),
	# returns an unsaved Quotation; accountants cannot make quotations
	"sales_process.sales_process.doctype.sales_opportunity.sales_opportunity.make_quotation": row(
		OK, DENY, OK, DENY, DENY, DENY
	),
	# Customer read (ERPNext gives it to Stock User too)
	"sales_process.api.referrals.get_referral_graph": row(OK, OK, OK, OK, OK, DENY),
	"sales_process.sales_process.doctype.help_alert.help_alert.get_suggestions": row(
		OK, OK, OK, DENY, DENY, DENY
	),
	# overridden for the scoped doctypes (A1): counts only what the caller may list
	"sales_process.overrides.client.get_count": row(OK, HIDDEN, OK, OK, DENY, DENY),
	# Frappe's web form accept on the lead form (G2): open to guests, but it never edits a lead
	"sales_process.overrides.web_form.accept": row(DENY, DENY, DENY, DENY, DENY, DENY),
	# W2: whoever reads opportunities sees the chart, in their own scope
	"sales_process.sales_process.dashboard_chart_source.open_pipeline_by_stage.open_pipeline_by_stage.get": row(
		OK, OK, OK, OK, DENY, DENY
	),
	# M1: the migration page is the System Manager's
	"sales_process.api.crm_migration.get_plan": row(DENY, DENY, DENY, DENY, DENY, DENY),
	"sales_process.api.crm_migration.save_stage_mapping": row(DENY, DENY, DENY, DENY, DENY, DENY),
	"sales_process.api.crm_migration.start_migration": row(DENY, DENY, DENY, DENY, DENY, DENY),
}

# script report → outcome per caller (frappe.desk.query_report.run; roles from each report)
REPORTS = {
	"Sales Funnel": row(OK, OK, OK, DENY, DENY, DENY),
	"Sales Forecast": row(OK, OK, OK, DENY, DENY, DENY),
	"Stage Duration Analysis": row(OK, OK, OK, DENY, DENY, DENY),
	"Daily Log Analysis": row(OK, OK, OK, DENY, DENY, DENY),
	"False Report Analysis": row(OK, OK, OK, DENY, DENY, DENY),
	"Sales Leaderboard": row(OK, OK, OK, DENY, DENY, DENY),
	"Trial Period Comparison": row(OK, OK, OK, DENY, DENY, DENY),
	"Help Alert Statistics": row(OK, OK, OK, DENY, DENY, DENY),
	"Contract Billing and Collection": row(DENY, DENY, OK, OK, DENY, DENY),
	"Lead Source Analysis": row(OK, OK, OK, DENY, DENY, DENY),  # G8: counts within the caller's scope
	"Lead Pool Statistics": row(OK, OK, OK, DENY, DENY, DENY),
	"Lost Reason Analysis": row(OK, OK, OK, DENY, DENY, DENY),  # K8: within the caller's scope
	"Manager Responsiveness": row(OK, OK, OK, DENY, DENY, DENY),  # K5: rows within the caller's scope
}


# --- the sample records (committed: the server has its own connections) -------------------------


@pytest.fixture(scope="module")
def clients(world):
	guest = Client(world.server, "Guest", "", "")
	guest.session.headers.pop("Authorization")
	return {**{r: world[r] for r in ROLES if r != "guest"}, "guest": guest}


@pytest.fixture(scope="module")
def sample(world):
	a1 = world["rep_a1"]
	r = a1.insert("Sales Opportunity", world.opportunity_doc(world.customer()))
	assert r.status_code == 200, message(r)
	opp = r.json()["data"]
	# issue 22: sent with a key, the entry leaves rep_a1 a Sales Request Key
	request_key = f"matrix-{world.tag}-{frappe.generate_hash(length=8)}"
	r = a1.call(
		f"{DL}.add_log",
		customer=opp["customer"],
		activities=["电话沟通"],
		minutes=5,
		note="sample",
		idempotency_key=request_key,
	)
	assert r.status_code == 200, message(r)
	log = r.json()["message"]
	r = a1.call(f"{HA}.raise_alert", opportunity=opp["name"], reason="其他", description="permission matrix")
	assert r.status_code == 200, message(r)
	alert = r.json()["message"]
	tag = world.tag
	r = a1.insert("Sales Lead", {"company_name": f"matrix lead {tag}", "phone": "13655550000"})
	assert r.status_code == 200, message(r)
	lead = r.json()["data"]["name"]
	frappe.db.rollback()
	stage_log = frappe.get_all("Opportunity Stage Log", {"opportunity": opp["name"]}, pluck="name")[0]
	throwaway = {}  # doctype → names made for create/write/delete by permitted callers
	experience = frappe.get_doc(
		{"doctype": "Experience Entry", "title": f"matrix sample {tag}", "problem": "p", "solution": "s"}
	).insert(ignore_permissions=True)
	run = frappe.get_doc({"doctype": "CRM Migration Run", "status": "Completed"}).insert(
		ignore_permissions=True
	)
	mapped = (
		frappe.get_doc(
			{
				"doctype": "CRM Migration Map",
				"source_doctype": "Opportunity",
				"source_name": f"matrix {tag}",
				"target_doctype": "Sales Opportunity",
				"target_name": opp["name"],
				"run": run.name,
				"status": "Migrated",
			}
		)
		.insert(ignore_permissions=True, ignore_links=True)
		.name
	)
	insert_autoincrement(  # K7: a person row of rep_a1 on a day the job never takes
		"Sales Pipeline Snapshot",
		["snapshot_date", "sales_person", "is_team", "company", "currency", "open_count", "open_amount"],
		[("2001-01-01", world.sp["rep_a1"], 0, world.company, "CNY", 1, 1000)],
	)
	snapshot = frappe.get_all(
		"Sales Pipeline Snapshot",
		{"snapshot_date": "2001-01-01", "sales_person": world.sp["rep_a1"]},
		pluck="name",
	)[0]
	frappe.db.commit()
	records = {
		"CRM Migration Run": run.name,
		"CRM Migration Map": mapped,
		"CRM Migration Settings": "CRM Migration Settings",
		"Sales Opportunity": opp["name"],
		"Opportunity Stage Log": stage_log,
		"Opportunity Stage Summary": frappe.get_all(
			"Opportunity Stage Summary", {"opportunity": opp["name"]}, pluck="name"
		)[0],
		"Opportunity Stage Totals": frappe.get_all(
			"Opportunity Stage Totals", {"sales_person": opp["sales_person"]}, pluck="name"
		)[0],
		"Sales Daily Log": log,
		"Help Alert": alert,
		"Experience Entry": experience.name,
		"Sales Process Stage": "线索确认",
		"Sales Activity Type": "电话沟通",
		"Help Alert Reason": "其他",
		"Sales Lost Reason": "Other",
		"Sales Lead": lead,
		"Sales Lead Log": frappe.get_all("Sales Lead Log", {"lead": lead}, pluck="name")[0],
		"Sales Lead Pool": settings.get("default_lead_pool"),
		"Sales Lead Source": "Other",
		"Sales Process Settings": "Sales Process Settings",
		"Sales Pipeline Snapshot": snapshot,
		"Sales Request Key": record_name(world.users["rep_a1"], request_key),
	}
	yield frappe._dict(
		opp=opp, log=log, alert=alert, lead=lead, records=records, tag=tag, throwaway=throwaway
	)
	frappe.db.rollback()
	leads = frappe.get_all("Sales Lead", {"company_name": ("like", f"%{tag}%")}, pluck="name")
	if leads:
		frappe.db.delete("Sales Lead Log", {"lead": ("in", leads)})
		frappe.db.delete("Version", {"docname": ("in", leads)})
		frappe.db.delete("Sales Lead", {"name": ("in", leads)})
	for doctype in ("Sales Lead Pool", "Sales Lead Source"):
		frappe.db.delete(doctype, {"name": ("like", f"%{tag}%")})
	for name in frappe.get_all("Experience Entry", {"title": ("like", f"%{tag}%")}, pluck="name"):
		frappe.db.delete("Experience Entry", name)
	for doctype in ("Sales Activity Type", "Help Alert Reason", "Sales Lost Reason"):
		for name in frappe.get_all(doctype, {"name": ("like", f"%{tag}%")}, pluck="name"):
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	frappe.db.delete("Help Alert", {"name": alert})
	frappe.db.delete("Sales Pipeline Snapshot", {"sales_person": world.sp["rep_a1"]})
	frappe.db.delete("CRM Migration Map", {"name": mapped})
	frappe.db.delete("CRM Migration Run", {"name": run.name})
	frappe.db.delete("Sales Request Key", {"name": record_name(world.users["rep_a1"], request_key)})
	frappe.db.commit()


def _throwaway(sample, doctype: str, who: str) -> str:
	"""A fresh master record for a write/delete attempt (so one caller's delete cannot hide
	another's outcome)."""
	name = f"matrix {who} {sample.tag} {frappe.generate_hash(length=4)}"
	fields = {
		"Sales Activity Type": {"activity_name": name, "score": 1},
		"Help Alert Reason": {"reason_name": name},
		"Sales Lost Reason": {"lost_reason": name},
		"Experience Entry": {"title": name, "problem": "p", "solution": "s"},
		"Sales Lead Pool": {"pool_name": name},
		"Sales Lead Source": {"source_name": name, "score": 1},
	}[doctype]
	doc = frappe.get_doc({"doctype": doctype, **fields}).insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


def _create_payload(world, sample, doctype: str, who: str) -> dict:
	tag = f"{sample.tag} {who} {frappe.generate_hash(length=4)}"
	return {
		"Sales Opportunity": lambda: world.opportunity_doc(world.customer(), sales_person=world.sp["rep_a1"]),
		"Opportunity Stage Log": lambda: {
			"opportunity": sample.opp["name"],
			"action": "Won",
			"at": "2026-01-01 00:00:00",
		},
		"Opportunity Stage Summary": lambda: {"opportunity": sample.opp["name"], "stage": "需求调研"},
		"Opportunity Stage Totals": lambda: {"stage": "需求调研", "sales_person": sample.opp["sales_person"]},
		"Sales Daily Log": lambda: {
			"customer": sample.opp["customer"],
			"activities": [{"activity_type": "电话沟通"}],
			"minutes": 1,
		},
		"Help Alert": lambda: {"opportunity": sample.opp["name"], "reason": "其他", "description": ""},
		"Experience Entry": lambda: {"title": f"matrix {tag}", "problem": "p", "solution": "s"},
		# sequence 10 is taken (P2): refused after the permission check
		"Sales Process Stage": lambda: {"stage_name": f"matrix {tag}", "sequence": 10, "probability": 50},
		"Sales Activity Type": lambda: {"activity_name": f"matrix {tag}", "score": 1},
		"Help Alert Reason": lambda: {"reason_name": f"matrix {tag}"},
		"Sales Lost Reason": lambda: {"lost_reason": f"matrix {tag}"},
		"Sales Lead": lambda: {"company_name": f"matrix {tag}", "sales_person": world.sp["rep_a1"]},
		"Sales Lead Log": lambda: {"lead": sample.lead, "action": "Claim", "at": "2026-01-01 00:00:00"},
		"Sales Lead Pool": lambda: {"pool_name": f"matrix {tag}"},
		"Sales Lead Source": lambda: {"source_name": f"matrix {tag}", "score": 1},
		"CRM Migration Run": lambda: {"status": "Completed"},
		"Sales Pipeline Snapshot": lambda: {
			"snapshot_date": "2001-01-02",
			"sales_person": world.sp["rep_a1"],
		},
		"Sales Request Key": lambda: {"user": world.users["rep_a1"], "idempotency_key": f"matrix-{tag}"},
		# a real source: Frappe checks links before the create permission
		"CRM Migration Map": lambda: {
			"source_doctype": "Customer",
			"source_name": sample.opp["customer"],
			"status": "Skipped",
		},
	}[doctype]()


WRITES = {
	"Sales Opportunity": {"next_action": "matrix"},
	"Opportunity Stage Log": {"note": "matrix"},
	"Opportunity Stage Summary": {"days": 99},
	"Opportunity Stage Totals": {"days": 99},
	"Sales Daily Log": {"note": "matrix"},
	"Help Alert": {"description": "matrix"},
	"Experience Entry": {"solution": "matrix"},
	"Sales Process Stage": {"probability": 150},  # P2: 0–100
	"Sales Activity Type": {"score": 2},
	"Help Alert Reason": {},
	"Sales Lost Reason": {"description": "matrix"},
	"Sales Lead": {"notes": "matrix"},
	"Sales Lead Log": {"reason": "matrix"},
	"Sales Lead Pool": {"description": "matrix"},
	"Sales Lead Source": {"score": 3},
	"Sales Process Settings": {},
	"CRM Migration Run": {"status": "Failed"},
	"CRM Migration Map": {"reason": "matrix"},
	"CRM Migration Settings": {},
	"Sales Pipeline Snapshot": {"open_amount": 1},
	"Sales Request Key": {"response": "{}"},
}


def outcome(r: requests.Response, name: str | None = None, listed: bool = False) -> str:
	if r.status_code in (401, 403):
		return DENY
	if r.status_code in (200, 202):  # 202: REST DELETE done
		if listed:
			body = r.json()
			data = body.get("data", body.get("message"))
			if isinstance(data, dict) and "keys" in data:  # reportview.get (compressed)
				i = data["keys"].index("name")
				names = {str(v[i]) for v in data["values"]}
			elif isinstance(data, int):  # a count
				return OK if data else HIDDEN
			else:
				names = {str(d["name"] if isinstance(d, dict) else d[0]) for d in data}
			return OK if str(name) in names else HIDDEN
		return OK
	if 400 <= r.status_code < 500:
		return RULE
	return f"http {r.status_code}: {message(r)[:200]}"


def attempt(world, clients, sample, doctype: str, op: str, who: str):
	"""Prepares (in this thread: it may touch the database) one attempt and returns a callable that
	only talks HTTP, so attempts can run side by side."""
	c = clients[who]
	name = sample.records[doctype]
	if op in ("write", "delete") and doctype in (
		"Sales Activity Type",
		"Help Alert Reason",
		"Sales Lost Reason",
		"Experience Entry",
		"Sales Lead Pool",
		"Sales Lead Source",
	):
		name = _throwaway(sample, doctype, who)
	if op == "read":
		return lambda: outcome(c.get_doc(doctype, name))
	if op == "list":
		return lambda: outcome(c.list(doctype, filters=json.dumps({"name": name})), name, listed=True)
	if op == "create":
		payload = _create_payload(world, sample, doctype, who)
		return lambda: outcome(c.insert(doctype, payload))
	if op == "write":
		if doctype == "Sales Process Stage":  # never change the shared stage set, even if allowed
			name = "赢单"
		return lambda: outcome(c.update(doctype, name, WRITES[doctype]))
	if op == "delete":
		if doctype == "Sales Process Stage":  # the only won stage: P2 refuses its deletion
			name = "赢单"
		return lambda: outcome(c.delete(doctype, name))
	if op == "export":
		return lambda: outcome(
			c.call(
				"frappe.desk.reportview.export_query",
				doctype=doctype,
				file_format_type="CSV",
				fields=json.dumps([f"`tab{doctype}`.`name`"]),
				filters=json.dumps({"name": name}),
				title=doctype,
			)
		)
	if op == "print":
		return lambda: outcome(
			c.session.get(
				c.url("/api/method/frappe.www.printview.get_html_and_style"),
				params={"doc": doctype, "name": name},
				timeout=30,
			)
		)
	if op == "report":
		return lambda: outcome(
			c.call(
				"frappe.desk.reportview.get",
				http="GET",
				doctype=doctype,
				fields=json.dumps([f"`tab{doctype}`.`name`"]),
				filters=json.dumps({"name": name}),
			),
			name,
			listed=True,
		)
	raise AssertionError(op)


def run_all(thunks: dict) -> dict:
	"""Runs the prepared HTTP attempts four at a time (the server has two workers)."""
	with ThreadPoolExecutor(max_workers=4) as pool:
		futures = {key: pool.submit(fn) for key, fn in thunks.items()}
		return {key: f.result() for key, f in futures.items()}


def _unchanged_rows(sample):
	"""What no attempt may change: the sample opportunity's process fields, its history, the log."""
	frappe.db.rollback()
	opp = frappe.db.get_value(
		"Sales Opportunity", sample.opp["name"], ["stage", "sales_person", "status"], as_dict=True
	)
	return (
		dict(opp),
		frappe.db.count("Opportunity Stage Log", {"opportunity": sample.opp["name"]}),
		frappe.db.get_value("Sales Daily Log", sample.log, "content_hash"),
		frappe.db.get_value("Sales Process Stage", "赢单", ["probability", "sequence", "is_won"]),
		frappe.db.get_value("Sales Lead", sample.lead, ["sales_person", "status", "pool"]),
		frappe.db.count("Sales Lead Log", {"lead": sample.lead}),
	)


@pytest.mark.parametrize("doctype", list(EXPECTED))
def test_doctype_permission_matrix(world, clients, sample, tally, doctype):
	before = _unchanged_rows(sample)
	# create/write/delete first and one by one (their order matters: a delete must not race a write)
	actual = {op: {} for op in EXPECTED[doctype]}
	for op in ("create", "write", "delete"):
		for who in ROLES if op in actual else ():
			actual[op][who] = attempt(world, clients, sample, doctype, op, who)()
	reads = {
		(op, who): attempt(world, clients, sample, doctype, op, who)
		for op in EXPECTED[doctype]
		if op not in ("create", "write", "delete")
		for who in ROLES
	}
	for (op, who), result in run_all(reads).items():
		actual[op][who] = result
	tally("permissions checked", sum(len(v) for v in actual.values()))
	diff = {
		(op, who): (EXPECTED[doctype][op][who], actual[op][who])
		for op in actual
		for who in ROLES
		if actual[op][who] != EXPECTED[doctype][op][who]
	}
	assert not diff, f"{doctype}: (op, caller): (expected, actual) {diff}"
	after = _unchanged_rows(sample)
	if doctype == "Sales Opportunity":  # writes of next_action are allowed; process fields are not
		assert after[0] == before[0] and after[1:] == before[1:]
	else:
		assert after == before


def method_calls(world, sample) -> dict:
	opp, alert = sample.opp["name"], sample.alert
	return {
		f"{OA}.advance_stage": {"name": opp, "to_stage": "方案/演示", "evidence": "{}"},
		f"{OA}.return_opportunity": {"name": opp},
		f"{OA}.keep_opportunity": {"name": opp},
		f"{OA}.reassign_opportunity": {"name": opp, "sales_person": f"nobody {sample.tag}"},
		f"{OA}.request_lost": {"name": opp, "reason": " "},
		f"{OA}.approve_lost": {"name": opp},
		f"{OA}.reject_lost": {"name": opp},
		f"{OA}.correct_closed": {"name": opp, "reason": "matrix", "amount": 1},
		f"{OA}.get_stage_path": {"name": opp},
		f"{DL}.add_log": {"customer": sample.opp["customer"], "activities": ["电话沟通"], "minutes": 1},
		f"{DL}.verify_chain": {"sales_person": world.sp["rep_a1"]},
		f"{HA}.raise_alert": {"opportunity": opp, "reason": "其他", "description": " "},
		f"{HA}.respond": {"alert": alert, "analysis": " "},
		f"{HA}.mark_effective": {"alert": alert, "response": "no-such-row"},
		f"{HA}.search_experience": {"text": "matrix"},
		f"{LA}.claim_lead": {"name": sample.lead},
		f"{LA}.release_lead": {"name": sample.lead, "reason": " "},
		f"{LA}.assign_lead": {"name": sample.lead, "sales_person": f"nobody {sample.tag}"},
		f"{LA}.disqualify_lead": {"name": sample.lead, "reason": " "},
		f"{LA}.convert_lead": {"name": sample.lead, "amount": -1},
		"sales_process.api.workbench.get_workbench": {},
		"sales_process.sales_process.page.opportunity_board.opportunity_board.get_board": {},
		"sales_process.sales_process.doctype.sales_opportunity.sales_opportunity.make_quotation": {
			"source_name": opp
		},
		"sales_process.sales_process.doctype.help_alert.help_alert.get_suggestions": {"name": alert},
		"sales_process.api.referrals.get_referral_graph": {"customer": sample.opp["customer"]},
		"sales_process.overrides.client.get_count": {
			"doctype": "Sales Opportunity",
			"filters": json.dumps({"name": opp}),
		},
		"sales_process.overrides.web_form.accept": {
			"web_form": "sales-enquiry",
			"data": json.dumps({"name": sample.lead, "notes": "overwritten"}),
		},
		"sales_process.sales_process.dashboard_chart_source.open_pipeline_by_stage.open_pipeline_by_stage.get": {},
		"sales_process.api.crm_migration.get_plan": {},
		"sales_process.api.crm_migration.save_stage_mapping": {"mapping": json.dumps({})},
		"sales_process.api.crm_migration.start_migration": {},
	}


GET_METHODS = {
	f"{OA}.get_stage_path",
	f"{DL}.verify_chain",
	f"{HA}.search_experience",
	"sales_process.api.workbench.get_workbench",
	"sales_process.sales_process.page.opportunity_board.opportunity_board.get_board",
	"sales_process.sales_process.doctype.help_alert.help_alert.get_suggestions",
	"sales_process.overrides.client.get_count",
	"sales_process.sales_process.doctype.sales_opportunity.sales_opportunity.make_quotation",
	"sales_process.api.referrals.get_referral_graph",
	"sales_process.sales_process.dashboard_chart_source.open_pipeline_by_stage.open_pipeline_by_stage.get",
	"sales_process.api.crm_migration.get_plan",
}


# overrides are reached the way the desk and the website reach them: through the frappe name
OVERRIDDEN = {
	"sales_process.overrides.client.get_count": "frappe.client.get_count",
	"sales_process.overrides.web_form.accept": "frappe.website.doctype.web_form.web_form.accept",
}


def test_whitelisted_method_matrix(world, clients, sample, tally):
	before = _unchanged_rows(sample)
	calls = method_calls(world, sample)

	def call(method, who):
		http = "GET" if method in GET_METHODS else "POST"
		path = OVERRIDDEN.get(method, method)

		def go():
			r = clients[who].call(path, http=http, **calls[method])
			return outcome(r, sample.opp["name"], listed=path == "frappe.client.get_count"), r

		return go

	# reads side by side; the POST methods one at a time (they lock the same opportunity row)
	results = run_all({(m, who): call(m, who) for m in calls if m in GET_METHODS for who in ROLES})
	results.update({(m, who): call(m, who)() for m in calls if m not in GET_METHODS for who in ROLES})
	actual = {key: result for key, (result, _r) in results.items()}
	for (method, who), (result, r) in results.items():
		if method == f"{DL}.verify_chain" and result == OK:
			assert r.json()["message"]["ok"] is True
		if method.endswith("get_workbench") and who in ("accountant", "outsider"):
			panels = r.json()["message"]
			for panel in ("appointments", "celebrations", "help_alerts", "near_confiscation", "pipeline"):
				value = panels.get(panel)
				rows = [x for v in value.values() for x in v] if isinstance(value, dict) else value
				assert not rows, (who, panel, value)
	tally("permissions checked", len(actual))
	diff = {k: (METHODS[k[0]][k[1]], v) for k, v in actual.items() if v != METHODS[k[0]][k[1]]}
	assert not diff, f"(method, caller): (expected, actual) {diff}"
	assert _unchanged_rows(sample) == before


def test_state_changing_methods_refuse_get(world, clients, sample, tally):
	"""State-changing methods are POST-only (docs/rules.md) — even for a caller who may use it."""
	calls = method_calls(world, sample)
	for method in set(calls) - GET_METHODS:
		r = clients["rep_a1"].call(method, http="GET", **calls[method])
		assert r.status_code in (403, 405), (method, r.status_code)
		tally("permissions checked")


def test_script_report_matrix(clients, tally):
	def run(report, who):
		return lambda: outcome(
			clients[who].call("frappe.desk.query_report.run", http="GET", report_name=report, filters="{}")
		)

	actual = run_all({(report, who): run(report, who) for report in REPORTS for who in ROLES})
	tally("permissions checked", len(actual))
	diff = {k: (REPORTS[k[0]][k[1]], v) for k, v in actual.items() if v != REPORTS[k[0]][k[1]]}
	assert not diff, f"(report, caller): (expected, actual) {diff}"


def test_child_tables_are_not_reachable_on_their_own(clients, tally):
	for doctype in CHILD_TABLES:
		for who in ("rep_a1", "manager", "outsider", "guest"):
			r = clients[who].list(doctype, fields=json.dumps(["name", "parent"]))
			assert r.status_code in (403, 417), (doctype, who, r.status_code, r.text[:200])
			tally("permissions checked")


def test_every_doctype_report_and_whitelisted_method_is_in_the_tables():
	"""Completeness only: the expectations above stay hand-written."""
	doctypes = set(frappe.get_all("DocType", {"module": "Sales Process"}, pluck="name"))
	assert doctypes == set(EXPECTED) | set(CHILD_TABLES)
	reports = set(frappe.get_all("Report", {"module": "Sales Process", "is_standard": "Yes"}, pluck="name"))
	assert reports == set(REPORTS)
	root = pathlib.Path(frappe.get_app_path("sales_process"))
	found = set()
	for path in root.rglob("*.py"):
		module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
		for node in ast.walk(ast.parse(path.read_text())):
			if isinstance(node, ast.FunctionDef) and any(
				"whitelist" in ast.unparse(d) for d in node.decorator_list
			):
				found.add(f"{module}.{node.name}")
	assert found == set(METHODS)


# K4: lists of these leave only through a Sales Manager — every print and export path, per caller
K4_CALLERS = ("rep_a1", "rep_b1", "manager")
K4_PATHS = ("list export", "report builder", "data export", "print pdf", "printview", "print html")
K4 = {
	"Customer": {path: dict(zip(K4_CALLERS, (DENY, DENY, OK), strict=True)) for path in K4_PATHS},
	"Contact": {path: dict(zip(K4_CALLERS, (DENY, DENY, OK), strict=True)) for path in K4_PATHS},
	"Address": {path: dict(zip(K4_CALLERS, (DENY, DENY, OK), strict=True)) for path in K4_PATHS},
	"Sales Opportunity": {path: dict(zip(K4_CALLERS, (DENY, DENY, OK), strict=True)) for path in K4_PATHS},
	"Sales Lead": {path: dict(zip(K4_CALLERS, (DENY, DENY, OK), strict=True)) for path in K4_PATHS},
}


@pytest.fixture(scope="module")
def k4_records(sample):
	"""One record of each K4 doctype that rep_a1 may read: the sample's customer, lead and
	opportunity, and a contact and an address of that customer."""
	customer = sample.opp["customer"]
	links = [{"link_doctype": "Customer", "link_name": customer}]
	contact = frappe.get_doc({"doctype": "Contact", "first_name": f"K4 {sample.tag}", "links": links}).insert(
		ignore_permissions=True
	)
	address = frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": f"K4 {sample.tag}",
			"address_line1": "1 Export Road",
			"city": "Shanghai",
			"country": frappe.db.get_value("Country", {}, "name"),
			"links": links,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	yield {
		"Customer": customer,
		"Contact": contact.name,
		"Address": address.name,
		"Sales Opportunity": sample.opp["name"],
		"Sales Lead": sample.lead,
	}
	frappe.db.rollback()
	frappe.delete_doc("Contact", contact.name, ignore_permissions=True, force=True)
	frappe.delete_doc("Address", address.name, ignore_permissions=True, force=True)
	frappe.db.commit()


def k4_attempt(c, doctype: str, name: str, path: str):
	columns = json.dumps([f"`tab{doctype}`.`name`"])
	if path in ("list export", "report builder"):  # the list's Export and Report Builder's both call it
		params = {"doctype": doctype, "file_format_type": "CSV", "fields": columns, "title": doctype}
		if path == "list export":
			params["selected_items"] = json.dumps([name])
		return lambda: outcome(c.call("frappe.desk.reportview.export_query", **params))
	if path == "data export":
		return lambda: outcome(
			c.call(
				"frappe.core.doctype.data_export.exporter.export_data",
				doctype=doctype,
				select_columns=json.dumps({doctype: ["name"]}),
				with_data=1,
				file_type="CSV",
			)
		)
	if path == "print pdf":  # the list's Print (several documents in one PDF)
		return lambda: outcome(
			c.call(
				"frappe.utils.print_format.download_multi_pdf",
				doctype=doctype,
				name=json.dumps([name]),
			)
		)
	if path == "printview":
		return lambda: outcome(
			c.session.get(c.url("/printview"), params={"doctype": doctype, "name": name}, timeout=60)
		)
	if path == "print html":
		return lambda: outcome(
			c.session.get(
				c.url("/api/method/frappe.www.printview.get_html_and_style"),
				params={"doc": doctype, "name": name},
				timeout=30,
			)
		)
	raise AssertionError(path)


def test_k4_lists_are_neither_printed_nor_exported_by_sales_users(clients, k4_records, tally):
	actual = run_all(
		{
			(doctype, path, who): k4_attempt(clients[who], doctype, k4_records[doctype], path)
			for doctype, paths in K4.items()
			for path in paths
			for who in K4_CALLERS
		}
	)
	tally("permissions checked", len(actual))
	diff = {k: (K4[k[0]][k[1]][k[2]], v) for k, v in actual.items() if v != K4[k[0]][k[1]][k[2]]}
	assert not diff, f"(doctype, path, caller): (expected, actual) {diff}"


@pytest.mark.parametrize("login", ["token", "basic", "session"])
def test_k4_refusal_is_in_the_callers_language_however_they_log_in(world, zh_logins, login, tally):
	"""A zh Sales User is refused export and print in Chinese whether they send an API token, HTTP
	Basic or a session cookie (the request itself asks for English)."""
	s = zh_logins[login]
	export = s.post(
		f"{world.server.base}/api/method/frappe.desk.reportview.export_query",
		json={"doctype": "Customer", "file_format_type": "CSV", "fields": '["`tabCustomer`.`name`"]'},
		timeout=30,
	)
	printed = s.get(f"{world.server.base}/printview", params={"doctype": "Address", "name": "x"}, timeout=30)
	for what, r, doctype in (("export", export, "客户"), ("print", printed, "地址")):
		assert outcome(r) == DENY, (login, what, r.status_code, r.text[:300])
		assert f"您无权打印或导出{doctype}：请联系销售经理。" in message(r), (login, what, message(r))
	tally("permissions checked", 2)
