"""Visit check-in (F2) on the real site: what an entry stores, that its hash covers the check-in,
the distance to the customer's nearest address, the two False Report Analysis rules, the
workbench's route, and bad input refused with nothing written.

Distances are computed by hand: along a meridian the great-circle distance is R · Δφ, so 0.001° of
latitude is 6,371,008.8 m × 0.001 × π / 180 = 111.195 m."""

import json
import math
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import frappe
from frappe.utils import add_days, get_system_timezone, today

from sales_process.api import daily_log as api
from sales_process.api.workbench import get_workbench
from sales_process.domain import check_in, daily_log
from sales_process.reports import daily_logs
from tests.integration.rest import message

LOG = "Sales Daily Log"
VISIT, CALL = "拜访客户", "电话沟通"
BASE = (31.2304, 121.4737)  # the customer's office (People's Square, Shanghai)
DEGREE_M = 6_371_008.8 * math.pi / 180  # metres per degree of latitude: 111,195.08


def north(metres_of_degrees: float) -> tuple[float, float]:
	"""A point that many degrees north of BASE."""
	return (round(BASE[0] + metres_of_degrees, 7), BASE[1])


def position(point, accuracy=12.5, ms=None) -> dict:
	"""What the page sends: the Geolocation API's coords and timestamp (ms since 1970, UTC)."""
	return {
		"latitude": point[0],
		"longitude": point[1],
		"accuracy": accuracy,
		"timestamp": ms if ms is not None else int(time.time() * 1000) - 1000,
	}


def address(customer: str, point=None, title=None) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": title or customer,
			"address_type": "Office",
			"address_line1": "人民大道 200 号",
			"city": "上海",
			"country": "China",
			"links": [{"link_doctype": "Customer", "link_name": customer}],
			**({"sp_latitude": point[0], "sp_longitude": point[1]} if point else {}),
		}
	)
	return doc.insert(ignore_permissions=True).name


@pytest.fixture
def rep(factory):
	team = factory.team()
	customer = factory.customer()
	office = address(customer, BASE, "总部")
	branch = address(customer, north(0.1), "分部")  # 11 km north
	address(customer, None, "仓库")  # no coordinates: never the nearest
	frappe.set_user(factory.user_of(team.rep))
	yield frappe._dict(team=team, sp=team.rep, customer=customer, office=office, branch=branch)
	frappe.set_user("Administrator")


def visit(customer, point=None, activities=(VISIT,), **kw):
	return api.add_log(customer, list(activities), 45, 20, check_in=position(point) if point else None, **kw)


def stored(name):
	return frappe.db.get_value(LOG, name, ["*"], as_dict=True)


# --- storage and distance ------------------------------------------------------------------------


def test_a_check_in_is_stored_with_the_distance_to_the_nearest_address(rep):
	ms = int(time.time() * 1000) - 30_000
	name = api.add_log(
		rep.customer, [CALL, VISIT], 45, 20, check_in=position((31.23140001, 121.47370004), 12.54, ms)
	)
	row = stored(name)
	# rounded to 7 decimals (about a centimetre) and 0.1 m, and stored exactly so
	assert (float(row.check_in_latitude), float(row.check_in_longitude)) == (31.2314, 121.4737)
	assert float(row.check_in_accuracy) == 12.5
	expected_at = datetime.fromtimestamp(ms / 1000, ZoneInfo(get_system_timezone())).replace(tzinfo=None)
	assert row.check_in_at == expected_at
	# 0.001° north of the office: 111.195 m; the branch is 0.099° (11 km) away
	assert row.check_in_address == rep.office
	assert float(row.check_in_distance) == round(0.001 * DEGREE_M, 1) == 111.2
	assert row.chain_version == daily_log.CHAIN_VERSION == 3
	frappe.set_user("Administrator")
	assert api.verify_chain(rep.sp) == {"ok": True, "problems": []}


