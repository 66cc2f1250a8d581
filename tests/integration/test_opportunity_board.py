"""Opportunity Board (the desk page's data): open opportunities by stage, within the user's scope
(A1), with per-stage totals. The expected numbers are computed here independently, from rows read
with frappe.get_all as Administrator."""

import pytest

import frappe
from frappe.utils import add_days, flt, now_datetime

from sales_process.domain import opportunity as domain
from sales_process.sales_process.page.opportunity_board import opportunity_board as board_module
from sales_process.sales_process.page.opportunity_board.opportunity_board import get_board

OPP = "Sales Opportunity"


@pytest.fixture(autouse=True)
def fresh_request_cache():
	"""Each test is one "request": hierarchy bounds cached by an earlier test are stale once the
	Sales Person tree has grown."""
	cache = getattr(frappe.local, "request_cache", None)
	if cache is not None:
		cache.clear()
	yield
	if cache is not None:
		cache.clear()


def as_user(user: str, **filters) -> dict:
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		return get_board(**filters)
	finally:
		frappe.set_user(previous)


def card_names(board: dict) -> set[str]:
	return {card["name"] for cards in board["cards"].values() for card in cards}


def expected_totals(names: set[str] | None = None) -> dict:
	"""{stage: {count, amount, weighted}} of open opportunities (all, or those named)."""
	filters = {"status": "Open"}
	if names is not None:
		filters["name"] = ["in", list(names) or [""]]
	totals: dict[str, dict] = {}
	for row in frappe.get_all(OPP, filters=filters, fields=["stage", "amount", "probability"]):
		t = totals.setdefault(row.stage, {"count": 0, "amount": 0.0, "weighted": 0.0})
		t["count"] += 1
		t["amount"] += flt(row.amount)
		t["weighted"] += flt(row.amount) * flt(row.probability) / 100
	return totals


def assert_totals(board: dict, expected: dict):
	for stage in board["stages"]:
		got = board["totals"][stage["name"]]
		want = expected.get(stage["name"], {"count": 0, "amount": 0.0, "weighted": 0.0})
		assert got["count"] == want["count"], stage["name"]
		assert got["amount"] == pytest.approx(want["amount"], abs=0.005), stage["name"]
		assert got["weighted"] == pytest.approx(want["weighted"], abs=0.005), stage["name"]
		assert len(board["cards"][stage["name"]]) == want["count"], stage["name"]


def advance(doc, user: str):
	"""Move `doc` one stage on, answering every exit criterion, as `user`."""
	current = frappe.get_cached_doc("Sales Process Stage", doc.stage)
	evidence = {c.criterion: "ok" for c in current.exit_criteria}
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		return domain.advance(doc.name, domain.next_stage(doc.stage).name, evidence)
	finally:
		frappe.set_user(previous)


@pytest.fixture
def setup(factory):
	"""A team with opportunities in two stages, one closed as lost, and a manager."""
	team = factory.team()
	user = {key: factory.user_of(sp) for key, sp in team.items()}
	rep_a = factory.opportunity(team.rep, amount=12345.67)
	rep_b = factory.opportunity(team.rep, amount=800)
	rep_b = advance(rep_b, user["rep"])
	rep2_a = factory.opportunity(team.rep2, amount=5000.5)
	lead_a = factory.opportunity(team.lead, amount=3000)
	rep_lost = factory.opportunity(team.rep, amount=99999)

	frappe.set_user(user["rep"])
	domain.request_lost(rep_lost.name, "No Budget", "budget cancelled")
	frappe.set_user(user["lead"])
	domain.approve_lost(rep_lost.name)
	frappe.set_user("Administrator")

	frappe.local.request_cache.clear()
	return frappe._dict(
		team=team,
		user=user,
		manager=factory.user(roles=("Sales Manager",)),
		opp={"rep_a": rep_a.name, "rep_b": rep_b.name, "rep2_a": rep2_a.name, "lead_a": lead_a.name},
		lost=rep_lost.name,
	)


def test_stages_are_the_open_stages_then_the_won_stage(setup):
	board = as_user(setup.user["rep"])
	stages = domain.process_stages()
	expected = [s for s in stages if not s.is_terminal] + [s for s in stages if s.is_won]
	assert [s["name"] for s in board["stages"]] == [s.name for s in expected]
	assert [s["sequence"] for s in board["stages"]] == sorted(s["sequence"] for s in board["stages"])
	for got, row in zip(board["stages"], expected, strict=True):
		assert got["probability"] == row.probability
		assert got["time_limit_days"] == row.time_limit_days
	assert board["stages"][-1]["is_won"] and not any(s["is_won"] for s in board["stages"][:-1])
	assert set(board["cards"]) == set(board["totals"]) == {s.name for s in expected}


def test_a_rep_sees_only_their_own_open_opportunities_with_correct_totals(setup):
	board = as_user(setup.user["rep"])
	mine = {setup.opp["rep_a"], setup.opp["rep_b"]}
	assert card_names(board) == mine  # not rep2's, not the lead's, not the lost one
	assert_totals(board, expected_totals(mine))

	first, second = board["stages"][0]["name"], board["stages"][1]["name"]
	assert [c["name"] for c in board["cards"][first]] == [setup.opp["rep_a"]]
	assert [c["name"] for c in board["cards"][second]] == [setup.opp["rep_b"]]
	card = board["cards"][second][0]
	doc = frappe.get_doc(OPP, setup.opp["rep_b"])
	assert card["customer_name"] == doc.customer_name
	assert card["amount"] == 800 and card["currency"] == doc.currency
	assert card["sales_person"] == setup.team.rep
	assert card["probability"] == doc.probability == board["stages"][1]["probability"]
	assert card["stage_due_at"] == doc.stage_due_at
	assert card["lost_requested"] is False and card["previous_sales_person"] is None
	# weighted = amount × the opportunity's probability
	assert board["totals"][second]["weighted"] == pytest.approx(800 * doc.probability / 100)


