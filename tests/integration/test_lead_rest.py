"""Leads through the REST API of a real server (G3, G5, A1): simultaneous claims of one lead and
simultaneous duplicate leads (exactly one wins, the other gets a 409 naming the holder), the HTTP
status of every kind of refusal, POST-only methods, and Guests trying to read leads. The data is
committed (the server has its own connections) and removed at the end."""

import json

import pytest

import frappe

from tests.integration.rest import Client, message
from tests.integration.test_races import together

LEAD, LOG = "Sales Lead", "Sales Lead Log"
API = "sales_process.api.lead"


def remove_leads(names: list[str]):
	frappe.db.rollback()
	if names:
		frappe.db.delete("Notification Log", {"document_name": ("in", names)})
		frappe.db.delete("Version", {"docname": ("in", names)})
		frappe.db.delete(LOG, {"lead": ("in", names)})
		frappe.db.delete(LEAD, {"name": ("in", names)})
	frappe.db.commit()


@pytest.fixture(scope="module")
def made(world):
	"""Collects the names of committed leads; removes them (and their history) at the end."""
	names: list[str] = []
	yield names
	tag = f"%{world.tag}%"
	names += frappe.get_all(LEAD, {"company_name": ("like", tag)}, pluck="name")
	remove_leads(sorted(set(names)))


def pool_lead(world, made, **fields) -> str:
	doc = frappe.get_doc(
		{"doctype": LEAD, "company_name": f"{world.fake.company()} {world.tag} {len(made)}", **fields}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	made.append(doc.name)
	return doc.name


def log_actions(name: str) -> list[str]:
	frappe.db.rollback()
	return frappe.get_all(LOG, {"lead": name}, pluck="action", order_by="name asc")


def test_two_simultaneous_claims_of_one_lead_one_wins(world, made, tally):
	for _round in range(3):
		name = pool_lead(world, made)
		a, b = together(
			lambda name=name: world["rep_a1"].call(f"{API}.claim_lead", name=name),
			lambda name=name: world["rep_b1"].call(f"{API}.claim_lead", name=name),
		)
		tally("races run")
		assert sorted([a.status_code, b.status_code]) == [200, 409], (message(a), message(b))
		winner, loser = (a, b) if a.status_code == 200 else (b, a)
		holder = winner.json()["message"]["sales_person"]
		assert holder in (world.sp["rep_a1"], world.sp["rep_b1"])
		assert holder in message(loser) and "already held" in message(loser)
		frappe.db.rollback()
		assert frappe.db.get_value(LEAD, name, "sales_person") == holder
		assert log_actions(name) == ["Create", "Claim"]


def test_two_simultaneous_duplicate_leads_one_is_created(world, made, tally):
	for i in range(3):
		phone = f"139{int(world.tag, 16) % 10**6:06d}{i:02d}"
		docs = [
			{"company_name": f"双胞胎 A {world.tag} {i}", "phone": phone},
			{
				"company_name": f"双胞胎 B {world.tag} {i}",
				"phone": f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}",
			},
		]
		a, b = together(
			lambda docs=docs: world["rep_a1"].insert(LEAD, docs[0]),
			lambda docs=docs: world["rep_b1"].insert(LEAD, docs[1]),
		)
		tally("races run")
		assert sorted([a.status_code, b.status_code]) == [200, 409], (message(a), message(b))
		winner, loser = (a, b) if a.status_code == 200 else (b, a)
		made.append(winner.json()["data"]["name"])
		assert winner.json()["data"]["sales_person"] in message(loser)
		frappe.db.rollback()
		assert frappe.db.count(LEAD, {"normalized_phone": phone}) == 1
	# into the pool at once (an integration with no Sales Person): still one
	a, b = together(
		lambda: world["manager"].insert(
			LEAD, {"company_name": f"池中 {world.tag}", "email": f"x{world.tag}@dup.cn"}
		),
		lambda: world["manager"].insert(
			LEAD, {"company_name": f"池中 {world.tag} 2", "email": f"X{world.tag}@DUP.cn"}
		),
	)
	assert sorted([a.status_code, b.status_code]) == [200, 409], (message(a), message(b))
	made.append((a if a.status_code == 200 else b).json()["data"]["name"])