def test_the_nearest_of_several_addresses_is_measured(rep):
	name = visit(rep.customer, north(0.095))  # 0.005° from the branch, 0.095° from the office
	row = stored(name)
	assert row.check_in_address == rep.branch
	assert float(row.check_in_distance) == round(0.005 * DEGREE_M, 1) == 556.0


def test_a_customer_without_coordinates_gets_no_distance(rep, factory):
	other = factory.customer()
	address(other)
	row = stored(visit(other, BASE))
	assert row.check_in_at and not row.check_in_address and float(row.check_in_distance) == 0


def test_the_server_derives_the_distance_whatever_a_client_sends(rep):
	doc = frappe.get_doc(
		{
			"doctype": LOG,
			"customer": rep.customer,
			"activities": [{"activity_type": VISIT}],
			"minutes": 30,
			**check_in.from_browser(position(north(0.001))),
			"check_in_address": "forged",
			"check_in_distance": 1,
		}
	).insert()
	row = stored(doc.name)
	assert (row.check_in_address, float(row.check_in_distance)) == (rep.office, 111.2)
	# and a client's distance without a check-in is dropped
	plain = frappe.get_doc(
		{
			"doctype": LOG,
			"customer": rep.customer,
			"activities": [{"activity_type": VISIT}],
			"minutes": 30,
			"check_in_address": "forged",
			"check_in_distance": 5,
		}
	).insert()
	row = stored(plain.name)
	assert (row.check_in_at, row.check_in_address, float(row.check_in_distance)) == (None, None, 0)
	# the desk's form sends its empty Float fields as 0: no check-in, even without a visit
	desk = frappe.get_doc(
		{
			"doctype": LOG,
			"customer": rep.customer,
			"activities": [{"activity_type": CALL}],
			"minutes": 30,
			"check_in_latitude": 0,
			"check_in_longitude": 0,
			"check_in_accuracy": 0,
			"check_in_distance": 0,
		}
	).insert()
	assert stored(desk.name).check_in_at is None


# --- the hash covers it ------------------------------------------------------------------------------

TAMPER = {
	"check_in_at": "date_sub(check_in_at, interval 2 hour)",
	"check_in_latitude": "check_in_latitude + 0.0000001",
	"check_in_longitude": "check_in_longitude - 0.01",
	"check_in_accuracy": "check_in_accuracy + 1",
	"check_in_address": "'ADDR-forged'",
	"check_in_distance": "12.3",
}


def test_every_check_in_field_is_hashed():
	assert set(check_in.HASHED) == set(TAMPER)
	assert set(check_in.HASHED) <= set(daily_log.HASHED)


@pytest.mark.parametrize("field", sorted(TAMPER))
def test_altering_a_check_in_in_the_database_names_the_entry(rep, field):
	name = visit(rep.customer, north(0.001))
	frappe.set_user("Administrator")
	assert api.verify_chain(rep.sp)["ok"]
	# nosemgrep: frappe-using-db-sql -- the attack under test is a raw UPDATE
	frappe.db.sql(f"update `tabSales Daily Log` set `{field}` = {TAMPER[field]} where name = %s", name)
	problems = api.verify_chain(rep.sp)["problems"]
	assert [(p["entry"], p["chain_version"]) for p in problems] == [(name, 3)], problems
	assert "altered" in problems[0]["problem"]


def test_a_check_in_added_afterwards_or_removed_is_caught(rep):
	bare, checked = visit(rep.customer), visit(rep.customer, north(0.001))
	frappe.set_user("Administrator")
	frappe.db.sql(
		"update `tabSales Daily Log` set check_in_at = now(), check_in_latitude = 31.2304 where name = %s",
		bare,
	)
	frappe.db.sql("update `tabSales Daily Log` set check_in_at = null where name = %s", checked)
	assert {p["entry"] for p in api.verify_chain(rep.sp)["problems"]} == {bare, checked}


