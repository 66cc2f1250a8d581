"""R1: the Opportunity Stage Totals (stage × owner) added up from the stage summary, once, when they
first arrive (afterwards the stage log's writer keeps them)."""

from sales_process.domain import stage_history


def execute():
	stage_history.rebuild_totals()
