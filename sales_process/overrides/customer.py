"""doc_events on Customer: keep the normalised identity used by duplicate-claim protection (O2),
and keep the referral graph (C3) free of loops."""

import frappe
from frappe import _

from sales_process.domain import normalize


def set_normalized_identity(doc, method=None):
	doc.update(normalize.customer_columns(doc))


def backfill_normalized_identity(batch_size: int = 1000):
	"""For customers that existed before the app (install/patch): batched bulk updates."""

	start = 0
	while True:
		rows = frappe.get_all(
			"Customer",
			fields=["name", "customer_name", "tax_id", "mobile_no", "email_id"],
			order_by="name",
			start=start,
			page_length=batch_size,
		)
		if not rows:
			break
		updates = {r.name: normalize.customer_columns(r) for r in rows}
		frappe.db.bulk_update("Customer", updates, update_modified=False)
		start += batch_size


def validate_referral(doc, method=None):
	"""C3: `referred_by` must not make a customer its own referrer, directly or up the chain —
	the referral graph is a forest, and the page walks it upwards."""

	if not doc.get("referred_by"):
		return
	seen = {doc.name}
	current = doc.referred_by
	while current:
		if current in seen:
			frappe.throw(
				_("{0} cannot be referred by {1}: the referral chain would lead back to {0}.").format(
					frappe.bold(doc.customer_name or doc.name), frappe.bold(doc.referred_by)
				),
				title=_("Referral Loop"),
			)
		seen.add(current)
		current = frappe.db.get_value("Customer", current, "referred_by")
