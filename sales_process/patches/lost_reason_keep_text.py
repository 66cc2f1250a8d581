"""K8, before the schema sync: the free-text lost reasons move to lost_detail (lost_reason becomes a Link)."""

from sales_process.domain.lost_reasons import keep_free_text


def execute():
	keep_free_text()
