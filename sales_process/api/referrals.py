"""Whitelisted read of the customer referral graph (C3) for the Customer Referrals page."""

import frappe

from sales_process.domain import referrals


@frappe.whitelist()
@frappe.read_only()
def get_referral_graph(customer: str | None = None, node_limit: int = referrals.DEFAULT_NODE_LIMIT) -> dict:
	frappe.has_permission("Customer", "read", throw=True)
	if customer:
		frappe.has_permission("Customer", "read", doc=customer, throw=True)
	return referrals.graph(customer or None, node_limit)
