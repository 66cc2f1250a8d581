// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// Sales Workbench (W1): every panel of the logged-in user from one request
// (sales_process.api.workbench.get_workbench); the server enforces the data scope. Quick actions:
// a new daily log (sales_process.api.daily_log.add_log) and answering a help alert
// (sales_process.api.help_alert.respond).

frappe.provide("sales_process.sales_workbench");

frappe.pages["sales-workbench"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Sales Workbench"),
		single_column: true,
	});
	wrapper.sales_workbench = new sales_process.sales_workbench.Workbench(wrapper, page);
};

frappe.pages["sales-workbench"].on_page_show = function (wrapper) {
	if (wrapper.sales_workbench) wrapper.sales_workbench.refresh();
};

sales_process.sales_workbench.Workbench = class SalesWorkbench {
	static METHOD = "sales_process.api.workbench.get_workbench";
	static ADD_LOG = "sales_process.api.daily_log.add_log";
	static RESPOND = "sales_process.api.help_alert.respond";
	static CLAIM_LEAD = "sales_process.api.lead.claim_lead";
	static DUE_SOON_HOURS = 48;
	static STYLE_ID = "sales-process-workbench-style";

	constructor(wrapper, page) {
		this.wrapper = wrapper;
		this.page = page;
		this.data = null;
		this.token = 0;

		this.add_style();
		this.page.set_primary_action(__("New Daily Log"), () => this.new_daily_log(), "add");
		this.page.set_secondary_action(__("Refresh"), () => this.refresh(), "refresh");
		this.$body = $('<div class="sp-wb"></div>').appendTo(this.page.main);
		this.$body.html(`<div class="text-muted text-center sp-wb-empty">${__("Loading...")}</div>`);
		this.bind_events();
	}

	// --- helpers ----------------------------------------------------------------------------

	text(stored) {
		// Frappe stores markup typed into text fields escaped; show it as the user typed it
		return sales_process.esc(frappe.utils.html2text(stored || ""));
	}

	money(value, currency) {
		return sales_process.esc(format_currency(value || 0, currency || this.currency));
	}

	link(doctype, name, label) {
		return `<a href="${sales_process.esc(frappe.utils.get_form_link(doctype, name))}">${sales_process.esc(
			label || name
		)}</a>`;
	}

	badge(label, color, title) {
		return `<span class="indicator-pill no-indicator-dot ${color}" title="${sales_process.esc(
			title || ""
		)}">${sales_process.esc(label)}</span>`;
	}

	date(value) {
		return sales_process.esc(frappe.format(value, { fieldtype: "Date" }));
	}

	card(title, count, body, extra_class) {
		const counter =
			count === null || count === undefined
				? ""
				: `<span class="sp-wb-count">${sales_process.esc(count)}</span>`;
		return `<div class="sp-wb-card frappe-card ${extra_class || ""}">
			<div class="sp-wb-card-head"><span class="sp-wb-card-title">${sales_process.esc(
				title
			)}</span>${counter}</div>
			<div class="sp-wb-card-body">${body}</div>
		</div>`;
	}

	empty(text) {
		return `<div class="text-muted sp-wb-none">${sales_process.esc(text)}</div>`;
	}

	// --- loading ----------------------------------------------------------------------------

	refresh() {
		const token = ++this.token;
		this.$body.addClass("sp-wb-loading");
		return frappe.call({
			method: SalesWorkbench.METHOD,
			type: "GET",
			callback: (r) => {
				if (token !== this.token || !r.message) return;
				this.render(r.message);
			},
			always: () => {
				if (token === this.token) this.$body.removeClass("sp-wb-loading");
			},
		});
	}

	render(data) {
		this.data = data;
		this.currency = data.forecast.currency || frappe.defaults.get_default("currency");
		let notice = "";
		if (!data.sales_person) {
			notice = `<div class="sp-wb-notice text-muted">${sales_process.esc(
				__(
					"You are not linked to a Sales Person (Sales Person → Employee → User): personal panels are empty."
				)
			)}</div>`;
		}
		this.$body.html(`${notice}
			<div class="sp-wb-grid">
				${this.today_card(data.today)}
				${this.route_card(data.route || [])}
				${this.daily_standard_card(data.daily_standard)}
				${this.forecast_card(data.forecast)}
				${this.decisions_card(data.pending_decisions || [])}
				${this.appointments_card(data.appointments)}
				${this.celebrations_card(data.celebrations)}
				${this.care_card(data.care_reminders || [])}
				${this.near_confiscation_card(data.near_confiscation)}
				${this.silent_card(data.silent_opportunities)}
				${this.alerts_card(data.help_alerts)}
				${this.follow_up_card(data.leads)}
				${this.lead_pool_card(data.leads)}
				${this.pipeline_card(data.pipeline)}
			</div>`);
	}

	// --- panels -----------------------------------------------------------------------------

	today_card(today) {
		const body = `<div class="sp-wb-figures">
			<div><div class="sp-wb-figure">${sales_process.esc(today.minutes)}</div>
				<div class="text-muted">${sales_process.esc(__("Minutes"))}</div></div>
			<div><div class="sp-wb-figure">${sales_process.esc(today.effective_score)}</div>
				<div class="text-muted">${sales_process.esc(__("Effective score"))}</div></div>
			<div><div class="sp-wb-figure">${sales_process.esc(today.entries)}</div>
				<div class="text-muted">${sales_process.esc(__("Entries"))}</div></div>
		</div>`;
		return this.card(__("Today", null, "Sales Workbench"), null, body);
	}

	forecast_card(forecast) {
		const body = `<div class="sp-wb-figures">
			<div><div class="sp-wb-figure">${this.money(forecast.weighted)}</div>
				<div class="text-muted">${sales_process.esc(__("Weighted forecast"))}</div></div>
			<div><div class="sp-wb-figure">${this.money(forecast.amount)}</div>
				<div class="text-muted">${sales_process.esc(__("Open amount"))}</div></div>
			<div><div class="sp-wb-figure">${sales_process.esc(forecast.count)}</div>
				<div class="text-muted">${sales_process.esc(__("Open opportunities"))}</div></div>
		</div>`;
		return this.card(__("Personal Forecast"), null, body);
	}

	opp_line(row, badges, detail) {
		return `<div class="sp-wb-row">
			<div class="sp-wb-row-main">
				${this.link("Sales Opportunity", row.name)}
				<span class="text-muted">· ${this.link("Customer", row.customer, row.customer_name)}</span>
			</div>
			<div class="sp-wb-row-meta">
				${badges.join("")}
				${this.badge(__(row.stage || ""), "blue", __("Stage"))}
				<span class="text-muted">${this.money(row.amount, row.currency)}</span>
				<span class="text-muted">${sales_process.esc(row.sales_person)}</span>
			</div>
			${detail ? `<div class="sp-wb-row-detail text-muted">${detail}</div>` : ""}
		</div>`;
	}

	appointments_card(rows) {
		const body = rows.length
			? rows
					.map((row) => {
						const badge = this.days_badge(
							row.days_left,
							frappe.format(row.next_action_date, { fieldtype: "Date" })
						);
						return this.opp_line(
							row,
							[badge],
							sales_process.esc(row.next_action || "")
						);
					})
					.join("")
			: this.empty(__("No next actions in the coming 7 days."));
		return this.card(__("Appointments and Next Actions"), rows.length, body);
	}

	celebrations_card(rows) {
		const body = rows.length
			? rows
					.map((row) => {
						const when = this.days_badge(row.days_left);
						const customer = this.link("Customer", row.customer, row.customer_name);
						const text =
							row.kind === "birthday"
								? __("Birthday of {0} ({1})", [
										this.link("Contact", row.contact, row.contact_name),
										customer,
								  ])
								: __("{0}: founding anniversary, {1} years", [
										customer,
										sales_process.esc(row.years),
								  ]);
						return `<div class="sp-wb-row">
							<div class="sp-wb-row-main">${text}</div>
							<div class="sp-wb-row-meta">${when}
								<span class="text-muted">${this.date(row.date)}</span></div>
						</div>`;
					})
					.join("")
			: this.empty(__("No anniversaries or birthdays in the coming days."));
		return this.card(__("Anniversaries and Birthdays"), rows.length, body);
	}

	care_card(rows) {
		// ToDos of the daily customer-care job (C1 revisits, C2 anniversaries and birthdays)
		const kinds = {
			revisit: [__("Revisit"), "orange"],
			anniversary: [__("Anniversary"), "green"],
			birthday: [__("Birthday"), "purple"],
		};
		const body = rows.length
			? rows
					.map((row) => {
						const [label, color] = kinds[row.kind] || [row.kind, "gray"];
						return `<div class="sp-wb-row">
							<div class="sp-wb-row-main">${this.badge(label, color)}
								${this.link("Customer", row.customer, row.customer_name)}</div>
							<div class="sp-wb-row-meta"><span class="text-muted">${this.date(row.date)}</span>
								${this.link("ToDo", row.name, __("Open", null, "Customer Care"))}
								<button class="btn btn-xs btn-default sp-wb-care-done" data-todo="${sales_process.esc(
									row.name
								)}">${sales_process.esc(__("Done"))}</button></div>
							<div class="sp-wb-row-detail text-muted">${this.text(row.description)}</div>
						</div>`;
					})
					.join("")
			: this.empty(__("No customer care reminders."));
		return this.card(__("Customer Care Reminders"), rows.length, body);
	}

	due_badge(hours) {
		// hours: to the stage deadline, negative when it has passed
		let color = "gray";
		if (hours < 0) color = "red";
		else if (hours <= SalesWorkbench.DUE_SOON_HOURS) color = "orange";
		return this.badge(sales_process.relative_due(Math.round(hours * 60)), color);
	}


	days_badge(days_left, title) {
		if (days_left < -1) return this.badge(__("Overdue by {0} days", [-days_left]), "red", title);
		if (days_left === -1) return this.badge(__("Overdue by 1 day"), "red", title);
		if (days_left === 0) return this.badge(__("Today", null, "Sales Workbench"), "orange", title);
		if (days_left === 1) return this.badge(__("Tomorrow", null, "Sales Workbench"), "orange", title);
		return this.badge(__("In {0} days", [days_left]), "gray", title);
	}

	daily_standard_card(std) {
		// K6: working days below the minimum daily standard over the last 30 days, to yesterday
		if (!std || !std.active) {
			return this.card(__("Minimum Daily Standard"), null, this.empty(__("No daily standard is set.")));
		}
		const halves = [];
		if (std.min_minutes) halves.push(__("{0} minutes", [std.min_minutes]));
		if (std.min_score) halves.push(__("effective score {0}", [std.min_score]));
		const rule = `<div class="text-muted sp-wb-none">${sales_process.esc(
			__("Standard per working day: {0}", [halves.join(" · ")])
		)}</div>`;
		let body = rule;
		if (std.mine) {
			body += `<div class="sp-wb-figures">
				<div><div class="sp-wb-figure">${sales_process.esc(std.mine.days_below)}</div>
					<div class="text-muted">${sales_process.esc(__("Days below standard"))}</div></div>
				<div><div class="sp-wb-figure">${sales_process.esc(std.mine.working_days)}</div>
					<div class="text-muted">${sales_process.esc(__("Working days"))}</div></div>
				<div><div class="sp-wb-figure">${sales_process.esc(std.mine.days_without_log)}</div>
					<div class="text-muted">${sales_process.esc(__("Days without a log"))}</div></div>
			</div>`;
			body += std.days
				.slice(0, 7)
				.map((day) => {
					const detail = day.entries
						? __("{0} minutes, effective score {1}", [day.minutes, day.effective_score])
						: __("No daily log");
					return `<div class="sp-wb-row"><div class="sp-wb-row-meta">
						${this.badge(frappe.format(day.day, { fieldtype: "Date" }), "red")}
						<span class="text-muted">${sales_process.esc(detail)}</span></div></div>`;
				})
				.join("");
		}
		if (std.team.length) {
			body +=
				`<div class="sp-wb-section-title">${sales_process.esc(__("Most days below in my team"))}</div>` +
				std.team
					.map(
						(p) => `<div class="sp-wb-row"><div class="sp-wb-row-meta">
							<span>${sales_process.esc(p.sales_person)}</span>
							${this.badge(
								__("{0} of {1} working days", [p.days_below, p.working_days]),
								"red",
								__("Days below standard")
							)}
							<span class="text-muted">${sales_process.esc(
								__("{0} without a log", [p.days_without_log])
							)}</span></div></div>`
					)
					.join("");
		}
		const count = std.mine ? std.mine.days_below : std.team_below;
		return this.card(__("Minimum Daily Standard (Last 30 Days)"), count, body);
	}

	route_card(stops) {
		// F2: today's visit check-ins in order, as a list (a map would need tiles from the internet)
		const metres = (m) =>
			m >= 1000 ? __("{0} km", [(m / 1000).toFixed(1)]) : __("{0} m", [Math.round(m)]);
		const body = stops.length
			? stops
					.map((stop) => {
						const badges = [
							this.badge(String(stop.check_in_at).slice(11, 16), "blue"),  // HH:MM
							stop.distance === null
								? this.badge(__("No customer coordinates"), "gray")
								: this.badge(__("{0} from the customer", [metres(stop.distance)]), "gray"),
							stop.leg === null ? "" : this.badge(__("{0} from the last stop", [metres(stop.leg)]), "gray"),
						];
						return `<div class="sp-wb-row"><div class="sp-wb-row-main">
							${
								stop.customer
									? this.link("Customer", stop.customer, stop.customer_name)
									: this.link("Sales Lead", stop.lead)
							}
							${this.link("Sales Daily Log", stop.entry, __("Daily Log"))}</div>
							<div class="sp-wb-row-meta">${badges.join("")}
							<span class="text-muted">${sales_process.esc(
								__("±{0} m", [Math.round(stop.accuracy)])
							)}</span></div></div>`;
					})
					.join("")
			: this.empty(__("No visit check-ins today. Check in from the phone page: /sales-field"));
		return this.card(__("Today's Route"), stops.length, body);
	}

	silent_card(silent) {
		// K9: open opportunities without a daily log for the set number of days, before their deadline
		const since = (row) => {
			const day = [frappe.format(row.silent_since, { fieldtype: "Date" })];
			if (row.since_what === "log") return __("Last daily log on {0}", day);
			if (row.since_what === "stage") return __("No daily log since it entered its stage on {0}", day);
			if (row.since_what === "owner") return __("No daily log since it changed owner on {0}", day);
			return __("No daily log since it was created on {0}", day);
		};
		const line = (row) =>
			this.opp_line(
				row,
				[
					this.badge(__("Silent for {0} days", [row.days_silent]), "orange"),
					row.stage_due_at ? this.due_badge(row.hours_left) : "",
				],
				sales_process.esc(since(row))
			);
		const section = (title, rows, none) =>
			`<div class="sp-wb-section-title">${sales_process.esc(title)}</div>` +
			(rows.length ? rows.map(line).join("") : this.empty(none));
		let body = section(__("Mine", null, "Silent Opportunities"), silent.own, __("None of yours is silent."));
		if (silent.team.length) {
			body += section(__("My team's"), silent.team, "");
		}
		return this.card(__("Silent Opportunities"), silent.own.length + silent.team.length, body);
	}

	near_confiscation_card(rows) {
		const body = rows.length
			? rows
					.map((row) =>
						this.opp_line(
							row,
							[this.due_badge(row.hours_left)],
							sales_process.esc(
								__("Stage due at {0}", [
									frappe.format(row.stage_due_at, { fieldtype: "Datetime" }),
								])
							)
						)
					)
					.join("")
			: this.empty(__("No opportunities with a stage deadline."));
		return this.card(__("Close to Confiscation"), rows.length, body);
	}

	pipeline_card(rows) {
		const body = rows.length
			? rows
					.map((row) =>
						this.opp_line(row, [
							this.badge(`${row.probability}%`, "green", __("Probability")),
							row.stage_due_at ? this.due_badge(row.hours_left) : "",
						])
					)
					.join("")
			: this.empty(__("No open opportunities."));
		return this.card(__("Pipeline (closest to won first)"), rows.length, body, "sp-wb-wide");
	}

	alert_line(alert, can_respond) {
		const respond = can_respond
			? `<button class="btn btn-xs btn-default sp-wb-respond" data-alert="${sales_process.esc(
					alert.name
			  )}">${sales_process.esc(__("Respond"))}</button>`
			: "";
		// K8: an alert raised on a customer has no opportunity, nor stage, to show
		const about = alert.opportunity
			? `${this.badge(__(alert.stage || ""), "blue", __("Stage"))}
				${this.link("Sales Opportunity", alert.opportunity)}`
			: this.link("Customer", alert.customer);
		return `<div class="sp-wb-row">
			<div class="sp-wb-row-main">
				${this.link("Help Alert", alert.name)}
				<span class="text-muted">· ${sales_process.esc(__(alert.reason || ""))}</span>
				${respond}
			</div>
			<div class="sp-wb-row-meta">
				${about}
				<span class="text-muted">${sales_process.esc(alert.raised_by_sales_person || alert.raised_by)}</span>
				<span class="text-muted">${sales_process.esc(__("{0} responses", [alert.responses]))}</span>
			</div>
			<div class="sp-wb-row-detail text-muted">${this.text(alert.description)}</div>
		</div>`;
	}

	alerts_card(alerts) {
		const section = (title, rows, can_respond, none) =>
			`<div class="sp-wb-section-title">${sales_process.esc(title)}</div>` +
			(rows.length
				? rows.map((a) => this.alert_line(a, can_respond)).join("")
				: this.empty(none));
		const body =
			section(__("Raised by me"), alerts.own, false, __("No open help alerts of yours.")) +
			section(__("My team's"), alerts.team, true, __("No open help alerts in your team.")) +
			section(__("I could answer"), alerts.to_answer, true, __("Nothing waiting for your answer."));
		const count = alerts.own.length + alerts.team.length + alerts.to_answer.length;
		return this.card(__("Help Alerts"), count, body);
	}

	// --- a superior's pending decisions (K5) ------------------------------------------------

	decisions_card(rows) {
		// confiscated opportunities to keep, return or reassign and lost requests to approve or
		// reject, the longest waiting first; hidden for those who have nothing to decide
		if (!rows.length) return "";
		const kinds = {
			Confiscated: [__("Confiscated"), "red"],
			"Lost Request": [__("Lost Request"), "orange"],
		};
		const body = rows
			.map((row) => {
				const [label, color] = kinds[row.kind] || [row.kind, "gray"];
				const detail =
					row.kind === "Lost Request"
						? sales_process.esc(row.lost_reason || "")
						: sales_process.esc(__("Keep it, return it or reassign it"));
				return `<div class="sp-wb-row sp-wb-decision" data-opportunity="${sales_process.esc(
					row.name
				)}">
					<div class="sp-wb-row-main">${this.badge(label, color)}
						${this.link("Sales Opportunity", row.name)}
						<span class="text-muted">· ${this.link("Customer", row.customer, row.customer_name)}</span>
					</div>
					<div class="sp-wb-row-meta">
						${this.badge(__("Waiting {0} h", [row.age_hours]), row.age_hours > 24 ? "red" : "gray")}
						${row.escalated ? this.badge(__("Escalated to you"), "purple") : ""}
						${this.badge(__(row.stage || ""), "blue", __("Stage"))}
						<span class="text-muted">${sales_process.esc(__("From {0}", [row.from_sales_person]))}</span>
						<span class="text-muted">${this.money(row.amount, row.currency)}</span>
					</div>
					<div class="sp-wb-row-detail text-muted">${detail}</div>
				</div>`;
			})
			.join("");
		return this.card(__("Pending Decisions"), rows.length, body);
	}

	// --- leads (G5) ------------------------------------------------------------------------

	lead_title(row) {
		const title = row.company_name || row.lead_name || row.name;
		const person = row.company_name && row.lead_name ? ` · ${sales_process.esc(row.lead_name)}` : "";
		return `${this.link("Sales Lead", row.name, title)}<span class="text-muted">${person}</span>`;
	}

	lead_meta(row) {
		const statuses = { New: "blue", Contacted: "orange", Qualified: "purple" };
		return [
			this.badge(__(row.status, null, "Sales Lead"), statuses[row.status] || "gray", __("Status")),
			this.badge(__("Score {0}", [row.score || 0]), "gray", __("Score", null, "Sales Lead")),
			row.source ? `<span class="text-muted">${sales_process.esc(__(row.source))}</span>` : "",
		].join("");
	}

	follow_up_card(leads) {
		// the held leads the stale-lead job returns to the pool first are at the top
		const rows = leads.follow_up;
		const body = rows.length
			? rows
					.map((row) => {
						const due = row.hours_left === null ? "" : this.return_badge(row.hours_left);
						const contact = row.last_contact_at
							? __("Last contact {0}", [frappe.datetime.prettyDate(row.last_contact_at)])
							: __("No contact yet");
						return `<div class="sp-wb-row sp-wb-lead" data-lead="${sales_process.esc(row.name)}">
							<div class="sp-wb-row-main">${this.lead_title(row)}</div>
							<div class="sp-wb-row-meta">${due}${this.lead_meta(row)}</div>
							<div class="sp-wb-row-detail text-muted">${sales_process.esc(contact)}</div>
						</div>`;
					})
					.join("")
			: this.empty(__("You hold no open leads."));
		const held = leads.hold_limit
			? `<div class="text-muted sp-wb-none">${sales_process.esc(
					__("Holding {0} of at most {1} leads", [leads.held, leads.hold_limit])
			  )}</div>`
			: "";
		return this.card(__("My Leads to Follow Up"), rows.length, held + body);
	}

	return_badge(hours) {
		let color = "gray";
		if (hours < 0) color = "red";
		else if (hours <= SalesWorkbench.DUE_SOON_HOURS) color = "orange";
		const text = sales_process.relative_due(Math.round(hours * 60));
		return this.badge(text, color, __("Without contact the lead returns to the pool"));
	}

	lead_pool_card(leads) {
		const rows = leads.pool;
		const body = rows.length
			? rows
					.map((row) => {
						const claim = leads.can_claim
							? `<button class="btn btn-xs btn-primary sp-wb-claim" data-lead="${sales_process.esc(
									row.name
							  )}">${sales_process.esc(__("Claim", null, "Sales Lead"))}</button>`
							: "";
						const where = [row.territory, row.pool].filter(Boolean).map((v) => __(v));
						return `<div class="sp-wb-row sp-wb-pool-lead" data-lead="${sales_process.esc(row.name)}">
							<div class="sp-wb-row-main">${this.lead_title(row)} ${claim}</div>
							<div class="sp-wb-row-meta">${this.lead_meta(row)}
								<span class="text-muted">${sales_process.esc(where.join(" · "))}</span></div>
						</div>`;
					})
					.join("")
			: this.empty(__("No leads waiting in your pools."));
		return this.card(__("Lead Pool"), leads.pool_count, body);
	}

	claim_lead(name) {
		frappe.call({
			method: SalesWorkbench.CLAIM_LEAD,
			type: "POST",
			args: { name: name },
			freeze: true,
			callback: (r) => {
				if (r.exc) return;
				frappe.show_alert({ message: __("Lead {0} is yours now", [name]), indicator: "green" });
				this.refresh();
			},
			error: () => this.refresh(), // someone else was faster: show the pool as it is now
		});
	}

	// --- actions ----------------------------------------------------------------------------

	bind_events() {
		this.$body.on("click", ".sp-wb-claim", (e) => {
			e.preventDefault();
			this.claim_lead($(e.currentTarget).attr("data-lead"));
		});
		this.$body.on("click", ".sp-wb-respond", (e) => {
			e.preventDefault();
			this.respond($(e.currentTarget).attr("data-alert"));
		});
		this.$body.on("click", ".sp-wb-care-done", (e) => {
			e.preventDefault();
			// the assignee may close their own ToDo; Frappe checks that on the server
			frappe
				.xcall("frappe.client.set_value", {
					doctype: "ToDo",
					name: $(e.currentTarget).attr("data-todo"),
					fieldname: "status",
					value: "Closed",
				})
				.then(() => this.refresh());
		});
	}

	respond(alert) {
		const dialog = new frappe.ui.Dialog({
			title: __("Respond to {0}", [alert]),
			fields: [
				{ fieldname: "analysis", fieldtype: "Small Text", label: __("Analysis"), reqd: 1 },
				{ fieldname: "countermeasure", fieldtype: "Small Text", label: __("Countermeasure") },
			],
			primary_action_label: __("Respond"),
			primary_action: (values) => {
				frappe.call({
					method: SalesWorkbench.RESPOND,
					type: "POST",
					args: { alert: alert, analysis: values.analysis, countermeasure: values.countermeasure },
					freeze: true,
					callback: (r) => {
						if (r.exc) return;
						dialog.hide();
						frappe.show_alert({ message: __("Response sent"), indicator: "green" });
						this.refresh();
					},
				});
			},
		});
		dialog.show();
	}

	new_daily_log() {
		frappe.db
			.get_list("Sales Activity Type", {
				fields: ["name", "activity_name", "score"],
				order_by: "name asc",
				limit: 100,
			})
			.then((types) => this.daily_log_dialog(types));
	}

	daily_log_dialog(types) {
		const dialog = new frappe.ui.Dialog({
			title: __("New Daily Log"),
			fields: [
				{ fieldtype: "Section Break", label: __("1. Customer") },
				{
					fieldname: "customer",
					fieldtype: "Link",
					options: "Customer",
					label: __("Customer"),
					reqd: 1,
				},
				{
					fieldname: "opportunity",
					fieldtype: "Link",
					options: "Sales Opportunity",
					label: __("Opportunity", null, "Sales Daily Log"),
					get_query: () => {
						const customer = dialog.get_value("customer");
						const filters = { status: "Open" };
						if (customer) filters.customer = customer;
						return { filters: filters };
					},
				},
				{ fieldtype: "Section Break", label: __("2. Activities") },
				{
					fieldname: "activities",
					fieldtype: "MultiCheck",
					label: __("Activities", null, "Sales Daily Log"),
					columns: 2,
					reqd: 1,
					options: types.map((t) => ({
						label: __(t.activity_name || t.name),
						value: t.name,
					})),
				},
				{ fieldtype: "Section Break", label: __("3. Time and Cost") },
				{ fieldname: "minutes", fieldtype: "Int", label: __("Minutes"), reqd: 1 },
				{ fieldname: "cost", fieldtype: "Currency", label: __("Cost", null, "Sales Daily Log"), default: 0 },
				{ fieldname: "note", fieldtype: "Small Text", label: __("Note") },
			],
			primary_action_label: __("Save", null, "Sales Workbench"),
			primary_action: (values) => {
				const activities = values.activities || [];
				if (!activities.length) {
					frappe.msgprint(__("Tick at least one activity."));
					return;
				}
				frappe.call({
					method: SalesWorkbench.ADD_LOG,
					type: "POST",
					args: {
						customer: values.customer,
						activities: JSON.stringify(activities),
						minutes: values.minutes,
						cost: values.cost || 0,
						note: values.note,
						opportunity: values.opportunity,
					},
					freeze: true,
					callback: (r) => {
						if (r.exc) return;
						dialog.hide();
						frappe.show_alert({
							message: __("Daily log {0} saved", [sales_process.esc(r.message)]),
							indicator: "green",
						});
						this.refresh();
					},
				});
			},
		});
		dialog.show();
	}

	add_style() {
		frappe.dom.set_style(
			`
			.sp-wb.sp-wb-loading { opacity: 0.6; }
			.sp-wb-grid {
				display: grid;
				grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
				gap: var(--margin-md);
				padding-bottom: var(--padding-lg);
			}
			.sp-wb-card { padding: var(--padding-md); }
			.sp-wb-card.sp-wb-wide { grid-column: 1 / -1; }
			.sp-wb-card-head {
				display: flex; justify-content: space-between; align-items: center;
				margin-bottom: var(--margin-sm);
			}
			.sp-wb-card-title { font-weight: var(--weight-semibold); }
			.sp-wb-count {
				background: var(--bg-color); border-radius: var(--border-radius-full); padding: 0 8px;
			}
			.sp-wb-figures { display: flex; justify-content: space-around; text-align: center; }
			.sp-wb-figure { font-size: var(--text-2xl); font-weight: var(--weight-semibold); }
			.sp-wb-row { padding: 6px 0; border-bottom: 1px solid var(--border-color); }
			.sp-wb-row:last-child { border-bottom: none; }
			.sp-wb-row-meta { display: flex; flex-wrap: wrap; gap: 6px; align-items: center;
				font-size: var(--text-sm); margin-top: 2px; }
			.sp-wb-row-detail { font-size: var(--text-sm); white-space: pre-wrap; }
			.sp-wb-respond, .sp-wb-claim { float: right; }
			.sp-wb-section-title { font-size: var(--text-sm); font-weight: var(--weight-semibold);
				margin-top: var(--margin-sm); }
			.sp-wb-none, .sp-wb-empty { font-size: var(--text-sm); padding: var(--padding-sm) 0; }
			.sp-wb-notice { margin-bottom: var(--margin-sm); }
			`,
			SalesWorkbench.STYLE_ID
		);
	}
};
