"""bench commands of the app: `bench --site SITE sales-process-setup dev|test`, `… sales-process-demo`."""

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


commands = [sales_process_setup, sales_process_demo]
