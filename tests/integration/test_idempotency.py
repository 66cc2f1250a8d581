"""Idempotency keys on the write APIs (issue 22, docs/reliability.md), through the real server: a
retried write with the same key returns the first answer and writes nothing; the key in the header
or the field; a reused key (422), an invalid one (417), a refused write leaving no key, keys per
user, two requests with one key at the same moment (one row, 200 or 409, never a 500), POST only.
The data is committed (the server has its own connections) and removed at the end."""

import inspect
import threading
import time
import uuid

import pytest

import frappe

from sales_process.domain.idempotency import DOCTYPE, record_name, remove_expired
from tests.integration.rest import message
from tests.integration.test_lead_rest import log_actions, pool_lead, remove_leads
from tests.integration.test_opportunity_rest import FIRST_EVIDENCE, SECOND

DL, HA = "sales_process.api.daily_log", "sales_process.api.help_alert"
OA, LA = "sales_process.api.opportunity", "sales_process.api.lead"


@pytest.fixture(scope="module")
def made(world):
	"""Leads made here; at the end they and every key the world's users stored are removed."""
	names: list[str] = []
	yield names
	remove_leads(names)
	frappe.db.delete(DOCTYPE, {"user": ("in", list(world.users.values()))})
	frappe.db.commit()


def post(world, who: str, method: str, key: str | None = None, **kwargs):
	c = world[who]
	headers = {"Idempotency-Key": key} if key is not None else {}
	return c.session.post(c.url(f"/api/method/{method}"), json=kwargs, headers=headers, timeout=90)


def new_key() -> str:
	return str(uuid.uuid4())


def token(world) -> str:
	return f"idem {world.tag} {world.fake.uuid4()}"


def logs_with(note: str) -> list[str]:
	frappe.db.rollback()  # see what the server committed
	# autoincrement names: the API answers them as text
	return [str(n) for n in frappe.get_all("Sales Daily Log", {"note": note}, pluck="name")]


def stored(world, who: str, key: str):
	frappe.db.rollback()
	return frappe.db.get_value(
		DOCTYPE, record_name(world.users[who], key), ["method", "response"], as_dict=True
	)


def log_args(customer: str, note: str, **extra) -> dict:
	return {"customer": customer, "activities": ["电话沟通"], "minutes": 5, "note": note, **extra}


def opportunity(world, who: str = "rep_a1") -> str:
	r = world[who].insert("Sales Opportunity", world.opportunity_doc(world.customer()))
	assert r.status_code == 200, message(r)
	return r.json()["data"]["name"]


def test_a_retried_add_log_returns_the_first_answer_and_writes_once(world, made):
	note, key = token(world), new_key()
	args = log_args(world.customer(), note)
	first = post(world, "rep_a1", f"{DL}.add_log", key, **args)
	assert first.status_code == 200, message(first)
	again = post(world, "rep_a1", f"{DL}.add_log", key, **args)
	assert again.status_code == 200, message(again)
	assert again.json() == first.json()
	assert logs_with(note) == [first.json()["message"]]
	row = stored(world, "rep_a1", key)
	assert row.method == f"{DL}.add_log" and row.response == f'"{first.json()["message"]}"'
	# without a key the same request is a new entry, as before
	plain = world["rep_a1"].call(f"{DL}.add_log", **args)
	assert plain.status_code == 200 and len(logs_with(note)) == 2


def test_the_key_may_come_as_the_idempotency_key_field(world, made):
	note, key = token(world), new_key()
	args = log_args(world.customer(), note, idempotency_key=key)
	first = world["rep_a1"].call(f"{DL}.add_log", **args)
	assert first.status_code == 200, message(first)
	# the header with the same key is the same request
	again = post(world, "rep_a1", f"{DL}.add_log", key, **args)
	assert again.status_code == 200 and again.json() == first.json()
	assert logs_with(note) == [first.json()["message"]]
	# a header and a field that disagree are refused
	r = post(world, "rep_a1", f"{DL}.add_log", new_key(), **args)
	assert r.status_code == 417 and "differ" in message(r)
	assert len(logs_with(note)) == 1


