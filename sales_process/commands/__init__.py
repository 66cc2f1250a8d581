"""bench commands of the app: `bench --site SITE sales-process-setup dev|test`, `… sales-process-demo`,
`… sales-process-migrate-crm [--dry-run] [--batch-size N]`."""

import click

from frappe.commands import get_site, pass_context


@click.command("sales-process-setup")
@click.argument("mode", type=click.Choice(["dev", "test"]))
@pass_context
def sales_process_setup(context, mode):
	"""Complete ERPNext's setup wizard and the app's prerequisites on a site (idempotent)."""
	import frappe

	from sales_process.setup.site import prepare_site

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		prepare_site(mode)
	finally:
		frappe.destroy()


@click.command("sales-process-demo")
@click.option("--seed", default=20261122, show_default=True, help="Random seed (same seed, same data)")
@pass_context
def sales_process_demo(context, seed):
	"""Fill the site with a demo company (idempotent: does nothing when demo data exists)."""
	import frappe

	from sales_process.setup.demo import make_demo

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		make_demo(seed=seed)
		# nosemgrep: frappe-manual-commit -- a bench CLI command: nothing else commits for it
		frappe.db.commit()
	finally:
		frappe.destroy()


@click.command("sales-process-migrate-crm")
@click.option("--dry-run", is_flag=True, help="Print the plan only; nothing is written")
@click.option("--batch-size", default=1000, show_default=True, help="Rows per batch (each batch commits)")
@pass_context
def sales_process_migrate_crm(context, dry_run, batch_size):
	"""Migrate ERPNext CRM Leads and Opportunities into Sales Leads and Sales Opportunities (M1, M2):
	idempotent and resumable; prints the plan (dry run) or the result as JSON."""
	import json

	import frappe

	from sales_process.domain.crm_migration import migrate

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		frappe.set_user("Administrator")

		def progress(done, total):
			click.echo(f"{done}/{total}", err=True)

		report = migrate(dry_run=dry_run, batch_size=batch_size, progress=None if dry_run else progress)
		click.echo(json.dumps(report, ensure_ascii=False, indent=1, default=str))
	finally:
		frappe.destroy()


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
			click.echo(f"{len(wrong)} rows differ (summary against the stage log, owners, stage totals)")
			for row in wrong[:20]:
				click.echo(f"  {row}")
			if wrong:
				raise SystemExit(1)
		else:
			count = stage_history.rebuild()
			# nosemgrep: frappe-manual-commit -- a bench CLI command: nothing else commits for it
			frappe.db.commit()
			click.echo(f"Stage summary rebuilt from the stage log: {count} rows")
	finally:
		frappe.destroy()


commands = [sales_process_setup, sales_process_demo, sales_process_migrate_crm, rebuild_stage_summary]
