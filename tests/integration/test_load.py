"""Load (L1, L2; issue #11): four clients post daily logs through gunicorn at the same time, a fixed
number of requests each (bounded in count and time), one in five deliberately invalid. Afterwards
every accepted request is in the database exactly once (by returned name and by its unique note
token), no rejected one is, and every chain verifies."""

import threading
import time

import frappe

from tests.integration.rest import message

CLIENTS = ("rep_a1", "rep_a2", "rep_b1", "lead_a")
PER_CLIENT = 50
TIME_LIMIT = 60  # seconds: the loop stops by itself even if the server slows down
LOG = "Sales Daily Log"


def test_concurrent_clients_lose_and_duplicate_nothing(world, tally):
	customers = {who: world.customer() for who in CLIENTS}
	run = frappe.generate_hash(length=8)
	accepted, rejected, errors = {}, set(), []
	lock = threading.Lock()
	start = threading.Barrier(len(CLIENTS))
	deadline = time.monotonic() + TIME_LIMIT

	def client(who):
		start.wait(30)
		for i in range(PER_CLIENT):
			if time.monotonic() > deadline:
				return
			token = f"load-{run}-{who}-{i}"
			bad = i % 5 == 4
			r = world[who].call(
				"sales_process.api.daily_log.add_log",
				customer=customers[who],
				activities=["电话沟通"],
				minutes=0 if bad else 1,
				note=token,
			)
			with lock:
				if r.status_code == 200 and not bad:
					accepted[token] = (who, str(r.json()["message"]))
				elif 400 <= r.status_code < 500 and bad:
					rejected.add(token)
				else:
					errors.append((who, i, r.status_code, message(r)[:200]))

	threads = [threading.Thread(target=client, args=(who,)) for who in CLIENTS]
	t0 = time.monotonic()
	for t in threads:
		t.start()
	for t in threads:
		t.join(TIME_LIMIT + 30)
	elapsed = time.monotonic() - t0
	sent = len(accepted) + len(rejected) + len(errors)
	tally("requests sent", sent)
	tally("requests accepted", len(accepted))
	assert not errors, errors[:5]
	assert sent == len(CLIENTS) * PER_CLIENT, f"stopped by the time limit after {sent} requests"

	frappe.db.rollback()
	stored = frappe.get_all(
		LOG, {"note": ("like", f"load-{run}-%")}, ["name", "note", "sales_person"], limit_page_length=0
	)
	by_token = {}
	for row in stored:
		by_token.setdefault(row.note, []).append(str(row.name))
	tally("accepted rows stored", sum(1 for t in accepted if t in by_token))
	tally("rejected rows stored", sum(1 for t in rejected if t in by_token))
	assert set(by_token) == set(accepted), "stored ≠ accepted"
	assert all(len(v) == 1 for v in by_token.values()), "a request was stored twice"
	for token, (who, name) in accepted.items():
		assert by_token[token] == [name]
		assert frappe.db.get_value(LOG, name, "sales_person") == world.sp[who]
	assert not rejected & set(by_token)
	for who in CLIENTS:
		r = world[who].call(
			"sales_process.api.daily_log.verify_chain", http="GET", sales_person=world.sp[who]
		)
		assert r.json()["message"] == {"ok": True, "problems": []}, (who, r.json())
	print(f"\nload: {sent} requests in {elapsed:.1f}s ({sent / elapsed:.1f}/s), {len(accepted)} stored")