def retried(world, who: str, method: str, **args):
	"""The write sent twice with one key: both answers 200 and equal; → the first answer."""
	key = new_key()
	first = post(world, who, method, key, **args)
	assert first.status_code == 200, message(first)
	again = post(world, who, method, key, **args)
	assert again.status_code == 200 and again.json() == first.json()
	frappe.db.rollback()
	return first


def test_retried_raise_alert_and_respond_write_once(world, made):
	opp = opportunity(world)
	args = {"opportunity": opp, "reason": "其他", "description": token(world)}
	alert = retried(world, "rep_a1", f"{HA}.raise_alert", **args).json()["message"]
	assert frappe.get_all("Help Alert", {"opportunity": opp}, pluck="name") == [alert]

	args = {"alert": alert, "analysis": token(world), "countermeasure": "安排总监拜访"}
	response = retried(world, "rep_a2", f"{HA}.respond", **args).json()["message"]
	assert frappe.db.count("Help Alert Response", {"parent": alert}) == 1

	# without the key the second call is refused (already resolved); with it, the first answer
	retried(world, "rep_a1", f"{HA}.mark_effective", alert=alert, response=response)
	assert frappe.db.count("Experience Entry", {"source_help_alert": alert}) == 1


def test_a_retried_claim_and_release_return_the_first_answer(world, made):
	lead = pool_lead(world, made)
	key = new_key()
	first = post(world, "rep_a1", f"{LA}.claim_lead", key, name=lead)
	assert first.status_code == 200, message(first)
	# without a key a second claim is "already yours" (409); the retry gets the first answer
	again = post(world, "rep_a1", f"{LA}.claim_lead", key, name=lead)
	assert again.status_code == 200, message(again)
	assert again.json() == first.json()
	assert first.json()["message"]["sales_person"] == world.sp["rep_a1"]
	assert log_actions(lead) == ["Create", "Claim"]

	key = new_key()
	first = post(world, "rep_a1", f"{LA}.release_lead", key, name=lead, reason="客户暂无预算")
	assert first.status_code == 200, message(first)
	again = post(world, "rep_a1", f"{LA}.release_lead", key, name=lead, reason="客户暂无预算")
	assert again.status_code == 200 and again.json() == first.json()
	assert log_actions(lead) == ["Create", "Claim", "Release"]


def test_a_retried_convert_lead_returns_the_first_answer(world, made):
	lead = pool_lead(world, made)  # a company only: no contact is made
	assert world["rep_a1"].call(f"{LA}.claim_lead", name=lead).status_code == 200
	key = new_key()
	first = post(world, "rep_a1", f"{LA}.convert_lead", key, name=lead, amount=5000)
	assert first.status_code == 200, message(first)
	made_names = first.json()["message"]
	world.customers.append(made_names["customer"])  # removed with its opportunity at the end
	# without a key a second conversion is refused (the lead is Converted); with it, the first answer
	again = post(world, "rep_a1", f"{LA}.convert_lead", key, name=lead, amount=5000)
	assert again.status_code == 200 and again.json() == first.json()
	assert log_actions(lead) == ["Create", "Claim", "Convert"]
	assert frappe.get_all("Sales Opportunity", {"customer": made_names["customer"]}, pluck="name") == [
		made_names["opportunity"]
	]


def test_a_retried_advance_stage_returns_the_first_answer(world, made):
	name, key = opportunity(world), new_key()
	args = {"name": name, "to_stage": SECOND, "evidence": FIRST_EVIDENCE}
	first = post(world, "rep_a1", f"{OA}.advance_stage", key, **args)
	assert first.status_code == 200, message(first)
	again = post(world, "rep_a1", f"{OA}.advance_stage", key, **args)
	assert again.status_code == 200, message(again)
	assert again.json() == first.json()
	frappe.db.rollback()
	assert frappe.db.get_value("Sales Opportunity", name, "stage") == SECOND
	actions = frappe.get_all("Opportunity Stage Log", {"opportunity": name}, pluck="action")
	assert len(actions) == 2 and actions.count("Create") == 1


