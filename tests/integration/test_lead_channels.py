"""Lead capture through the channels that commit (G2): the public Web Form as a Guest (never showing
another lead, rate-limited per client), REST inserts, and Frappe's Data Import of CSV and XLSX with
a result per row. The server has its own connections, so everything here is committed and removed
by name at the end of the module."""

import json
import random

import pytest
import requests

import frappe
from frappe.utils.xlsxutils import make_xlsx

from sales_process.domain import lead_capture
from tests.integration.rest import Client, message

LEAD = "Sales Lead"
FORM = "sales-enquiry"
ACCEPT = "/api/method/frappe.website.doctype.web_form.web_form.accept"


@pytest.fixture(scope="module")
def tag(world):
	tag = f"cap{frappe.generate_hash(length=6)}"
	yield tag
	_remove_leads(tag)


def _remove_leads(tag: str):
	frappe.db.rollback()
	names = frappe.get_all(LEAD, {"company_name": ("like", f"%{tag}%")}, pluck="name")
	if names:
		for doctype, field in (
			("Sales Lead Log", "lead"),
			("Comment", "reference_name"),
			("ToDo", "reference_name"),
			("Version", "docname"),
		):
			frappe.db.delete(doctype, {field: ("in", names)})
		frappe.db.delete(LEAD, {"name": ("in", names)})
	frappe.db.commit()


@pytest.fixture(scope="module")
def guest(world):
	client = Client(world.server, "Guest", "", "")
	client.session.headers.pop("Authorization")
	return client


def random_ip() -> str:
	"""A client address of its own per test run: the hourly counters outlive the run in Redis."""
	return "10." + ".".join(str(random.randint(1, 254)) for _ in range(3))


def submit(guest: Client, data: dict, ip: str | None = None, **extra) -> requests.Response:
	return guest.session.post(
		guest.url(ACCEPT),
		data={"web_form": FORM, "data": json.dumps(data), **extra},
		headers={"X-Forwarded-For": ip or random_ip()},
		timeout=30,
	)


def enquiry(world, tag: str) -> dict:
	fake = world.fake
	return {
		"company_name": f"{fake.company()} {tag} {frappe.generate_hash(length=4)}",
		"lead_name": fake.name(),
		"phone": fake.numerify("13#########"),
		"email": f"{frappe.generate_hash(length=8)}@prospect.example.com",
		"notes": "Need 20 machines",
	}


def lead_by_phone(phone: str) -> dict | None:
	frappe.db.rollback()  # see the server's commits
	return frappe.db.get_value(LEAD, {"phone": phone}, ["*"], as_dict=True)


# --- the Web Form ----------------------------------------------------------------------------------


def test_the_web_form_is_public_and_asks_only_what_a_prospect_fills_in(guest):
	form = frappe.get_doc("Web Form", FORM)
	assert (form.doc_type, form.published, form.login_required, form.anonymous) == (LEAD, 1, 0, 1)
	# nothing that could list, open, edit or delete a lead
	assert (form.show_list, form.allow_edit, form.allow_multiple, form.allow_delete) == (0, 0, 0, 0)
	assert (form.allow_print, form.allow_comments, form.show_attachments) == (0, 0, 0)
	assert {f.fieldname for f in form.web_form_fields} == set(lead_capture.WEB_FORM_FIELDS)
	page = guest.session.get(guest.url(f"/{FORM}"), timeout=30)
	assert page.status_code == 200 and "web-form-wrapper" in page.text


def test_a_guest_submission_becomes_a_pool_lead_and_gets_nothing_back(world, guest, tag):
	data = enquiry(world, tag)
	r = submit(guest, data)
	assert r.status_code == 200, message(r)
	assert r.json() == {"message": {}}  # not the document Frappe would send back
	row = lead_by_phone(data["phone"])
	assert row and (row.source, row.owner, row.sales_person, row.status) == ("Web Form", "Guest", None, "New")
	assert row.company_name == data["company_name"] and row.notes == data["notes"] and row.pool
	assert frappe.get_all("Sales Lead Log", {"lead": row.name}, pluck="action") == ["Create"]
	assert row.score > 0 and "Web Form" in row.score_explanation


