"""The weighted pipeline (R1, R2, W1), one definition for the workbench, the Opportunity Board and
the reports: an open opportunity weighs amount × its stage's probability / 100.

The probability is the stage's configured one (Sales Process Stage.probability) — in the Sales
Forecast with "calibrated" ticked, the company's historical win rate from that stage instead
(`reports.pipeline.calibrate`), which replaces the configured value stage by stage.

Why the stage's and not the opportunity's own `probability` field: that field is a copy taken when
the opportunity entered its stage (O4). It goes stale the moment an administrator re-estimates the
stage, so two opportunities in the same stage would weigh differently depending on when they
arrived, and calibration, which is per stage, could not apply to it. The copy stays on the
opportunity as the record of what the stage promised on entry; it weighs nothing.
"""

from pypika.terms import ValueWrapper

import frappe
from frappe.query_builder import Case
from frappe.utils import flt


def stage_probabilities() -> dict[str, float]:
	"""{stage: configured probability} of every stage, read now (an administrator's change applies
	to the next request)."""
	st = frappe.qb.DocType("Sales Process Stage")
	return {
		name: flt(probability)
		for name, probability in frappe.qb.from_(st).select(st.name, st.probability).run()
	}


def amount(value, probability) -> float:
	"""The weighted amount of `value` (one opportunity's amount, or a stage's sum) at `probability`."""
	return flt(value) * flt(probability) / 100


def probability_sql(stage_field, probabilities: dict[str, float]):
	"""SQL: the probability of the stage in `stage_field`, as a CASE over the (few) stages rather
	than a join, which would cost one lookup per opportunity; a stage not in `probabilities` weighs 0."""
	if not probabilities:
		return ValueWrapper(0)
	case = Case()
	for stage, probability in probabilities.items():
		case = case.when(stage_field == stage, flt(probability))
	return case.else_(0)


def amount_sql(amount_field, stage_field, probabilities: dict[str, float]):
	"""SQL: `amount` for each row (sum it for a pipeline)."""
	return amount_field * probability_sql(stage_field, probabilities) / 100
