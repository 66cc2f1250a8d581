"""bench commands of the app (Frappe reads `commands` from here)."""

import click

from frappe.commands import get_site, pass_context


@click.command("sales-process-rebuild-stage-summary")
@click.option("--check", is_flag=True, help="Only compare the summary with the stage log.")
@pass_context
def rebuild_stage_summary(context, check=False):
	"""Derive the Opportunity Stage Summary from the Opportunity Stage Log again (R1, R3)."""
	import frappe

	from sales_process.domain import stage_history

	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		if check:
			wrong = stage_history.differences()
			click.echo(f"{len(wrong)} summary rows differ from the stage log")
			for row in wrong[:20]:
				click.echo(f"  {row}")
			if wrong:
				raise SystemExit(1)
		else:
			stage_history.rebuild_all()
	finally:
		frappe.destroy()


commands = [rebuild_stage_summary]
