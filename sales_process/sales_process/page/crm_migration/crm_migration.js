// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// CRM Migration (M1): the plan of migrating ERPNext CRM (counts per status and stage, what maps
// to what, what will be skipped and why) before anything is written, the stage-mapping editor, and
// a start button that runs the migration on the long queue with a realtime progress bar.

frappe.provide("sales_process.crm_migration");

frappe.pages["crm-migration"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("CRM Migration"),
		single_column: true,
	});
	wrapper.crm_migration = new sales_process.crm_migration.Page(page);
};

frappe.pages["crm-migration"].on_page_show = function (wrapper) {
	if (wrapper.crm_migration) wrapper.crm_migration.refresh();
};

sales_process.crm_migration.Page = class CRMMigration {
	static API = "sales_process.api.crm_migration.";

	constructor(page) {
		this.page = page;
		this.page.set_primary_action(__("Start Migration"), () => this.start(), "play");
		this.page.set_secondary_action(__("Refresh Plan"), () => this.refresh(), "refresh");
		this.$progress = $('<div class="sp-migration-progress"></div>').appendTo(this.page.main);
		this.$body = $('<div class="sp-migration"></div>').appendTo(this.page.main);
		frappe.realtime.on("sales_process_migration", (data) => this.on_progress(data));
	}

	refresh() {
		this.$body.html(`<div class="text-muted text-center p-4">${__("Loading...")}</div>`);
		frappe.xcall(CRMMigration.API + "get_plan").then((data) => this.render(data));
	}

	table(headers, rows) {
		const esc = sales_process.esc;
		const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
		const body = rows.length
			? rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")
			: `<tr><td colspan="${headers.length}" class="text-muted">${esc(__("None"))}</td></tr>`;
		return `<table class="table table-bordered table-sm"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
	}

	render(data) {
		this.data = data;
		const plan = data.plan;
		const c = plan.counts;
		const how = {
			status: __("by status"),
			mapping: __("by mapping"),
			probability: __("by probability"),
			first: __("first stage"),
		};
		const html = [
			`<h5>${__("Plan")}</h5>`,
			`<p class="sp-migration-summary">${__(
				"{0} leads and {1} opportunities will be migrated; {2} rows will be skipped.",
				[c.leads, c.opportunities, c.skipped]
			)}</p>`,
			`<h6>${__("By Source Status")}</h6>`,
			this.table(
				[__("Document Type"), __("Status"), __("Count")],
				plan.by_status.map((r) => [__(r.source_doctype), __(r.status), r.count])
			),
			`<h6>${__("By ERPNext Sales Stage")}</h6>`,
			this.table(
				[__("Status"), __("ERPNext Sales Stage"), __("Count")],
				plan.by_stage.map((r) => [__(r.status), r.sales_stage, r.count])
			),
			`<h6>${__("What Maps to What")}</h6>`,
			this.table(
				[__("Source"), __("How"), __("Sales Process Stage"), __("Count")],
				plan.mapped.map((r) => [__(r.source), how[r.how] || r.how, __(r.stage), r.count])
			),
			`<h6>${__("Stage Mapping")}</h6><div class="sp-stage-mapping"></div>`,
			`<h6>${__("Owners Without a Sales Person")}</h6>`,
			this.table(
				[__("User"), __("Count")],
				plan.unmapped_owners.map((r) => [r.user, r.count])
			),
			`<h6>${__("Skipped Rows")}</h6>`,
			this.table(
				[__("Document Type"), __("Source"), __("Reason")],
				plan.skipped.map((r) => [__(r.source_doctype), r.source_name, r.reason])
			),
		];
		if (data.last_run) {
			const r = data.last_run;
			html.splice(
				1,
				0,
				`<p class="text-muted sp-last-run">${__(
					"Last run {0}: {1}, {2} leads, {3} opportunities, {4} skipped.",
					[r.name, __(r.status), r.leads, r.opportunities, r.skipped]
				)}</p>`
			);
		}
		this.$body.html(html.join(""));
		this.render_mapping(data);
	}

	render_mapping(data) {
		const $box = this.$body.find(".sp-stage-mapping");
		const defaults = {};
		data.plan.stage_mapping.forEach((r) => (defaults[r.sales_stage] = r.stage));
		if (!data.sales_stages.length) {
			$box.html(`<p class="text-muted">${__("ERPNext has no Sales Stages.")}</p>`);
			return;
		}
		const esc = sales_process.esc;
		const options = (selected) =>
			[`<option value="">${esc(__("By name, then probability"))}</option>`]
				.concat(
					data.stages.map(
						(s) =>
							`<option value="${esc(s)}" ${s === selected ? "selected" : ""}>${esc(
								__(s)
							)}</option>`
					)
				)
				.join("");
		const rows = data.sales_stages
			.map(
				(s) =>
					`<tr><td>${esc(s)}</td><td><select class="form-control input-xs" data-sales-stage="${esc(
						s
					)}">${options(data.overrides[s] || defaults[s])}</select></td></tr>`
			)
			.join("");
		$box.html(
			`<table class="table table-bordered table-sm"><thead><tr><th>${esc(
				__("ERPNext Sales Stage")
			)}</th><th>${esc(__("Sales Process Stage"))}</th></tr></thead><tbody>${rows}</tbody></table>
			<button class="btn btn-default btn-xs sp-save-mapping">${esc(__("Save Mapping"))}</button>`
		);
		$box.find(".sp-save-mapping").on("click", () => {
			const mapping = {};
			$box.find("select").each((_i, el) => (mapping[el.dataset.salesStage] = el.value));
			frappe
				.xcall(CRMMigration.API + "save_stage_mapping", { mapping })
				.then(() => {
					frappe.show_alert({ message: __("Stage mapping saved"), indicator: "green" });
					this.refresh();
				});
		});
	}

	start() {
		frappe.confirm(__("Start migrating ERPNext CRM now? Each batch is committed as it goes."), () => {
			const pending = Object.values((this.data && this.data.pending) || {}).reduce((a, b) => a + b, 0);
			this.progress_seen = false;
			frappe.xcall(CRMMigration.API + "start_migration").then((r) => {
				if (!r.queued) {
					frappe.show_alert({
						message: __("A migration from ERPNext CRM is already running."),
						indicator: "orange",
					});
					return;
				}
				// a worker that was idle may report progress before this answer arrives
				if (!this.progress_seen) this.show_bar(0, pending);
				frappe.show_alert({ message: __("Migration queued"), indicator: "blue" });
			});
		});
	}

	show_bar(done, total) {
		const percent = total ? Math.round((100 * done) / total) : 100;
		// the count beside the bar, not in it: an empty bar has no room for text
		this.$progress.html(
			`<div class="progress" style="height: 1.2rem;">
				<div class="progress-bar sp-migration-bar" role="progressbar" style="width: ${percent}%"
					aria-valuenow="${percent}" aria-valuemin="0" aria-valuemax="100"></div></div>
			<p class="text-muted small sp-migration-count" style="margin: 0.25rem 0 1rem;">${__(
				"{0} of {1}",
				[done, total]
			)}</p>`
		);
	}

	on_progress(data) {
		this.progress_seen = true;
		if (data.failed) {
			this.$progress.html(
				`<div class="alert alert-danger sp-migration-failed">${__("The migration failed: {0}", [
					sales_process.esc(data.error),
				])}</div>`
			);
			this.refresh();
			return;
		}
		if (data.finished) {
			this.$progress.html(
				`<div class="alert alert-success sp-migration-done">${__("Migration run {0} finished.", [
					sales_process.esc(data.run),
				])}</div>`
			);
			this.refresh();
			return;
		}
		this.show_bar(data.done, data.total);
	}
};