def test_the_same_key_for_another_request_is_refused_with_422(world, made):
	note, key = token(world), new_key()
	customer = world.customer()
	first = post(world, "rep_a1", f"{DL}.add_log", key, **log_args(customer, note))
	assert first.status_code == 200, message(first)
	other_note = token(world)
	for method, args in (
		(f"{DL}.add_log", log_args(customer, note, minutes=6)),  # other arguments
		(f"{DL}.add_log", log_args(customer, other_note)),
		(f"{HA}.raise_alert", {"opportunity": opportunity(world), "reason": "其他", "description": note}),
	):
		r = post(world, "rep_a1", method, key, **args)
		assert r.status_code == 422, (method, r.status_code, message(r))
		assert "already used for a different request" in message(r)
	assert logs_with(note) == [first.json()["message"]] and logs_with(other_note) == []
	frappe.db.rollback()
	assert not frappe.db.exists("Help Alert", {"description": note})
	assert stored(world, "rep_a1", key).method == f"{DL}.add_log"


def test_a_refused_write_stores_no_key_and_its_corrected_retry_runs(world, made):
	note, key = token(world), new_key()
	customer = world.customer()
	r = post(world, "rep_a1", f"{DL}.add_log", key, **log_args(customer, note, activities=[f"没有 {note}"]))
	assert 400 <= r.status_code < 500, message(r)
	assert stored(world, "rep_a1", key) is None and logs_with(note) == []
	# the argument checks (request guard, Frappe's type validation) run before the key is taken
	r = post(world, "rep_a1", f"{OA}.advance_stage", key, name={"a": 1}, to_stage=SECOND)
	assert r.status_code == 417 and stored(world, "rep_a1", key) is None
	r = post(world, "rep_a1", f"{DL}.add_log", key, **log_args(customer, note))
	assert r.status_code == 200, message(r)
	assert logs_with(note) == [r.json()["message"]] and stored(world, "rep_a1", key)


def test_keys_are_per_user(world, made):
	key = new_key()
	notes = {who: token(world) for who in ("rep_a1", "rep_b1")}
	names = {}
	for who, note in notes.items():
		r = post(world, who, f"{DL}.add_log", key, **log_args(world.customer(), note))
		assert r.status_code == 200, (who, message(r))
		names[who] = r.json()["message"]
	assert names["rep_a1"] != names["rep_b1"]
	assert all(logs_with(notes[who]) == [names[who]] for who in notes)
	assert stored(world, "rep_a1", key) and stored(world, "rep_b1", key)


@pytest.mark.parametrize(
	"key", ["short", "x" * 101, "has space in it", "中文-key-12345", "semi;colon;key", "quote'quote"]
)
def test_an_invalid_key_is_refused_with_417_and_nothing_is_written(world, made, key):
	note = token(world)
	args = log_args(world.customer(), note)
	if key.isascii():
		r = post(world, "rep_a1", f"{DL}.add_log", key, **args)
	else:  # an HTTP header cannot carry it: the field can
		r = post(world, "rep_a1", f"{DL}.add_log", idempotency_key=key, **args)
	assert r.status_code == 417, (r.status_code, message(r))
	assert "8 to 100 characters" in message(r)
	assert logs_with(note) == [] and stored(world, "rep_a1", key) is None


def test_the_refusals_are_translated(world, made, zh_logins):
	s = zh_logins["token"]
	base = f"{world.server.base}/api/method/{DL}.add_log"
	r = s.post(base, json={"minutes": 1}, headers={"Idempotency-Key": "bad key"}, timeout=60)
	assert r.status_code == 417 and "Idempotency-Key 须为 8 到 100 个字符" in message(r), message(r)


def test_a_get_is_still_refused(world, made):
	note, key = token(world), new_key()
	c = world["rep_a1"]
	r = c.session.get(
		c.url(f"/api/method/{DL}.add_log"),
		params={**log_args(world.customer(), note), "activities": '["电话沟通"]'},
		headers={"Idempotency-Key": key},
		timeout=60,
	)
	assert r.status_code in (403, 405), r.status_code
	assert logs_with(note) == [] and stored(world, "rep_a1", key) is None


