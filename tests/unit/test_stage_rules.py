"""Plain unit tests of the stage-set rules (P2): no site needed."""

import pytest

from sales_process.domain.stages import StageRow, row_problems, set_problems, whole_set_problems


def codes(problems):
	return sorted(p.code for p in problems)


def default_set():
	return [
		StageRow("A", 10, 10, 7, criteria=("x", "y")),
		StageRow("B", 20, 50, 14),
		StageRow("Won", 90, 100, 0, is_won=True),
		StageRow("Lost", 99, 0, 0, is_lost=True),
	]


def test_a_sound_set_has_no_problems():
	assert whole_set_problems(default_set()) == []


@pytest.mark.parametrize(
	"row, code",
	[
		(StageRow("S", 0, 10), "sequence_not_positive"),
		(StageRow("S", 1, 101), "probability_out_of_range"),
		(StageRow("S", 1, -1), "probability_out_of_range"),
		(StageRow("S", 1, 10, -3), "negative_time_limit"),
		(StageRow("S", 1, 100, is_won=True, is_lost=True), "won_and_lost"),
		(StageRow("S", 1, 90, is_won=True), "won_probability"),
		(StageRow("S", 1, 5, is_lost=True), "lost_probability"),
		(StageRow("S", 1, 100, 5, is_won=True), "terminal_time_limit"),
		(StageRow("S", 1, 0, is_lost=True, criteria=("c",)), "terminal_criteria"),
		(StageRow("S", 1, 10, criteria=("Budget", " budget ")), "duplicate_criterion"),
		(StageRow("S", 1, 10, criteria=("  ",)), "blank_criterion"),
	],
)
def test_each_row_rule_fires(row, code):
	assert code in codes(row_problems(row))


def test_row_rules_pass_on_the_edges():
	assert row_problems(StageRow("S", 1, 0)) == []
	assert row_problems(StageRow("S", 1, 100)) == []


def test_set_rules_against_other_stages():
	others = default_set()
	assert codes(set_problems(StageRow("New", 20, 30), others)) == ["duplicate_sequence"]
	assert "second_won" in codes(set_problems(StageRow("Won2", 95, 100, is_won=True), others))
	assert "second_lost" in codes(set_problems(StageRow("Lost2", 98, 0, is_lost=True), others))
	assert "open_after_terminal" in codes(set_problems(StageRow("Late", 95, 50), others))
	assert "terminal_not_last" in codes(set_problems(StageRow("Won", 15, 100, is_won=True), others))
	# re-saving an existing stage compares with the others, not with itself
	assert set_problems(others[0], others) == []


def test_whole_set_needs_exactly_one_won_and_one_lost():
	no_terminals = [s for s in default_set() if not (s.is_won or s.is_lost)]
	assert codes(whole_set_problems(no_terminals)) == ["no_lost", "no_won"]
	only_terminals = [s for s in default_set() if s.is_won or s.is_lost]
	assert codes(whole_set_problems(only_terminals)) == ["no_open_stage"]
	two_won = [*default_set(), StageRow("Won2", 95, 100, is_won=True)]
	assert "second_won" in codes(whole_set_problems(two_won))
