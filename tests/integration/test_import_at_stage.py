"""M3 through Frappe's own Data Import doctype: a Sales Manager brings opportunities in at their
real stage and owner (won and lost ones with past close dates) and leads at their status and
holder; every bad row gets its own message and leaves nothing behind (no record, no log row); a
salesperson's rows are refused. Data Import commits row by row, so this module works on the
world's committed people and customers and removes what it made by name."""

import json

import pytest

import frappe
from frappe.model.base_document import get_controller
from frappe.utils import add_days, getdate, today
from frappe.utils.xlsxutils import make_xlsx

from sales_process.domain import opportunity as opp
from sales_process.domain.deadlines import due_at

OPP = "Sales Opportunity"
LEAD = "Sales Lead"
OPP_HEADER = ["Customer", "Company", "Stage", "Sales Person", "Amount", "Expected Close Date", "Lost Reason"]
LEAD_HEADER = ["Company Name", "Contact Person", "Phone", "Status", "Sales Person"]


@pytest.fixture(scope="module")
def tag(world):
	tag = f"imp{frappe.generate_hash(length=6)}"
	yield tag
	frappe.db.rollback()
	leads = frappe.get_all(LEAD, {"company_name": ("like", f"%{tag}%")}, pluck="name")
	if leads:
		frappe.db.delete("Sales Lead Log", {"lead": ("in", leads)})
		frappe.db.delete("Version", {"docname": ("in", leads)})
		frappe.db.delete(LEAD, {"name": ("in", leads)})
	frappe.db.commit()  # the world removes its customers' opportunities and their stage logs


def _csv(rows: list[list]) -> bytes:
	return "\n".join(",".join(f'"{v}"' for v in row) for row in rows).encode()