def test_guests_can_neither_read_nor_change_leads(world, guest, tag):
	data = enquiry(world, tag)
	assert submit(guest, data).status_code == 200
	name = lead_by_phone(data["phone"]).name
	for r in (
		guest.list(LEAD),
		guest.list(LEAD, fields=json.dumps(["name", "company_name"])),
		guest.get_doc(LEAD, name),
		guest.call("frappe.client.get_list", http="GET", doctype=LEAD),
		guest.call("frappe.client.get", http="GET", doctype=LEAD, name=name),
		guest.insert(LEAD, {"company_name": f"REST {tag}"}),
		guest.call(
			"frappe.website.doctype.web_form.web_form.get_form_data",
			http="GET",
			doctype=LEAD,
			docname=name,
			web_form_name=FORM,
		),
	):
		assert r.status_code in (401, 403), (r.url, r.status_code)
		assert data["company_name"] not in r.text
	# an "edit" through the form: refused, the lead unchanged
	r = submit(guest, {**data, "name": name, "notes": "overwritten"})
	assert r.status_code >= 400 and lead_by_phone(data["phone"]).notes == data["notes"]
	# the form's own pages list nothing and open nothing
	for path in (f"/{FORM}/list", f"/{FORM}/{name}", f"/{FORM}/{name}/edit", f"/{FORM}?name={name}"):
		page = guest.session.get(guest.url(path), timeout=30)
		assert data["company_name"] not in page.text and data["phone"] not in page.text, path


def test_a_repeat_enquiry_tells_the_guest_nothing_and_reaches_the_holder(world, guest, tag):
	data = enquiry(world, tag)
	r = world["rep_a1"].insert(LEAD, data)
	assert r.status_code == 200, message(r)
	held = r.json()["data"]
	assert held["sales_person"] == world.sp["rep_a1"]

	again = {**enquiry(world, tag), "phone": data["phone"], "notes": "Still interested?"}
	r = submit(guest, again)
	assert r.status_code == 200, message(r)
	assert r.json() == {"message": {}}
	for secret in (held["name"], world.sp["rep_a1"], data["company_name"]):
		assert secret not in r.text
	frappe.db.rollback()
	assert frappe.db.count(LEAD, {"phone": data["phone"]}) == 1
	notes = frappe.get_all("Comment", {"reference_name": held["name"]}, pluck="content")
	assert any("sent the web form again" in n and "Still interested?" in n for n in notes), notes


def test_floods_from_one_client_are_rate_limited_with_a_clear_message(world, guest, tag):
	frappe.db.set_single_value("Sales Process Settings", "lead_web_form_rate_limit", 3)
	frappe.db.commit()
	try:
		flood, other = random_ip(), random_ip()
		sent = [enquiry(world, tag) for _ in range(4)]
		codes = [submit(guest, d, ip=flood).status_code for d in sent]
		assert codes == [200, 200, 200, 429]
		r = submit(guest, enquiry(world, tag), ip=flood)
		assert r.status_code == 429 and "Please try again in an hour" in message(r)
		assert lead_by_phone(sent[3]["phone"]) is None  # the refused one wrote nothing
		assert submit(guest, enquiry(world, tag), ip=other).status_code == 200  # another client
	finally:
		frappe.db.set_single_value("Sales Process Settings", "lead_web_form_rate_limit", 10)
		frappe.db.commit()


# --- REST ------------------------------------------------------------------------------------------