def test_a_version_3_entry_cannot_be_relabelled_as_version_2_to_hide_its_check_in(rep):
	name = visit(rep.customer, north(0.001))
	frappe.set_user("Administrator")
	frappe.db.sql(
		"update `tabSales Daily Log` set chain_version = 2, check_in_distance = 10 where name = %s", name
	)
	problems = api.verify_chain(rep.sp)["problems"]
	assert [(p["entry"], p["chain_version"]) for p in problems] == [(name, 2)]


def test_a_check_in_put_on_a_version_2_entry_is_reported(rep):
	"""Version 2 has no check-in in its hash: a check-in found on such an entry was added later,
	even when the attacker re-hashed the entry as version 2."""
	name = visit(rep.customer)
	frappe.set_user("Administrator")
	row = frappe.get_all(LOG, {"name": name}, ["name", *daily_log.HASHED])[0]
	row.update(chain_version=2, activities=[VISIT])
	rehashed = daily_log.content_hash(row)
	frappe.db.sql(
		"update `tabSales Daily Log` set chain_version = 2, content_hash = %s, check_in_at = now() where name = %s",
		(rehashed, name),
	)
	frappe.db.set_value("Sales Person", rep.sp, "sales_process_chain_hash", rehashed, update_modified=False)
	problems = api.verify_chain(rep.sp)["problems"]
	assert [(p["entry"], p["chain_version"]) for p in problems] == [(name, 2)], problems


def test_the_check_in_cannot_be_changed_through_any_document_path(rep):
	name = visit(rep.customer, north(0.001))
	frappe.set_user("Administrator")
	doc = frappe.get_doc(LOG, name)
	doc.check_in_latitude = 31.0
	with pytest.raises(frappe.PermissionError):
		doc.save(ignore_permissions=True)
	with pytest.raises(frappe.PermissionError):
		frappe.client.set_value(LOG, name, "check_in_distance", 1)
	with pytest.raises(frappe.PermissionError):
		frappe.delete_doc(LOG, name, ignore_permissions=True, force=True)
	assert float(stored(name).check_in_latitude) == 31.2314


# --- bad input: a clear error, nothing written ---------------------------------------------------


def _refused(rep, **kw):
	before = frappe.db.count(LOG, {"sales_person": rep.sp})
	with pytest.raises(frappe.ValidationError) as raised:
		api.add_log(rep.customer, kw.pop("activities", [VISIT]), 30, **kw)
	assert frappe.db.count(LOG, {"sales_person": rep.sp}) == before
	return str(raised.value)


@pytest.mark.parametrize(
	"change, says",
	[
		({"latitude": 91}, "between -90 and 90"),
		({"longitude": -180.5}, "between -180 and 180"),
		({"latitude": "NaN"}, "between -90 and 90"),
		({"latitude": True}, "between -90 and 90"),
		({"accuracy": -1}, "accuracy"),
		({"accuracy": "inf"}, "accuracy"),
		({"accuracy": None}, "needs a latitude, a longitude, an accuracy and a time"),
		({"timestamp": "yesterday"}, "milliseconds"),
		({"timestamp": -5}, "milliseconds"),
		({"timestamp": int(time.time() * 1000) + 3_600_000}, "in the future"),
	],
)
def test_a_bad_check_in_is_refused(rep, change, says):
	assert says in _refused(rep, check_in={**position(BASE), **change})


def test_a_check_in_without_a_visit_is_refused(rep):
	assert "tick a visit activity" in _refused(rep, activities=[CALL], check_in=position(BASE))


def test_a_check_in_from_another_day_is_refused(rep):
	yesterday_ms = int(time.time() * 1000) - 86_400_000
	says = _refused(rep, check_in=position(BASE, ms=yesterday_ms))
	assert "cannot be attached to a daily log of" in says
	# nor a backdated log with today's check-in
	says = _refused(rep, check_in=position(BASE), log_date=add_days(today(), -1))
	assert "cannot be attached to a daily log of" in says


