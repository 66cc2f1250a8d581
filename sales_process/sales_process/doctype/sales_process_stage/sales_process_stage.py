# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.domain import stage_history, stages


class SalesProcessStage(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from sales_process.sales_process.doctype.sales_process_stage_criterion.sales_process_stage_criterion import (
			SalesProcessStageCriterion,
		)

		color: DF.Color | None
		description: DF.SmallText | None
		exit_criteria: DF.Table[SalesProcessStageCriterion]
		is_lost: DF.Check
		is_won: DF.Check
		probability: DF.Percent
		sequence: DF.Int
		stage_name: DF.Data
		time_limit_days: DF.Int
	# end: auto-generated types

	def as_row(self) -> stages.StageRow:
		return stages.StageRow(
			name=self.name or self.stage_name,
			sequence=self.sequence,
			probability=self.probability,
			time_limit_days=self.time_limit_days,
			is_won=bool(self.is_won),
			is_lost=bool(self.is_lost),
			criteria=tuple(c.criterion or "" for c in self.exit_criteria),
		)

	def validate(self):
		self.stage_name = (self.stage_name or "").strip()
		for c in self.exit_criteria:
			c.criterion = (c.criterion or "").strip()
		problems = stages.set_problems(self.as_row(), stages.stored_stages(exclude=self.name))
		problems += self.flag_removal_problems()
		if problems:
			frappe.throw(
				"<br>".join(stages.describe(p) for p in problems),
				title=_("Invalid Stage"),
				exc=frappe.ValidationError,
			)

	def flag_removal_problems(self) -> list[stages.Problem]:
		"""The won/lost flag may not leave the only stage that carries it (P2: exactly one of each)."""
		before = self.get_doc_before_save()
		if not before:
			return []
		problems = []
		if before.is_won and not self.is_won and not _other_stage_with("is_won", self.name):
			problems.append(stages.Problem("last_won", self.name))
		if before.is_lost and not self.is_lost and not _other_stage_with("is_lost", self.name):
			problems.append(stages.Problem("last_lost", self.name))
		return problems

	def on_update(self):
		# which stage follows which may have changed: the summary's `converted` follows (R1)
		before = self.get_doc_before_save()
		if not before or any(self.get(f) != before.get(f) for f in ("sequence", "is_won", "is_lost")):
			stage_history.schedule_refresh()

	def after_delete(self):
		stage_history.schedule_refresh()

	def on_trash(self):
		for flag, code in (("is_won", "last_won"), ("is_lost", "last_lost")):
			if self.get(flag) and not _other_stage_with(flag, self.name):
				frappe.throw(stages.describe(stages.Problem(code, self.name)), title=_("Cannot Delete Stage"))


def _other_stage_with(flag: str, name: str) -> bool:
	return bool(frappe.db.exists("Sales Process Stage", {flag: 1, "name": ("!=", name)}))
