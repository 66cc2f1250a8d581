"""Rules of the stage set (P2), as pure functions over plain values.

The controller of Sales Process Stage feeds the stage being saved together with the other
stored stages; the same check runs over the whole set after fixtures load. Problems carry a
code (stable, for tests) and the values a translated message needs.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import cint


@dataclass(frozen=True)
class StageRow:
	name: str
	sequence: int
	probability: float = 0
	time_limit_days: int = 0
	is_won: bool = False
	is_lost: bool = False
	criteria: tuple[str, ...] = field(default_factory=tuple)

	@property
	def is_terminal(self) -> bool:
		return bool(self.is_won or self.is_lost)


@dataclass(frozen=True)
class Problem:
	code: str
	stage: str
	other: str = ""
	value: object = None


def row_problems(row: StageRow) -> list[Problem]:
	"""Problems visible from one stage alone."""
	problems = []
	if row.sequence is None or row.sequence < 1:
		problems.append(Problem("sequence_not_positive", row.name, value=row.sequence))
	if row.probability is None or not 0 <= row.probability <= 100:
		problems.append(Problem("probability_out_of_range", row.name, value=row.probability))
	if row.time_limit_days is not None and row.time_limit_days < 0:
		problems.append(Problem("negative_time_limit", row.name, value=row.time_limit_days))
	if row.is_won and row.is_lost:
		problems.append(Problem("won_and_lost", row.name))
	if row.is_won and row.probability != 100:
		problems.append(Problem("won_probability", row.name, value=row.probability))
	if row.is_lost and row.probability != 0:
		problems.append(Problem("lost_probability", row.name, value=row.probability))
	if row.is_terminal and row.time_limit_days:
		problems.append(Problem("terminal_time_limit", row.name))
	if row.is_terminal and row.criteria:
		problems.append(Problem("terminal_criteria", row.name))
	seen = set()
	for criterion in row.criteria:
		key = criterion.strip().casefold()
		if not key:
			problems.append(Problem("blank_criterion", row.name))
		elif key in seen:
			problems.append(Problem("duplicate_criterion", row.name, value=criterion))
		seen.add(key)
	return problems


def set_problems(row: StageRow, others: Iterable[StageRow]) -> list[Problem]:
	"""Problems of `row` against the other stages of the set (at most one won, one lost, …)."""
	problems = row_problems(row)
	for other in others:
		if other.name == row.name:
			continue
		if other.sequence == row.sequence:
			problems.append(Problem("duplicate_sequence", row.name, other.name, row.sequence))
		if row.is_won and other.is_won:
			problems.append(Problem("second_won", row.name, other.name))
		if row.is_lost and other.is_lost:
			problems.append(Problem("second_lost", row.name, other.name))
		if row.is_terminal and not other.is_terminal and other.sequence >= row.sequence:
			problems.append(Problem("terminal_not_last", row.name, other.name))
		if not row.is_terminal and other.is_terminal and row.sequence >= other.sequence:
			problems.append(Problem("open_after_terminal", row.name, other.name))
	return problems


def whole_set_problems(stages: Iterable[StageRow]) -> list[Problem]:
	"""Every problem of a complete stage set, including 'exactly one won and one lost'."""
	stages = list(stages)
	problems = [p for row in stages for p in set_problems(row, stages)]
	won = [s for s in stages if s.is_won]
	lost = [s for s in stages if s.is_lost]
	if not won:
		problems.append(Problem("no_won", ""))
	if not lost:
		problems.append(Problem("no_lost", ""))
	if not any(not s.is_terminal for s in stages):
		problems.append(Problem("no_open_stage", ""))
	return _unique(problems)


def _unique(problems: list[Problem]) -> list[Problem]:
	seen, out = set(), []
	for p in problems:
		if p not in seen:
			seen.add(p)
			out.append(p)
	return out


def describe(problem: Problem) -> str:
	"""The translated message for a problem."""
	p = problem
	messages = {
		"sequence_not_positive": lambda: _(
			"Stage {0}: the sequence must be a whole number of 1 or more."
		).format(p.stage),
		"probability_out_of_range": lambda: _(
			"Stage {0}: the probability must be between 0 and 100 (got {1})."
		).format(p.stage, p.value),
		"negative_time_limit": lambda: _("Stage {0}: the time limit cannot be negative.").format(p.stage),
		"won_and_lost": lambda: _("Stage {0} cannot be both won and lost.").format(p.stage),
		"won_probability": lambda: _("Stage {0} is the won stage, so its probability must be 100.").format(
			p.stage
		),
		"lost_probability": lambda: _("Stage {0} is the lost stage, so its probability must be 0.").format(
			p.stage
		),
		"terminal_time_limit": lambda: _(
			"Stage {0} is a terminal (won or lost) stage and cannot have a time limit."
		).format(p.stage),
		"terminal_criteria": lambda: _(
			"Stage {0} is a terminal (won or lost) stage; nothing leaves it, so it cannot have exit criteria."
		).format(p.stage),
		"blank_criterion": lambda: _("Stage {0}: an exit criterion is empty.").format(p.stage),
		"duplicate_criterion": lambda: _("Stage {0}: the exit criterion '{1}' is listed twice.").format(
			p.stage, p.value
		),
		"duplicate_sequence": lambda: _("Sequence {0} is already used by stage {1}.").format(
			p.value, p.other
		),
		"second_won": lambda: _(
			"Stage {0} is already the won stage; a process has exactly one won stage."
		).format(p.other),
		"second_lost": lambda: _(
			"Stage {0} is already the lost stage; a process has exactly one lost stage."
		).format(p.other),
		"terminal_not_last": lambda: _(
			"Stage {0} is terminal, so its sequence must come after every open stage (stage {1} comes later)."
		).format(p.stage, p.other),
		"open_after_terminal": lambda: _(
			"Stage {0} is an open stage, so its sequence must come before the terminal stage {1}."
		).format(p.stage, p.other),
		"no_won": lambda: _("The process has no won stage; exactly one stage must be marked won."),
		"no_lost": lambda: _("The process has no lost stage; exactly one stage must be marked lost."),
		"no_open_stage": lambda: _("The process has no open stage before the won and lost stages."),
		"last_won": lambda: _(
			"Stage {0} is the only won stage; a process needs exactly one won stage, so it cannot stop being it."
		).format(p.stage),
		"last_lost": lambda: _(
			"Stage {0} is the only lost stage; a process needs exactly one lost stage, so it cannot stop being it."
		).format(p.stage),
	}
	return messages[p.code]()


def process_order(stage) -> tuple:
	"""Sort key of the stages in process order: the open ones by sequence, then the won stage, then
	the lost one (P2 keeps both after every open stage)."""
	return (2 if stage.is_lost else 1 if stage.is_won else 0, cint(stage.sequence), stage.name)


def stored_stages(exclude: str | None = None) -> list[StageRow]:
	"""All stages in the database in process order (one query for stages, one for criteria)."""
	stage = frappe.qb.DocType("Sales Process Stage")
	criterion = frappe.qb.DocType("Sales Process Stage Criterion")
	rows = (
		frappe.qb.from_(stage)
		.select(
			stage.name, stage.sequence, stage.probability, stage.time_limit_days, stage.is_won, stage.is_lost
		)
		.run(as_dict=True)
	)
	crits: dict[str, list[str]] = {}
	for c in (
		frappe.qb.from_(criterion)
		.select(criterion.parent, criterion.criterion)
		.where(criterion.parenttype == "Sales Process Stage")
		.orderby(criterion.idx)
		.run(as_dict=True)
	):
		crits.setdefault(c.parent, []).append(c.criterion)
	rows = [
		StageRow(
			name=r.name,
			sequence=r.sequence,
			probability=r.probability or 0,
			time_limit_days=r.time_limit_days or 0,
			is_won=bool(r.is_won),
			is_lost=bool(r.is_lost),
			criteria=tuple(crits.get(r.name, ())),
		)
		for r in rows
		if r.name != exclude
	]
	return sorted(rows, key=process_order)
