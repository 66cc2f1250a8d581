"""doc_events on Contract (O5): the linked opportunity must be for the contract's party."""

from sales_process.overrides.transaction import validate_opportunity_link


def validate(doc, method=None):
	validate_opportunity_link(doc)