def test_a_lead_sees_the_team_and_a_manager_sees_everything(setup):
	team_names = set(setup.opp.values())
	board = as_user(setup.user["lead"])
	assert card_names(board) == team_names
	assert_totals(board, expected_totals(team_names))

	board = as_user(setup.manager)
	assert team_names <= card_names(board)
	assert setup.lost not in card_names(board)
	# everything open on the site (read in this same transaction), no scope
	assert_totals(board, expected_totals())


def test_the_sales_person_filter_is_a_subtree_within_the_users_scope(setup):
	team, opp = setup.team, setup.opp
	board = as_user(setup.manager, sales_person=team.lead)
	assert card_names(board) == set(opp.values())
	board = as_user(setup.manager, sales_person=team.rep2)
	assert card_names(board) == {opp["rep2_a"]}
	assert_totals(board, expected_totals({opp["rep2_a"]}))

	board = as_user(setup.user["lead"], sales_person=team.rep)
	assert card_names(board) == {opp["rep_a"], opp["rep_b"]}
	# a rep asking for their lead's team still sees only their own scope
	board = as_user(setup.user["rep"], sales_person=team.lead)
	assert card_names(board) == {opp["rep_a"], opp["rep_b"]}
	assert_totals(board, expected_totals({opp["rep_a"], opp["rep_b"]}))
	assert card_names(as_user(setup.user["rep"], sales_person=team.rep2)) == set()

	with pytest.raises(frappe.ValidationError):
		as_user(setup.manager, sales_person="No Such Sales Person 0xBOARD")


def test_territory_and_customer_group_filters(factory):
	territories = frappe.get_all("Territory", filters={"is_group": 0}, pluck="name", limit=2)
	groups = frappe.get_all("Customer Group", filters={"is_group": 0}, pluck="name", limit=2)
	if len(territories) < 2 or len(groups) < 2:
		pytest.skip("needs two leaf territories and two leaf customer groups")
	team = factory.team()
	one = factory.opportunity(
		team.rep, customer=factory.customer(territory=territories[0], customer_group=groups[0])
	)
	two = factory.opportunity(
		team.rep, customer=factory.customer(territory=territories[1], customer_group=groups[1])
	)
	assert (one.territory, one.customer_group) == (territories[0], groups[0])
	rep = factory.user_of(team.rep)
	frappe.local.request_cache.clear()

	assert card_names(as_user(rep)) == {one.name, two.name}
	assert card_names(as_user(rep, territory=territories[0])) == {one.name}
	assert card_names(as_user(rep, territory=territories[1])) == {two.name}
	assert card_names(as_user(rep, customer_group=groups[1])) == {two.name}
	assert card_names(as_user(rep, territory=territories[0], customer_group=groups[1])) == set()
	board = as_user(rep, customer_group=groups[0])
	assert_totals(board, expected_totals({one.name}))
	# a group node includes everything below it
	root = frappe.db.get_value("Territory", territories[0], "parent_territory")
	if root:
		assert card_names(as_user(rep, territory=root)) >= {one.name, two.name}


def test_cards_are_most_urgent_first_and_carry_the_markers(factory, monkeypatch):
	team = factory.team()
	rep = factory.user_of(team.rep)
	first = domain.open_stages()[0].name
	names = [factory.opportunity(team.rep, amount=a).name for a in (100, 200.25, 300, 400)]
	now = now_datetime()
	dues = [add_days(now, 3), add_days(now, -1), None, add_days(now, 1)]  # one stage without a limit
	for name, due in zip(names, dues, strict=True):
		frappe.db.set_value(OPP, name, "stage_due_at", due, update_modified=False)
	frappe.db.set_value(OPP, names[0], "previous_sales_person", team.rep2, update_modified=False)
	frappe.set_user(rep)
	domain.request_lost(names[3], "No Budget")
	frappe.set_user("Administrator")
	frappe.local.request_cache.clear()

	board = as_user(rep)
	cards = board["cards"][first]
	assert [c["name"] for c in cards] == [names[1], names[3], names[0], names[2]]
	by_name = {c["name"]: c for c in cards}
	assert by_name[names[0]]["previous_sales_person"] == team.rep2
	assert by_name[names[3]]["lost_requested"] is True
	assert by_name[names[1]]["lost_requested"] is False
	assert by_name[names[2]]["stage_due_at"] is None
	assert_totals(board, expected_totals(set(names)))

	# at most CARDS_PER_STAGE cards, the most urgent ones; the totals still count them all
	monkeypatch.setattr(board_module, "CARDS_PER_STAGE", 2)
	board = as_user(rep)
	assert [c["name"] for c in board["cards"][first]] == [names[1], names[3]]
	assert board["totals"][first]["count"] == 4
	assert board["totals"][first]["amount"] == pytest.approx(1000.25)


def test_without_a_sales_person_a_sales_user_sees_an_empty_board(factory, setup):
	board = as_user(factory.user(roles=("Sales User",)))
	assert card_names(board) == set()
	assert all(t == {"count": 0, "amount": 0.0, "weighted": 0.0} for t in board["totals"].values())


def test_users_without_read_permission_are_refused(factory):
	with pytest.raises(frappe.PermissionError):
		as_user(factory.user(roles=("Blogger",)))


def test_get_board_is_a_get_method():
	assert frappe.allowed_http_methods_for_whitelisted_func[get_board] == ["GET"]
