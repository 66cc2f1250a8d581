"""Plain unit tests of the forecast math in sales_process.reports.pipeline (R2): no site needed."""

import pytest

from sales_process.reports.pipeline import (
	BEST_CASE_MIN_PROBABILITY,
	CALIBRATION_MIN_SAMPLES,
	COMMIT_MIN_PROBABILITY,
	calibrate,
	category,
	month_labels,
	next_stages,
)

CONFIGURED = {"Lead": 10.0, "Quote": 60.0, "Negotiation": 80.0}


def test_calibration_is_the_win_rate_of_closed_opportunities():
	counts = {"Lead": (3, 12), "Quote": (6, 8), "Negotiation": (5, 5)}
	assert calibrate(counts, CONFIGURED) == {"Lead": 25.0, "Quote": 75.0, "Negotiation": 100.0}


def test_too_few_closed_samples_keep_the_configured_probability():
	assert CALIBRATION_MIN_SAMPLES == 5
	counts = {"Lead": (4, 4), "Quote": (0, 5)}  # Negotiation has no history at all
	assert calibrate(counts, CONFIGURED) == {"Lead": 10.0, "Quote": 0.0, "Negotiation": 80.0}
	assert calibrate(counts, CONFIGURED, min_samples=4) == {"Lead": 100.0, "Quote": 0.0, "Negotiation": 80.0}
	# a threshold of 0 must not divide by zero
	assert calibrate({}, CONFIGURED, min_samples=0) == CONFIGURED


def test_calibration_rounds_to_two_decimals_and_ignores_unknown_stages():
	counts = {"Lead": (1, 6), "Won": (9, 9)}
	assert calibrate(counts, CONFIGURED)["Lead"] == pytest.approx(16.67)
	assert set(calibrate(counts, CONFIGURED)) == set(CONFIGURED)


@pytest.mark.parametrize(
	"probability, expected",
	[
		(100, "commit"),
		(COMMIT_MIN_PROBABILITY, "commit"),
		(79.99, "best_case"),
		(BEST_CASE_MIN_PROBABILITY, "best_case"),
		(49.99, "pipeline"),
		(0, "pipeline"),
		(None, "pipeline"),
	],
)
def test_categories_by_probability(probability, expected):
	assert (COMMIT_MIN_PROBABILITY, BEST_CASE_MIN_PROBABILITY) == (80, 50)
	assert category(probability) == expected


def test_month_labels_cross_the_year():
	from datetime import date

	assert month_labels(date(2026, 11, 1), date(2027, 2, 28)) == ["2026-11", "2026-12", "2027-01", "2027-02"]
	assert month_labels(date(2026, 5, 1), date(2026, 5, 31)) == ["2026-05"]


def test_next_stage_runs_through_the_open_stages_to_won():
	from frappe import _dict

	stages = [
		_dict(name="A", is_won=0, is_lost=0),
		_dict(name="B", is_won=0, is_lost=0),
		_dict(name="Won", is_won=1, is_lost=0),
		_dict(name="Lost", is_won=0, is_lost=1),
	]
	assert next_stages(stages) == {"A": "B", "B": "Won"}
