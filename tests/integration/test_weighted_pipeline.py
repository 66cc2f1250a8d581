"""One weighted pipeline (R1, R2, W1; sales_process/domain/weighted.py): the workbench's personal
forecast, the Opportunity Board's totals and the Sales Forecast report give the same number for the
same user's pipeline — each amount weighted by its stage's configured probability — and still do
after an administrator re-estimates a stage. From then on the probability each opportunity copied on
entering its stage disagrees; the stage's probability is the one that counts (the chosen definition)."""

import pytest

import frappe
from frappe.utils import add_months, get_first_day, get_last_day, getdate, today

from sales_process.api.workbench import get_workbench
from sales_process.domain import opportunity as domain
from sales_process.sales_process.page.opportunity_board.opportunity_board import get_board
from sales_process.sales_process.report.sales_forecast import sales_forecast

STAGE = "Sales Process Stage"


def as_user(user: str, fn, *args):
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		return fn(*args)
	finally:
		frappe.set_user(previous)


def weighted_numbers(user: str) -> dict:
	"""The weighted pipeline as each screen shows it to `user`, each call its own request."""
	frappe.local.request_cache.clear()
	start = get_first_day(getdate(today()))
	end = get_last_day(add_months(start, 5))
	_columns, rows, *_rest = as_user(user, sales_forecast.execute, {"from_date": start, "to_date": end})
	return {
		"workbench": as_user(user, get_workbench)["forecast"]["weighted"],
		"board": sum(t["weighted"] for t in as_user(user, get_board)["totals"].values()),
		"report": sum(r["weighted"] for r in rows),
	}


@pytest.fixture
def reestimated():
	"""Stages whose probability the test changes: their cached documents are dropped afterwards, so
	the next test reads the rolled-back values."""
	changed = []
	yield changed
	for name in changed:
		frappe.clear_document_cache(STAGE, name)
	frappe.local.request_cache.clear()


def test_workbench_board_and_forecast_weigh_the_pipeline_alike(factory, reestimated):
	team = factory.team()
	rep = factory.user_of(team.rep)
	first, second = (s.name for s in domain.open_stages()[:2])
	opps = [factory.opportunity(team.rep, amount=amount) for amount in (12345.67, 800, 5000.5)]
	criteria = frappe.get_doc(STAGE, first).exit_criteria
	as_user(rep, domain.advance, opps[1].name, second, {c.criterion: "ok" for c in criteria})
	for doc in opps:
		doc.reload()
	assert [d.stage for d in opps] == [first, second, first]

	def expected():
		probability = {s: frappe.db.get_value(STAGE, s, "probability") for s in (first, second)}
		return sum(d.amount * probability[d.stage] / 100 for d in opps)

	before = weighted_numbers(rep)
	assert before["workbench"] == pytest.approx(expected(), abs=0.01)
	assert before["board"] == pytest.approx(before["workbench"], abs=0.01)
	assert before["report"] == pytest.approx(before["workbench"], abs=0.01)

	# an administrator re-estimates the first stage
	stage = frappe.get_doc(STAGE, first)
	copied = stage.probability
	reestimated.append(first)
	stage.probability = copied + 25
	stage.save()

	after = weighted_numbers(rep)
	assert after["workbench"] == pytest.approx(expected(), abs=0.01)
	assert after["board"] == pytest.approx(after["workbench"], abs=0.01)
	assert after["report"] == pytest.approx(after["workbench"], abs=0.01)
	moved = (opps[0].amount + opps[2].amount) * 25 / 100
	assert after["workbench"] - before["workbench"] == pytest.approx(moved, abs=0.01)
	# the opportunities still carry the probability they copied on entry; it no longer weighs
	assert {frappe.db.get_value("Sales Opportunity", d.name, "probability") for d in (opps[0], opps[2])} == {
		copied
	}
	rows = {r["name"]: r for r in as_user(rep, get_workbench)["pipeline"]}
	assert rows[opps[0].name]["probability"] == copied + 25
	board = as_user(rep, get_board)
	assert {c["probability"] for c in board["cards"][first]} == {copied + 25}