def test_a_check_in_that_is_not_an_object_is_refused(rep):
	assert "must be an object" in _refused(rep, check_in="31.2,121.4")
	assert "must be an object" in _refused(rep, check_in=json.dumps([31.2, 121.4]))


def test_address_coordinates_are_checked(factory):
	customer = factory.customer()
	with pytest.raises(frappe.ValidationError, match="between -90 and 90"):
		address(customer, (95, 121))
	with pytest.raises(frappe.ValidationError, match="both the latitude and the longitude"):
		address(customer, (31.2, 0))
	assert frappe.db.count("Dynamic Link", {"link_name": customer, "parenttype": "Address"}) == 0


# --- False Report Analysis ----------------------------------------------------------------------------


def flags(rep, rule):
	day = today()
	found = daily_logs.false_report_flags(day, day, sales_person=rep.sp, user="Administrator")
	return [f for f in found if f["rule"] == rule]


def test_a_visit_without_a_check_in_is_flagged_and_explains_itself(rep):
	bare = visit(rep.customer, activities=(CALL, VISIT, "产品演示"))
	visit(rep.customer, north(0.001))  # checked in: not flagged
	api.add_log(rep.customer, [CALL], 10)  # no visit: not flagged
	(flag,) = flags(rep, "visit_without_check_in")
	assert str(flag["entry"]) == bare and flag["rule_label"] == "Visit Without Check-in"
	assert flag["explanation"] == (
		# the activity types' names, translated for the reader (zh.csv's source texts are Chinese)
		"A visit (Product Demo, Customer Visit) was logged without a check-in: no location from the phone."
	)


def test_visits_written_before_check_ins_existed_are_not_flagged(rep):
	bare = visit(rep.customer)
	frappe.db.sql("update `tabSales Daily Log` set chain_version = 2 where name = %s", bare)
	assert flags(rep, "visit_without_check_in") == []


def test_the_visit_rule_can_be_switched_off(rep):
	visit(rep.customer)
	frappe.db.set_single_value("Sales Process Settings", "flag_visit_without_check_in", 0)
	assert flags(rep, "visit_without_check_in") == []


def test_a_check_in_far_from_the_customer_is_flagged_and_explains_itself(rep):
	near = visit(rep.customer, north(0.001))  # 111.2 m: within the default 500 m
	far = visit(rep.customer, north(0.01))  # 1,111.95 m from the office, 9.9 km from the branch
	assert float(stored(near).check_in_distance) == 111.2
	row = stored(far)
	assert float(row.check_in_distance) == round(0.01 * DEGREE_M, 1) == 1112.0
	(flag,) = flags(rep, "check_in_far")
	assert str(flag["entry"]) == far and flag["rule_label"] == "Check-in Far From Customer"
	assert flag["explanation"] == (
		f"Checked in at {frappe.utils.format_datetime(row.check_in_at)} 1112 m from the customer's "
		f"address {rep.office} (accuracy 12 m), farther than 500 m."
	)


def test_the_distance_threshold_is_a_setting(rep):
	visit(rep.customer, north(0.01))
	frappe.db.set_single_value("Sales Process Settings", "check_in_max_distance_m", 2000)
	assert flags(rep, "check_in_far") == []
	frappe.db.set_single_value("Sales Process Settings", "check_in_max_distance_m", 1000)
	assert len(flags(rep, "check_in_far")) == 1


def test_the_summary_counts_the_new_rules(rep):
	visit(rep.customer)
	visit(rep.customer, north(0.01))
	frappe.set_user("Administrator")
	day = today()
	(row,) = [
		r
		for r in daily_logs.false_report_summary(day, day, sales_person=rep.sp)
		if r["sales_person"] == rep.sp
	]
	assert (row["visit_without_check_in"], row["check_in_far"]) == (1, 1)
	# an independent count of the same two facts
	far = frappe.db.sql(
		"""select count(*) from `tabSales Daily Log` where sales_person = %s and log_date = %s
		and check_in_address is not null and check_in_distance > 500""",
		(rep.sp, day),
	)[0][0]
	assert far == 1