def test_refusals_come_back_with_their_http_status(world, made, tally):
	name = pool_lead(world, made)
	a1 = world["rep_a1"]
	cases = [
		# (caller, method, arguments, status)
		("rep_a1", "claim_lead", {"name": name}, 200),
		("rep_a1", "claim_lead", {"name": name}, 409),  # already held (by the caller)
		("rep_a2", "claim_lead", {"name": name}, 403),  # not in rep_a2's scope any more
		("rep_a1", "release_lead", {"name": name, "reason": " "}, 417),
		("rep_a1", "release_lead", {"name": name, "reason": {"a": 1}}, 417),
		("rep_a1", "assign_lead", {"name": name, "sales_person": world.sp["rep_a2"]}, 403),
		("lead_a", "assign_lead", {"name": name, "sales_person": world.sp["rep_b1"]}, 403),
		("manager", "assign_lead", {"name": name, "sales_person": "nobody"}, 417),
		("rep_a1", "claim_lead", {"name": "SLEAD-NONE"}, 404),
		("lead_a", "assign_lead", {"name": name, "sales_person": world.sp["rep_a2"]}, 200),
		("rep_a2", "release_lead", {"name": name, "reason": "客户已有合作方"}, 200),
		("rep_a2", "claim_lead", {"name": name}, 417),  # cool-down
		("outsider", "claim_lead", {"name": name}, 403),
		("manager", "claim_lead", {"name": name}, 417),  # no Sales Person
		("rep_a1", "disqualify_lead", {"name": name, "reason": "空号"}, 403),  # a pool lead
		("manager", "disqualify_lead", {"name": name, "reason": "空号"}, 200),
		("manager", "claim_lead", {"name": name}, 417),  # closed
	]
	for who, method, args, status in cases:
		r = world[who].call(f"{API}.{method}", **args)
		tally("permissions checked")
		assert r.status_code == status, (who, method, args, r.status_code, message(r))
	assert log_actions(name) == ["Create", "Claim", "Assign", "Release", "Disqualify"]
	# protected fields through REST: refused, nothing changed
	mine = a1.insert(LEAD, {"company_name": f"自己的 {world.tag}"}).json()["data"]["name"]
	made.append(mine)
	for changes, status in (
		({"sales_person": world.sp["rep_a2"]}, 403),  # the edited lead would leave rep_a1's scope
		({"status": "Converted"}, 417),
		({"held_since": "2001-01-01"}, 417),
	):
		r = a1.update(LEAD, mine, changes)
		assert r.status_code == status, (changes, r.status_code, message(r))
	r = world["lead_a"].update(LEAD, mine, {"sales_person": world.sp["rep_a2"]})  # their manager
	assert r.status_code == 417 and "cannot be edited directly" in message(r), message(r)
	assert world["manager"].delete(LEAD, mine).status_code == 403
	assert a1.update(LEAD, mine, {"notes": "下周拜访"}).status_code == 200
	frappe.db.rollback()
	assert frappe.db.get_value(LEAD, mine, ["sales_person", "status"]) == (world.sp["rep_a1"], "New")


@pytest.mark.parametrize(
	"method", ["claim_lead", "release_lead", "assign_lead", "disqualify_lead", "convert_lead"]
)
def test_lead_methods_refuse_get(world, made, method):
	name = pool_lead(world, made)
	r = world["manager"].call(
		f"{API}.{method}", http="GET", name=name, reason="x", sales_person=world.sp["rep_a1"]
	)
	assert r.status_code in (403, 405), (method, r.status_code)
	assert log_actions(name) == ["Create"]


