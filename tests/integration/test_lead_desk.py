"""G8 in the desk: the workbench's lead panels (in its one request), the Kanban board of leads by
status that cannot move a status, and the stale-lead moment the panel shows agreeing with the job."""

from datetime import timedelta

import pytest

import frappe
from frappe.utils import now_datetime

from sales_process.api.workbench import get_workbench
from sales_process.domain import lead_follow_up
from sales_process.domain.settings import get_settings
from sales_process.scheduled.pool import return_stale_leads
from sales_process.setup.install import LEAD_KANBAN, LEAD_KANBAN_COLUMNS, ensure_lead_kanban
from tests.integration.test_lead_reports import insert_leads, make_pool


@pytest.fixture
def desk(factory):
	"""rep and rep2 under a team lead, an outsider elsewhere; a pool for the team, one for the
	outsider's group only; leads held, in each pool, converted."""
	team = factory.team()
	other = factory.sales_person()
	outsider = factory.sales_person(parent=other.name, is_group=False).name
	team_pool = make_pool(factory, claimable_by=team.head)
	other_pool = make_pool(factory, claimable_by=other.name)
	frappe.db.set_value("Sales Lead Pool", team_pool, "follow_up_days", 10)
	now = now_datetime().replace(microsecond=0)
	tag = frappe.generate_hash(length=6)
	name = {
		k: f"SLEAD-WB-{tag}-{k}" for k in ("due_soon", "fresh", "converted", "low", "high", "other", "rep2")
	}

	def lead(key, status="New", holder=None, pool=team_pool, held=None, contact=None, score=0):
		return {
			"name": name[key],
			"creation": now - timedelta(days=20),
			"company_name": f"WB {key} {tag}",
			"status": status,
			"sales_person": holder,
			"pool": pool,
			"held_since": held,
			"last_contact_at": contact,
			"score": score,
		}

	insert_leads(
		[
			# held 9 of the pool's 10 days without contact: returns in a day
			lead("due_soon", holder=team.rep, held=now - timedelta(days=9)),
			# held 5 days, contacted yesterday: 9 days left
			lead(
				"fresh", "Contacted", team.rep, held=now - timedelta(days=5), contact=now - timedelta(days=1)
			),
			lead("converted", "Converted", team.rep, held=now - timedelta(days=30)),
			lead("low", score=30),
			lead("high", score=80),
			lead("other", pool=other_pool, score=99),
			lead("rep2", holder=team.rep2, held=now),
		]
	)
	return frappe._dict(team=team, outsider=outsider, name=name, now=now, team_pool=team_pool)


def as_user_of(sales_person):
	frappe.set_user(
		frappe.db.get_value(
			"Employee", frappe.db.get_value("Sales Person", sales_person, "employee"), "user_id"
		)
	)


def test_workbench_lead_panels(desk):
	as_user_of(desk.team.rep)
	leads = get_workbench()["leads"]
	mine = set(desk.name.values())
	follow_up = [r["name"] for r in leads["follow_up"] if r["name"] in mine]
	assert follow_up == [desk.name["due_soon"], desk.name["fresh"]]  # the sooner return first
	hours = {r["name"]: r["hours_left"] for r in leads["follow_up"]}
	assert abs(hours[desk.name["due_soon"]] - 24) < 0.5
	assert abs(hours[desk.name["fresh"]] - 9 * 24) < 0.5
	assert leads["held"] == 2 and leads["hold_limit"] == get_settings().lead_hold_limit
	# the pool: the team's pool only (not the outsider's), best score first, with the Claim button
	pool = [r["name"] for r in leads["pool"] if r["name"] in mine]
	assert pool == [desk.name["high"], desk.name["low"]]
	assert leads["pool_count"] >= 2 and leads["can_claim"]

	# the outsider's pool is theirs; a manager sees every pool
	as_user_of(desk.outsider)
	pool = [r["name"] for r in get_workbench()["leads"]["pool"] if r["name"] in mine]
	assert pool == [desk.name["other"]]
	frappe.set_user("Administrator")
	pool = [r["name"] for r in get_workbench()["leads"]["pool"] if r["name"] in mine]
	assert pool[0] == desk.name["other"] and set(pool) == {desk.name[k] for k in ("other", "high", "low")}


def test_return_due_agrees_with_the_stale_lead_job(desk):
	"""What the panel shows as overdue is what the job returns, and nothing else of these leads."""
	frappe.db.set_value("Sales Lead", desk.name["due_soon"], "held_since", desk.now - timedelta(days=11))
	sl = frappe.qb.DocType("Sales Lead")
	due = dict(
		frappe.qb.from_(sl)
		.select(sl.name, lead_follow_up.return_due(sl))
		.where(sl.name.isin(list(desk.name.values())) & sl.sales_person.isnotnull())
		.run()
	)
	overdue = {n for n, at in due.items() if at < desk.now}
	assert overdue == {desk.name["due_soon"], desk.name["converted"]}
	return_stale_leads(commit=False)
	returned = set(
		frappe.get_all("Sales Lead Log", {"lead": ("in", list(due)), "action": "Return"}, pluck="lead")
	)
	assert returned == {desk.name["due_soon"]}  # the converted one is not open: never returned
	as_user_of(desk.team.rep)
	follow_up = [r["name"] for r in get_workbench()["leads"]["follow_up"]]
	assert desk.name["due_soon"] not in follow_up and desk.name["fresh"] in follow_up


def test_a_salesperson_without_lead_access_gets_empty_panels(factory):
	frappe.set_user(factory.user(roles=("Accounts User",)))
	leads = get_workbench()["leads"]
	assert leads == {
		"follow_up": [],
		"held": 0,
		"hold_limit": 0,
		"pool": [],
		"pool_count": 0,
		"can_claim": False,
	}


def test_kanban_board_by_status_cannot_move_a_status(factory):
	from frappe.desk.doctype.kanban_board.kanban_board import update_order_for_single_card

	ensure_lead_kanban()
	ensure_lead_kanban()  # idempotent
	board = frappe.get_doc("Kanban Board", LEAD_KANBAN)
	assert (board.reference_doctype, board.field_name, board.private) == ("Sales Lead", "status", 0)
	assert [c.column_name for c in board.columns] == [s for s, _color in LEAD_KANBAN_COLUMNS]

	rep = factory.sales_person(is_group=False).name
	as_user_of(rep)
	name = (
		frappe.get_doc({"doctype": "Sales Lead", "company_name": factory.unique("Kanban Co")}).insert().name
	)
	assert frappe.db.get_value("Sales Lead", name, ["sales_person", "status"]) == (rep, "New")
	for target in ("Converted", "Qualified"):
		with pytest.raises(frappe.ValidationError, match="cannot be edited directly"):
			update_order_for_single_card(LEAD_KANBAN, name, "New", target, 0, 0)
		assert frappe.db.get_value("Sales Lead", name, "status") == "New"
	assert not frappe.db.exists("Sales Lead Log", {"lead": name, "action": ("!=", "Create")})
