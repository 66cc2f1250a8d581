// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

frappe.provide("frappe.dashboards.chart_sources");

// the Sales Funnel's filters but its creation dates (sales_process.report_filters)
frappe.dashboards.chart_sources["Open Pipeline by Stage"] = {
	method: "sales_process.sales_process.dashboard_chart_source.open_pipeline_by_stage.open_pipeline_by_stage.get",
	filters: [
		sales_process.report_filters.link("company", __("Company"), "Company"),
		sales_process.report_filters.sales_person(),
		sales_process.report_filters.link("territory", __("Territory"), "Territory"),
		sales_process.report_filters.link("customer_group", __("Customer Group"), "Customer Group"),
	],
};
