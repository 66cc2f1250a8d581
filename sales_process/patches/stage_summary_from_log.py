"""R1/R3: the Opportunity Stage Summary derived from the whole stage log, once, when it first arrives
(afterwards the log's writer keeps it)."""

from sales_process.domain import stage_history


def execute():
	stage_history.rebuild()
