"""K8, after the schema sync: each opportunity's free-text lost reason becomes a Sales Lost Reason
(the matching entry, or "Other" with the text in lost_detail)."""

from sales_process.domain.lost_reasons import map_free_text


def execute():
	map_free_text()