def _import(user: str, doctype: str, file_name: str, content: bytes) -> tuple[frappe._dict, list[dict]]:
	"""One Data Import of `content` run by `user` as its job runs it (row by row, each committed or
	rolled back) → (the Data Import's status and warnings, its log rows)."""
	frappe.db.rollback()
	frappe.set_user("Administrator")
	file = frappe.get_doc(
		{"doctype": "File", "file_name": file_name, "content": content, "is_private": 1}
	).insert(ignore_permissions=True)
	di = frappe.get_doc(
		{
			"doctype": "Data Import",
			"reference_doctype": doctype,
			"import_type": "Insert New Records",
			"import_file": file.file_url,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	try:
		frappe.set_user(user)
		di.start_import()  # in tests Frappe runs the job at once (enqueue now=True)
		frappe.db.commit()
		frappe.set_user("Administrator")
		result = frappe.db.get_value("Data Import", di.name, ["status", "template_warnings"], as_dict=True)
		rows = frappe.get_all(
			"Data Import Log",
			{"data_import": di.name},
			["success", "docname", "messages", "exception", "row_indexes"],
			order_by="log_index",
		)
		return result, rows
	finally:
		frappe.db.rollback()
		frappe.set_user("Administrator")
		frappe.delete_doc("Data Import", di.name, force=True, ignore_permissions=True)
		frappe.delete_doc("File", file.name, force=True, ignore_permissions=True)
		frappe.db.commit()


def _stage_logs(opportunity: str) -> list[dict]:
	return frappe.get_all(
		"Opportunity Stage Log",
		{"opportunity": opportunity},
		["action", "from_stage", "to_stage", "from_sales_person", "to_sales_person", "by_user"],
	)


def _stages():
	stages = opp.process_stages()
	open_ = [s for s in stages if not s.is_terminal]
	return open_, opp.terminal_stage("is_won"), opp.terminal_stage("is_lost")


def test_a_managers_import_brings_opportunities_in_at_their_stage_and_owner(world, tag):
	open_, won, lost = _stages()
	second = open_[1]
	c_open, c_won, c_lost, c_bad = (world.customer() for _ in range(4))
	rep, other = world.sp["rep_a1"], world.sp["rep_b1"]
	future, past = add_days(today(), 40), add_days(today(), -90)
	rows = [
		OPP_HEADER,
		[c_open, world.company, second.name, rep, 52000, future, ""],
		[c_won, world.company, won.name, other, 81000, past, ""],
		[c_lost, world.company, lost.name, rep, 9000, past, "Price"],
		[c_open, world.company, open_[0].name, other, 1000, future, ""],  # O2: rep holds c_open
		[c_bad, world.company, second.name, other, 1000, past, ""],  # open, but closing in the past
		[c_bad, world.company, lost.name, other, 1000, past, ""],  # lost without a reason
		[c_bad, world.company, second.name, other, -5, future, ""],  # a negative amount
	]
	logs_before = frappe.db.count("Opportunity Stage Log")
	result, log = _import(world.users["manager"], OPP, f"opps-{tag}.csv", _csv(rows))

	assert result.status == "Partial Success", result
	assert [(r.success, json.loads(r.row_indexes)) for r in log] == [
		(1, [2]),
		(1, [3]),
		(1, [4]),
		(0, [5]),
		(0, [6]),
		(0, [7]),
		(0, [8]),
	], [(r.row_indexes, (r.exception or "").strip().splitlines()[-1:]) for r in log]
	imported, closed_won, closed_lost = (frappe.get_doc(OPP, r.docname) for r in log[:3])
	assert (imported.stage, imported.sales_person, imported.status) == (second.name, rep, "Open")
	assert imported.probability == second.probability
	assert imported.stage_due_at == due_at(imported.stage_entered_at, second.time_limit_days)
	assert (closed_won.status, closed_won.probability, closed_won.stage_due_at) == ("Won", 100, None)
	assert getdate(closed_won.expected_close_date) == getdate(past)
	assert (closed_lost.status, closed_lost.stage, closed_lost.lost_reason) == ("Lost", lost.name, "Price")
	for doc in (imported, closed_won, closed_lost):
		# exactly one Import row: the record's history starts where the import put it
		assert _stage_logs(doc.name) == [
			{
				"action": "Import",
				"from_stage": None,
				"to_stage": doc.stage,
				"from_sales_person": None,
				"to_sales_person": doc.sales_person,
				"by_user": world.users["manager"],
			}
		]

	messages = [r.messages for r in log[3:]]
	assert rep in messages[0] and imported.name in messages[0]  # the duplicate claim names the holder
	assert "already owns open opportunity" in messages[0]
	assert "only won or lost opportunities may be imported with a past date" in messages[1]
	assert "needs its lost reason" in messages[2]
	assert "amount cannot be negative" in messages[3]
	# nothing of a bad row was written: no second opportunity for c_open, none for c_bad, and no
	# log row beyond the three imports (the refused rows' Import rows were rolled back with them)
	assert frappe.db.count(OPP, {"customer": c_open}) == 1
	assert not frappe.db.exists(OPP, {"customer": c_bad})
	assert frappe.db.count("Opportunity Stage Log") - logs_before == 3


def test_an_unknown_stage_or_owner_is_named_per_row_and_nothing_is_imported(world, tag):
	"""Frappe's Data Import checks every Link value before it imports any row: a stage or a Sales
	Person that does not exist is reported with its row, and the file is not imported."""
	open_, _won, _lost = _stages()
	good, bad = world.customer(), world.customer()
	rows = [
		OPP_HEADER,
		[good, world.company, open_[0].name, world.sp["rep_a2"], 100, add_days(today(), 9), ""],
		[bad, world.company, f"Stage {tag}", world.sp["rep_a2"], 100, add_days(today(), 9), ""],
		[bad, world.company, open_[0].name, f"Nobody {tag}", 100, add_days(today(), 9), ""],
	]
	result, log = _import(world.users["manager"], OPP, f"unknown-{tag}.xlsx", make_xlsx(rows, "O").getvalue())

	warnings = json.loads(result.template_warnings)
	assert not log and result.status == "Pending"
	per_row = {(w["row"], w["field"]["fieldname"]) for w in warnings if w.get("row")}
	assert per_row == {(3, "stage"), (4, "sales_person")}
	assert any(f"Stage {tag}" in w["message"] for w in warnings)
	assert not frappe.db.exists(OPP, {"customer": ("in", [good, bad])})


def test_a_salespersons_import_is_refused_row_by_row(world, tag):
	rep = world.users["rep_a1"]
	# Frappe's Data Import is not theirs to open, and the doctypes are not importable for them
	assert not frappe.has_permission("Data Import", "create", user=rep)
	assert not frappe.has_permission(OPP, "import", user=rep)
	assert not frappe.has_permission(LEAD, "import", user=rep)
	assert frappe.has_permission(OPP, "import", user=world.users["manager"])
	assert frappe.has_permission(LEAD, "import", user=world.users["manager"])

	open_, won, _lost = _stages()
	customer = world.customer()
	rows = [
		OPP_HEADER,
		[customer, world.company, open_[2].name, world.sp["rep_a1"], 100, add_days(today(), 9), ""],
		[customer, world.company, won.name, world.sp["rep_a1"], 100, add_days(today(), -9), ""],
	]
	result, log = _import(rep, OPP, f"rep-{tag}.csv", _csv(rows))
	assert result.status == "Error" and [r.success for r in log] == [0, 0]
	assert all("Only a Sales Manager or a System Manager can import" in r.messages for r in log)
	assert not frappe.db.exists(OPP, {"customer": customer})

	leads = [LEAD_HEADER, [f"Rep {tag}", "赵六", world.fake.numerify("13#########"), "Contacted", ""]]
	result, log = _import(rep, LEAD, f"rep-leads-{tag}.csv", _csv(leads))
	assert (
		result.status == "Error" and "Only a Sales Manager or a System Manager can import" in log[0].messages
	)
	assert not frappe.db.exists(LEAD, {"company_name": f"Rep {tag}"})


def test_a_managers_lead_import_keeps_status_and_holder(world, tag):
	phone = world.fake.numerify("13#########")
	rep = world.sp["rep_b1"]
	rows = [
		LEAD_HEADER,
		[f"Held {tag}", "张三", phone, "Contacted", rep],
		[f"Pool {tag}", "李四", world.fake.numerify("13#########"), "", ""],
		[f"Same {tag}", "王五", phone, "New", world.sp["rep_a1"]],  # G3: rep_b1 holds that phone
		[f"Done {tag}", "钱七", world.fake.numerify("13#########"), "Converted", rep],
	]
	result, log = _import(world.users["manager"], LEAD, f"leads-{tag}.csv", _csv(rows))

	assert result.status == "Partial Success"
	assert [r.success for r in log] == [1, 1, 0, 0], [r.messages for r in log]
	held, pooled = (frappe.get_doc(LEAD, r.docname) for r in log[:2])
	assert (held.status, held.sales_person, held.source) == ("Contacted", rep, "Import")
	assert held.held_since and (pooled.status, pooled.sales_person) == ("New", None)
	for doc in (held, pooled):
		assert frappe.get_all(
			"Sales Lead Log", {"lead": doc.name}, ["action", "to_sales_person", "by_user"]
		) == [{"action": "Import", "to_sales_person": doc.sales_person, "by_user": world.users["manager"]}]
	assert rep in log[2].messages and held.name in log[2].messages  # the holder is named
	assert "Converted is not allowed" in log[3].messages
	for name in (f"Same {tag}", f"Done {tag}"):
		assert not frappe.db.exists(LEAD, {"company_name": name})


@pytest.mark.parametrize("doctype", [OPP, LEAD])
def test_a_row_failing_after_its_log_row_leaves_neither(world, tag, doctype, monkeypatch):
	"""Data Import rolls a failed row back whole: a failure after the Import log row was written
	(on_update, the step after after_insert) takes that log row with it."""
	controller = get_controller(doctype)
	open_, _won, _lost = _stages()
	doomed, kept = world.customer(), world.customer()
	if doctype == OPP:
		rows = [
			OPP_HEADER,
			[doomed, world.company, open_[1].name, world.sp["rep_a2"], 10, add_days(today(), 9), ""],
			[kept, world.company, open_[1].name, world.sp["rep_a2"], 10, add_days(today(), 9), ""],
		]
		log_doctype, key = "Opportunity Stage Log", "customer"
	else:
		doomed, kept = f"Doomed {tag}", f"Kept {tag}"
		rows = [
			LEAD_HEADER,
			[doomed, "甲", world.fake.numerify("13#########"), "Qualified", world.sp["rep_a2"]],
			[kept, "乙", world.fake.numerify("13#########"), "Qualified", world.sp["rep_a2"]],
		]
		log_doctype, key = "Sales Lead Log", "company_name"

	def fail_late(self, *args):
		if self.get(key) == doomed:
			raise frappe.ValidationError("a failure after the log row")

	monkeypatch.setattr(controller, "on_update", fail_late, raising=False)
	logs_before = frappe.db.count(log_doctype)
	result, log = _import(world.users["manager"], doctype, f"late-{tag}.csv", _csv(rows))

	assert [r.success for r in log] == [0, 1] and result.status == "Partial Success"
	assert "a failure after the log row" in log[0].exception
	assert not frappe.db.exists(doctype, {key: doomed}) and frappe.db.exists(doctype, {key: kept})
	assert frappe.db.count(log_doctype) - logs_before == 1