# --- the workbench's route ------------------------------------------------------------------------------


def test_the_workbench_lists_the_days_route_with_legs(rep, factory):
	first = visit(rep.customer, north(0.001))
	time.sleep(0.01)
	second = visit(rep.customer, north(0.01))
	api.add_log(factory.customer(), [CALL], 10)  # no check-in: not a stop
	route = get_workbench()["route"]
	assert [s["entry"] for s in route] == [first, second]
	assert route[0]["leg"] is None and route[0]["distance"] == 111.2 and route[0]["address"] == rep.office
	assert route[0]["customer_name"] == frappe.db.get_value("Customer", rep.customer, "customer_name")
	# 0.009° between the two stops: 1,000.76 m
	assert route[1]["leg"] == round(0.009 * DEGREE_M) == 1001
	assert route[1]["latitude"] == 31.2404 and route[1]["accuracy"] == 12.5


def test_the_route_is_the_users_own(rep, factory):
	visit(rep.customer, north(0.001))
	frappe.set_user(factory.user_of(rep.team.rep2))
	assert get_workbench()["route"] == []


# --- through the server --------------------------------------------------------------------------------


def test_a_check_in_through_rest_is_stored_and_a_bad_one_is_a_clear_417(world):
	customer = world.customer()
	office = address(customer, BASE, "REST 总部")
	frappe.db.commit()
	try:
		r = world["rep_a1"].call(
			"sales_process.api.daily_log.add_log",
			customer=customer,
			activities=json.dumps([VISIT]),
			minutes=30,
			check_in=json.dumps(position(north(0.001))),
		)
		assert r.status_code == 200, message(r)
		frappe.db.rollback()
		row = stored(r.json()["message"])
		assert (row.check_in_address, float(row.check_in_distance)) == (office, 111.2)
		before = frappe.db.count(LOG, {"customer": customer})
		r = world["rep_a1"].call(
			"sales_process.api.daily_log.add_log",
			customer=customer,
			activities=json.dumps([CALL]),
			minutes=30,
			check_in=json.dumps(position(BASE)),
		)
		assert r.status_code == 417 and "tick a visit activity" in message(r), message(r)
		frappe.db.rollback()
		assert frappe.db.count(LOG, {"customer": customer}) == before
	finally:
		frappe.db.rollback()
		frappe.delete_doc("Address", office, force=True, ignore_permissions=True)
		frappe.db.commit()


# --- who may set an address's coordinates ------------------------------------------------------------


def test_a_salesperson_cannot_move_the_customer_but_a_sales_manager_can(rep, factory):
	"""The coordinates are what a check-in is measured against: a rep who could set them could move
	the customer to wherever they check in. They are at permission level 1: read for Sales Users,
	write for Sales Managers (setup/install.py)."""
	office = frappe.get_doc("Address", rep.office)
	assert frappe.get_meta("Address").get_field("sp_latitude").permlevel == 1
	# the rep (the fixture's session user) edits the address: the line changes, the coordinates don't
	office.address_line1 = "人民大道 201 号"
	office.sp_latitude, office.sp_longitude = 31.0, 121.0
	office.save()
	stored_office = frappe.db.get_value("Address", rep.office, ["address_line1", "sp_latitude"], as_dict=True)
	assert stored_office.address_line1 == "人民大道 201 号"
	assert float(stored_office.sp_latitude) == BASE[0]
	# so the rep's check-in is still measured against the real office
	assert float(stored(visit(rep.customer, north(0.001))).check_in_distance) == 111.2
	frappe.set_user(factory.user(roles=("Sales Manager", "Sales User")))
	office = frappe.get_doc("Address", rep.office)
	office.sp_latitude = 31.2314
	office.save()
	assert float(frappe.db.get_value("Address", rep.office, "sp_latitude")) == 31.2314