def test_guests_cannot_read_leads_or_their_history_through_any_rest_path(world, made, tally):
	name = pool_lead(world, made, email=f"guest{world.tag}@secret.example.com", phone="13712345678")
	company = frappe.db.get_value(LEAD, name, "company_name")
	log = frappe.get_all(LOG, {"lead": name}, pluck="name")[0]
	guest = Client(world.server, "Guest", "", "")
	guest.session.headers.pop("Authorization")
	fields = {LEAD: json.dumps(["name", "company_name", "email", "phone"]), LOG: json.dumps(["name", "lead"])}
	attempts = {
		"resource list": lambda dt: guest.list(dt, fields=fields[dt]),
		"resource get": lambda dt: guest.get_doc(dt, name if dt == LEAD else log),
		"client.get_list": lambda dt: guest.call(
			"frappe.client.get_list", http="GET", doctype=dt, fields=fields[dt]
		),
		"client.get": lambda dt: guest.call(
			"frappe.client.get", http="GET", doctype=dt, name=name if dt == LEAD else log
		),
		"client.get_value": lambda dt: guest.call(
			"frappe.client.get_value", http="GET", doctype=dt, fieldname="name", filters=json.dumps({})
		),
		"client.get_count": lambda dt: guest.call("frappe.client.get_count", http="GET", doctype=dt),
		"reportview.get": lambda dt: guest.call(
			"frappe.desk.reportview.get", doctype=dt, fields=json.dumps(["name"])
		),
		"reportview.export": lambda dt: guest.call(
			"frappe.desk.reportview.export_query",
			doctype=dt,
			file_format_type="CSV",
			fields=json.dumps(["name"]),
			title=dt,
		),
		"search_link": lambda dt: guest.call("frappe.desk.search.search_link", doctype=dt, txt=company[:6]),
		"form load": lambda dt: guest.call(
			"frappe.desk.form.load.getdoc", http="GET", doctype=dt, name=name if dt == LEAD else log
		),
	}
	for doctype in (LEAD, LOG):
		for label, attempt in attempts.items():
			r = attempt(doctype)
			tally("permissions checked")
			assert r.status_code in (401, 403), (doctype, label, r.status_code, r.text[:200])
			for secret in (company, f"guest{world.tag}", "13712345678"):
				assert secret not in r.text, (doctype, label, secret)
	r = guest.call(f"{API}.claim_lead", name=name)
	assert r.status_code == 403
	assert log_actions(name) == ["Create"]


def test_two_people_claiming_two_leads_at_once_both_win_and_wait_for_nobody(world, made, tally):
	"""Unrelated claims share no lock: both succeed at once, and a claim goes through while another
	person's claim (their Sales Person row, their lead, the pool row) is held open elsewhere."""
	for _round in range(3):
		lead_a, lead_b = pool_lead(world, made), pool_lead(world, made)
		a, b = together(
			lambda lead_a=lead_a: world["rep_a1"].call(f"{API}.claim_lead", name=lead_a),
			lambda lead_b=lead_b: world["rep_b1"].call(f"{API}.claim_lead", name=lead_b),
		)
		tally("races run")
		assert (a.status_code, b.status_code) == (200, 200), (message(a), message(b))
		frappe.db.rollback()
		assert frappe.db.get_value(LEAD, lead_a, "sales_person") == world.sp["rep_a1"]
		assert frappe.db.get_value(LEAD, lead_b, "sales_person") == world.sp["rep_b1"]
		assert log_actions(lead_a) == log_actions(lead_b) == ["Create", "Claim"]

	from sales_process.domain.lead import default_pool

	lead_a, lead_b = pool_lead(world, made), pool_lead(world, made)
	frappe.db.rollback()
	for doctype, name in (
		("Sales Lead Pool", default_pool()),
		("Sales Person", world.sp["rep_b1"]),
		(LEAD, lead_b),
	):
		table = frappe.qb.DocType(doctype)
		frappe.qb.from_(table).select(table.name).where(table.name == name).for_update().run()
	try:
		r = world["rep_a1"].call(f"{API}.claim_lead", name=lead_a)  # its client gives up after 30 s
		assert r.status_code == 200, message(r)
	finally:
		frappe.db.rollback()
	assert world["rep_b1"].call(f"{API}.claim_lead", name=lead_b).status_code == 200


def test_simultaneous_claims_of_one_person_stay_within_the_hold_limit(world, made, tally):
	from sales_process.domain.lead import held_count
	from sales_process.domain.settings import get_settings

	rep = world.sp["rep_a2"]
	limit = get_settings().lead_hold_limit
	try:
		for _round in range(3):
			frappe.db.rollback()
			held = held_count(rep)
			frappe.db.set_single_value("Sales Process Settings", "lead_hold_limit", held + 1)
			frappe.db.commit()
			names = [pool_lead(world, made), pool_lead(world, made)]
			results = together(
				*[lambda name=name: world["rep_a2"].call(f"{API}.claim_lead", name=name) for name in names]
			)
			tally("races run")
			assert sorted(r.status_code for r in results) == [200, 417], [message(r) for r in results]
			refused = next(r for r in results if r.status_code == 417)
			assert "the most allowed" in message(refused), message(refused)
			frappe.db.rollback()
			assert held_count(rep) == held + 1
			assert sorted(len(log_actions(n)) for n in names) == [1, 2]  # Create; Create + Claim
	finally:
		frappe.db.rollback()
		frappe.db.set_single_value("Sales Process Settings", "lead_hold_limit", limit)
		frappe.db.commit()