def _running(pattern: str) -> int:
	"""Statements of the site's database user now running that match `pattern` (the server's
	connections log in as the same user, which PROCESSLIST shows without the PROCESS privilege)."""
	return frappe.db.sql(
		"select count(*) from information_schema.processlist"
		" where db = database() and id != connection_id() and info like %s",
		pattern,
	)[0][0]


def _wait_for(pattern: str, count: int = 1, timeout: float = 20):
	deadline = time.monotonic() + timeout
	while _running(pattern) < count:
		assert time.monotonic() < deadline, f"no statement like {pattern!r} became blocked"
		time.sleep(0.05)


def test_two_requests_with_one_key_at_the_same_moment_write_once(world, made, tally):
	"""A real overlap: the test holds rep_a1's Sales Person row (what add_log locks to append to the
	chain), so the first request stops there with its key row inserted and uncommitted; the second
	then stops on that key row. Releasing the lock lets the first commit; the second meets the
	duplicate key and answers 409, never a 500; one entry exists and the next retry replays."""
	note, key = token(world), new_key()
	args = log_args(world.customer(), note)
	results = {}

	def send(i):
		results[i] = post(world, "rep_a1", f"{DL}.add_log", key, **args)

	frappe.db.rollback()
	frappe.db.sql("select name from `tabSales Person` where name = %s for update", world.sp["rep_a1"])
	threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
	try:
		threads[0].start()
		_wait_for("%`tabSales Person` sp where sp.name%for update%")
		threads[1].start()
		_wait_for(f"insert into `tab{DOCTYPE}`%")
	finally:
		frappe.db.rollback()  # release the row: the first request goes on and commits
	for t in threads:
		t.join(90)
	tally("races run")
	first, second = results[0], results[1]
	assert first.status_code == 200, message(first)
	# it was blocked on the first's key row (seen above), so it met the duplicate key
	assert second.status_code == 409, (second.status_code, message(second))
	assert "still being processed" in message(second)
	assert logs_with(note) == [first.json()["message"]]
	retry = post(world, "rep_a1", f"{DL}.add_log", key, **args)
	assert retry.status_code == 200 and retry.json() == first.json()

	# released together (no lock held): still one entry, and every answer is 200 or 409
	from tests.integration.test_races import together

	note, key = token(world), new_key()
	args = log_args(world.customer(), note)
	answers = together(*[lambda: post(world, "rep_a1", f"{DL}.add_log", key, **args)] * 2)
	tally("races run")
	assert sorted(r.status_code for r in answers) in ([200, 200], [200, 409]), [message(r) for r in answers]
	ok = {r.json()["message"] for r in answers if r.status_code == 200}
	assert len(ok) == 1 and logs_with(note) == list(ok)


def test_frappe_still_validates_the_arguments_of_a_decorated_method():
	from sales_process.api import daily_log, opportunity

	# frappe.call filters the request's fields by this signature: the method's own, no key
	assert inspect.signature(daily_log.add_log) == inspect.signature(inspect.unwrap(daily_log.add_log))
	assert "idempotency_key" not in inspect.signature(daily_log.add_log).parameters
	with pytest.raises(frappe.FrappeTypeError):
		opportunity.advance_stage(name={"a": 1}, to_stage=SECOND)


def test_the_daily_job_removes_keys_older_than_a_day_in_batches(world, made):
	user = world.users["rep_b1"]
	t = frappe.qb.DocType(DOCTYPE)
	ages = {f"old-{i}-{world.tag}": 25 + i for i in range(5)} | {f"new-{world.tag}": 23}
	for key, hours in ages.items():
		at = frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=-hours)
		frappe.qb.into(t).columns("name", "creation", "modified", "user", "idempotency_key").insert(
			record_name(user, key), at, at, user, key
		).run()
	frappe.db.commit()
	assert remove_expired(batch_size=2) >= 5
	frappe.db.rollback()
	left = frappe.get_all(
		DOCTYPE, {"user": user, "idempotency_key": ("in", list(ages))}, pluck="idempotency_key"
	)
	assert left == [f"new-{world.tag}"]