def test_rest_inserts_keep_the_named_source_and_place_the_lead(world, tag):
	data = {**enquiry(world, tag), "source": "Trade Show"}
	r = world["rep_a1"].insert(LEAD, data)
	assert r.status_code == 200, message(r)
	mine = r.json()["data"]
	assert (mine["source"], mine["sales_person"]) == ("Trade Show", world.sp["rep_a1"])

	other = {**enquiry(world, tag), "source": "Referral"}
	r = world["manager"].insert(LEAD, other)  # an integration's user: no Sales Person, into the pool
	assert r.status_code == 200, message(r)
	pooled = r.json()["data"]
	assert (pooled["source"], pooled.get("sales_person"), bool(pooled["pool"])) == ("Referral", None, True)

	r = world["rep_b1"].insert(LEAD, {**enquiry(world, tag), "email": data["email"]})
	assert r.status_code == 409 and world.sp["rep_a1"] in message(r)  # G3 names the holder


# --- Data Import -----------------------------------------------------------------------------------

HEADER = ["Company Name", "Contact Person", "Phone", "Email", "Source"]


def _import(tag: str, file_name: str, content: bytes) -> tuple[str, list[dict]]:
	"""Frappe's Data Import of one file (it commits row by row) → (status, its log rows)."""
	frappe.db.rollback()
	file = frappe.get_doc(
		{"doctype": "File", "file_name": file_name, "content": content, "is_private": 1}
	).insert(ignore_permissions=True)
	di = frappe.get_doc(
		{
			"doctype": "Data Import",
			"reference_doctype": LEAD,
			"import_type": "Insert New Records",
			"import_file": file.file_url,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	try:
		di.start_import()  # as the background job runs it (which commits its final status)
		frappe.db.commit()
		status = frappe.db.get_value("Data Import", di.name, "status")
		rows = frappe.get_all(
			"Data Import Log",
			{"data_import": di.name},
			["success", "docname", "messages", "row_indexes"],
			order_by="log_index",
		)
		return status, rows
	finally:
		frappe.db.rollback()
		frappe.delete_doc("Data Import", di.name, force=True, ignore_permissions=True)
		frappe.delete_doc("File", file.name, force=True, ignore_permissions=True)
		frappe.db.commit()


def test_a_csv_import_reports_each_row(world, tag):
	phone = world.fake.numerify("13#########")
	rows = [
		HEADER,
		[f"Alpha {tag}", "张三", phone, "", ""],
		[f"Beta {tag}", "李四", world.fake.numerify("13#########"), "", "Trade Show"],
		[f"Gamma {tag}", "王五", phone, "", ""],  # the same phone as the first row: G3
		["", "", world.fake.numerify("13#########"), "", ""],  # nobody to call
	]
	csv = "\n".join(",".join(f'"{v}"' for v in row) for row in rows).encode()
	status, log = _import(tag, f"leads-{tag}.csv", csv)

	assert status == "Partial Success"
	assert [(r.success, json.loads(r.row_indexes)) for r in log] == [(1, [2]), (1, [3]), (0, [4]), (0, [5])]
	first, second = (frappe.get_doc(LEAD, r.docname) for r in log[:2])
	assert (first.source, second.source) == ("Import", "Trade Show")
	assert first.sales_person is None and first.pool  # imported by a manager: into the pool
	assert frappe.get_all("Sales Lead Log", {"lead": first.name}, pluck="action") == ["Import"]
	assert "matches by company name, phone, email or tax ID" in log[2].messages
	assert "needs a company name or a contact person" in log[3].messages
	assert not frappe.db.exists(LEAD, {"company_name": f"Gamma {tag}"})


def test_an_xlsx_import_creates_the_leads(world, tag):
	rows = [HEADER] + [
		[f"Delta {tag} {i}", world.fake.name(), world.fake.numerify("13#########"), "", "Phone"]
		for i in range(3)
	]
	status, log = _import(tag, f"leads-{tag}.xlsx", make_xlsx(rows, "Leads").getvalue())
	assert [r.success for r in log] == [1, 1, 1], [r.messages for r in log]
	assert status == "Success"
	assert {frappe.db.get_value(LEAD, r.docname, "source") for r in log} == {"Phone"}
