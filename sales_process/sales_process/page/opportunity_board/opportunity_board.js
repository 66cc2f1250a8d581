// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// Opportunity Board: open Sales Opportunities as a kanban by stage. The board only reads
// (opportunity_board.get_board); a card dropped on the next stage goes through
// sales_process.api.opportunity.advance_stage with the current stage's exit criteria as
// evidence, exactly like the form's "Advance to" button. Stage fields are never written directly.

frappe.provide("sales_process.opportunity_board");

frappe.pages["opportunity-board"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Opportunity Board"),
		single_column: true,
	});
	wrapper.opportunity_board = new sales_process.opportunity_board.Board(wrapper, page);
};

frappe.pages["opportunity-board"].on_page_show = function (wrapper) {
	// also on coming back from a form, where the opportunity may have moved
	if (wrapper.opportunity_board) wrapper.opportunity_board.refresh();
};

sales_process.opportunity_board.Board = class OpportunityBoard {
	static BOARD_METHOD =
		"sales_process.sales_process.page.opportunity_board.opportunity_board.get_board";
	static API = "sales_process.api.opportunity.";
	static DUE_SOON_MINUTES = 2 * 24 * 60;
	static STYLE_ID = "sales-process-opportunity-board-style";

	constructor(wrapper, page) {
		this.wrapper = wrapper;
		this.page = page;
		this.data = null;
		this.cards_by_name = {};
		this.dragging = null; // {name, stage} of the card being dragged
		this.token = 0; // only the answer to the latest refresh may draw the board

		this.add_style();
		this.make_filters();
		this.page.set_secondary_action(__("Refresh"), () => this.refresh(), "refresh");

		this.$notice = $('<div class="sp-board-notice text-muted"></div>')
			.hide()
			.appendTo(this.page.main);
		this.$board = $('<div class="kanban sp-board"></div>').appendTo(this.page.main);
		this.$board.html(
			`<div class="kanban-empty-state text-muted text-center">${__("Loading...")}</div>`
		);
		this.bind_events();
	}

	// --- helpers ----------------------------------------------------------------------------

	money(value, currency) {
		return sales_process.esc(format_currency(value || 0, currency || this.currency));
	}

	stage_index(stage) {
		return (this.data ? this.data.stages : []).findIndex((s) => s.name === stage);
	}

	// --- filters ----------------------------------------------------------------------------

	make_filters() {
		const refresh = frappe.utils.debounce(() => this.refresh(), 300);
		this.filters = {
			sales_person: this.page.add_field({
				fieldname: "sales_person",
				fieldtype: "Link",
				options: "Sales Person",
				label: __("Sales Person"),
				get_query: () => ({ filters: { enabled: 1 } }),
				change: refresh,
			}),
			territory: this.page.add_field({
				fieldname: "territory",
				fieldtype: "Link",
				options: "Territory",
				label: __("Territory"),
				change: refresh,
			}),
			customer_group: this.page.add_field({
				fieldname: "customer_group",
				fieldtype: "Link",
				options: "Customer Group",
				label: __("Customer Group"),
				change: refresh,
			}),
		};
	}

	filter_values() {
		const args = {};
		for (const [key, field] of Object.entries(this.filters)) {
			const value = field.get_value();
			if (value) args[key] = value;
		}
		return args;
	}

	// --- loading and drawing ----------------------------------------------------------------

	refresh() {
		const token = ++this.token;
		this.$board.addClass("sp-board-loading");
		return frappe.call({
			method: OpportunityBoard.BOARD_METHOD,
			type: "GET",
			args: this.filter_values(),
			callback: (r) => {
				if (token !== this.token || !r.message) return;
				this.render(r.message);
			},
			always: () => {
				if (token === this.token) this.$board.removeClass("sp-board-loading");
			},
		});
	}

	render(data) {
		this.data = data;
		this.cards_by_name = {};
		const currencies = new Set();
		for (const stage of data.stages) {
			for (const card of data.cards[stage.name] || []) {
				this.cards_by_name[card.name] = Object.assign({ stage: stage.name }, card);
				if (card.currency) currencies.add(card.currency);
			}
		}
		this.currency = currencies.size
			? [...currencies][0]
			: frappe.defaults.get_default("currency");

		if (currencies.size > 1) {
			this.$notice
				.html(
					__(
						"Column totals add amounts in different currencies ({0}) without conversion.",
						[sales_process.esc([...currencies].join(", "))]
					)
				)
				.show();
		} else {
			this.$notice.empty().hide();
		}

		this.$board.html(data.stages.map((stage) => this.column_html(stage)).join(""));
	}

	column_html(stage) {
		const cards = this.data.cards[stage.name] || [];
		const totals = this.data.totals[stage.name] || { count: 0, amount: 0, weighted: 0 };
		const color = stage.is_won ? "green" : "blue";
		const label = sales_process.stage_label(stage.name);

		let details = __("Probability {0}%", [sales_process.esc(stage.probability)]);
		if (stage.time_limit_days) {
			details +=
				" · " + __("Time limit {0} days", [sales_process.esc(stage.time_limit_days)]);
		}

		let body = cards.map((card) => this.card_html(card)).join("");
		if (!cards.length) {
			body = `<div class="sp-board-empty text-muted">${__("No opportunities")}</div>`;
		}
		if (totals.count > cards.length) {
			body += `<div class="sp-board-more text-muted">
				${__("Showing the {0} most urgent of {1} opportunities.", [
					sales_process.esc(cards.length),
					sales_process.esc(totals.count),
				])}
			</div>`;
		}

		return `<div class="kanban-column sp-board-column" data-stage="${sales_process.esc(stage.name)}">
			<div class="kanban-column-header">
				<span class="kanban-column-title">
					<span class="indicator-pill ${color}"></span>
					<span class="kanban-title ellipsis" title="${label}">${label}</span>
				</span>
				<span class="sp-board-count" title="${sales_process.esc(__("Opportunities", null, "Opportunity Board"))}">
					${sales_process.esc(totals.count)}
				</span>
			</div>
			<div class="sp-board-totals">
				<div>${__("Total {0}", [this.money(totals.amount)])}</div>
				<div>${__("Weighted {0}", [this.money(totals.weighted)])}</div>
				<div class="text-muted">${details}</div>
			</div>
			<div class="kanban-cards">${body}</div>
		</div>`;
	}

	card_html(card) {
		const customer = sales_process.esc(card.customer_name || card.name);
		const weighted = ((card.amount || 0) * (card.probability || 0)) / 100;
		const badges = [this.due_badge(card)];
		if (card.lost_requested) {
			badges.push(
				this.badge(
					__("Lost Requested"),
					"orange",
					__("Waiting for approval to close as lost")
				)
			);
		}
		if (card.previous_sales_person) {
			badges.push(
				this.badge(
					__("Confiscated"),
					"purple",
					__("Confiscated from {0}", [card.previous_sales_person])
				)
			);
		}

		return `<div class="kanban-card-wrapper sp-board-card" draggable="true" tabindex="0"
				data-name="${sales_process.esc(card.name)}">
			<div class="kanban-card content">
				<div class="kanban-card-body">
					<div class="kanban-title-area">
						<div class="kanban-card-title ellipsis" title="${customer}">${customer}</div>
						<div class="sp-board-name text-muted">${sales_process.esc(card.name)}</div>
					</div>
					<div class="sp-board-amount" title="${sales_process.esc(
						__("Weighted {0}", [
							format_currency(weighted, card.currency || this.currency),
						])
					)}">${this.money(card.amount, card.currency)}</div>
					<div class="sp-board-owner text-muted ellipsis" title="${sales_process.esc(
						__("Owner", null, "Opportunity Board")
					)}">
						${sales_process.esc(card.sales_person)}
					</div>
					<div class="sp-board-badges">${badges.join("")}</div>
				</div>
			</div>
		</div>`;
	}

	badge(label, color, title) {
		// label: translated text without data; title: plain text, escaped here
		return `<span class="indicator-pill no-indicator-dot ${color}" title="${sales_process.esc(
			title || ""
		)}">${sales_process.esc(label)}</span>`;
	}

	due_badge(card) {
		if (!card.stage_due_at) {
			return this.badge(__("No time limit"), "gray");
		}
		// stage_due_at is stored in the system time zone: compare with "now" there
		const minutes = moment(card.stage_due_at).diff(
			moment(frappe.datetime.system_datetime()),
			"minutes"
		);
		let color = "gray";
		if (minutes < 0) color = "red";
		else if (minutes <= OpportunityBoard.DUE_SOON_MINUTES) color = "orange";
		const due_text = frappe.format(card.stage_due_at, { fieldtype: "Datetime" });
		return this.badge(sales_process.relative_due(minutes), color, __("Stage due at {0}", [due_text]));
	}


	add_style() {
		frappe.dom.set_style(
			`
			.sp-board { padding-bottom: var(--padding-md); overflow-x: auto; }
			.sp-board.sp-board-loading { opacity: 0.6; }
			.sp-board .kanban-column.sp-board-column {
				background-color: var(--kanban-column-bg);
				min-width: 240px;
				border: 2px solid transparent;
			}
			.sp-board .kanban-column-header { align-items: center; margin-bottom: 6px; }
			.sp-board .kanban-column .kanban-column-title .kanban-title { cursor: default; }
			.sp-board .sp-board-count {
				font-weight: var(--weight-semibold);
				background: var(--bg-color);
				border-radius: var(--border-radius-full);
				padding: 0 8px;
			}
			.sp-board .sp-board-totals {
				font-size: var(--text-sm);
				margin-bottom: var(--margin-sm);
				line-height: 1.6;
			}
			.sp-board .sp-board-card { cursor: grab; outline: none; }
			.sp-board .sp-board-card:focus-visible .kanban-card { box-shadow: var(--focus-default); }
			.sp-board .sp-board-card.sp-board-dragged { opacity: 0.4; }
			.sp-board .kanban-cards .kanban-card-wrapper .kanban-card { min-height: 0; }
			.sp-board .kanban-title-area { margin-bottom: 6px !important; max-width: 100% !important; }
			.sp-board .sp-board-name, .sp-board .sp-board-owner { font-size: var(--text-sm); }
			.sp-board .sp-board-amount { font-weight: var(--weight-semibold); }
			.sp-board .sp-board-badges { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
			.sp-board .sp-board-empty, .sp-board .sp-board-more {
				font-size: var(--text-sm);
				text-align: center;
				padding: var(--padding-md) 0;
			}
			.sp-board.sp-board-dragging .sp-board-column.sp-board-target {
				border: 2px dashed var(--blue-500);
			}
			.sp-board.sp-board-dragging .sp-board-column.sp-board-target.sp-board-over {
				background-color: var(--blue-50);
			}
			.sp-board.sp-board-dragging .sp-board-column.sp-board-over:not(.sp-board-target) {
				border: 2px dashed var(--gray-400);
			}
			.sp-board-notice { font-size: var(--text-sm); margin: 0 0 var(--margin-sm); }
			`,
			OpportunityBoard.STYLE_ID
		);
	}

	// --- events -----------------------------------------------------------------------------

	bind_events() {
		this.$board.on("click", ".sp-board-card", (e) => {
			this.open_card($(e.currentTarget).attr("data-name"), e.ctrlKey || e.metaKey);
		});
		this.$board.on("keydown", ".sp-board-card", (e) => {
			if (e.key === "Enter") this.open_card($(e.currentTarget).attr("data-name"));
		});

		this.$board.on("dragstart", ".sp-board-card", (e) => {
			const name = $(e.currentTarget).attr("data-name");
			const card = this.cards_by_name[name];
			if (!card) return;
			this.dragging = { name: name, stage: card.stage };
			const transfer = e.originalEvent.dataTransfer;
			transfer.effectAllowed = "move";
			transfer.setData("text/plain", name); // Firefox starts no drag without data

			$(e.currentTarget).addClass("sp-board-dragged");
			this.$board.addClass("sp-board-dragging");
			const next = this.data.stages[this.stage_index(card.stage) + 1];
			if (next) this.column(next.name).addClass("sp-board-target");
		});
		this.$board.on("dragend", ".sp-board-card", () => this.end_drag());

		this.$board.on("dragover", ".sp-board-column", (e) => {
			if (!this.dragging) return; // something dragged in from elsewhere
			e.preventDefault();
			e.originalEvent.dataTransfer.dropEffect = "move";
			const $column = $(e.currentTarget);
			if (!$column.hasClass("sp-board-over")) {
				this.$board.find(".sp-board-over").removeClass("sp-board-over");
				$column.addClass("sp-board-over");
			}
		});

		this.$board.on("drop", ".sp-board-column", (e) => {
			if (!this.dragging) return;
			e.preventDefault();
			const drag = this.dragging;
			this.end_drag();
			this.on_drop(drag.name, drag.stage, $(e.currentTarget).attr("data-stage"));
		});
	}

	column(stage) {
		return this.$board
			.find(".sp-board-column")
			.filter((_, el) => $(el).attr("data-stage") === stage);
	}

	end_drag() {
		this.dragging = null;
		this.$board.removeClass("sp-board-dragging");
		this.$board.find(".sp-board-target").removeClass("sp-board-target");
		this.$board.find(".sp-board-over").removeClass("sp-board-over");
		this.$board.find(".sp-board-dragged").removeClass("sp-board-dragged");
	}

	open_card(name, new_tab) {
		if (!name) return;
		if (new_tab) {
			window.open(frappe.utils.get_form_link("Sales Opportunity", name));
		} else {
			frappe.set_route("Form", "Sales Opportunity", name);
		}
	}

	// --- moving a card ----------------------------------------------------------------------

	on_drop(name, from_stage, to_stage) {
		if (!to_stage || to_stage === from_stage) return;
		const card = this.cards_by_name[name];
		const from = this.stage_index(from_stage);
		const to = this.stage_index(to_stage);
		if (!card || from < 0 || to < 0) return;

		if (to < from) {
			frappe.show_alert({
				message: __(
					"Stages move forward one at a time on the board. Moving an opportunity back is done by a manager from its form."
				),
				indicator: "orange",
			});
			return;
		}
		if (to !== from + 1) {
			frappe.show_alert({
				message: __(
					"Stages move one at a time: from {0} the next stage is {1}. Moving back is done by a manager from the opportunity's form.",
					[
						sales_process.stage_label(from_stage),
						sales_process.stage_label(this.data.stages[from + 1].name),
					]
				),
				indicator: "orange",
			});
			return;
		}
		if (card.lost_requested) {
			frappe.show_alert({
				message: __(
					"A request to close {0} as lost is waiting for approval; it cannot move until that is decided.",
					[sales_process.esc(card.name)]
				),
				indicator: "orange",
			});
			return;
		}
		this.advance(card, to_stage);
	}

	advance(card, target) {
		frappe.call({
			method: OpportunityBoard.API + "get_stage_path",
			type: "GET",
			args: { name: card.name },
			freeze: true,
			callback: (r) => {
				const data = r.message;
				if (!data) return;
				if (!data.next_stage || data.next_stage !== target) {
					// someone moved or closed it since the board was drawn
					frappe.show_alert({
						message: __(
							"{0} is no longer where the board showed it; the board has been refreshed.",
							[sales_process.esc(card.name)]
						),
						indicator: "orange",
					});
					this.refresh();
					return;
				}
				if (!(data.can || {}).advance) {
					frappe.show_alert({
						message: __("You are not allowed to advance {0}.", [
							sales_process.esc(card.name),
						]),
						indicator: "red",
					});
					return;
				}
				this.advance_dialog(card, target, data.criteria || []);
			},
		});
	}

	advance_dialog(card, target, criteria) {
		const customer = sales_process.esc(card.customer_name || card.name);
		const success = __("Moved to {0}", [sales_process.stage_label(target)]);
		const run = (evidence, dialog) =>
			frappe.call({
				method: OpportunityBoard.API + "advance_stage",
				type: "POST",
				args: { name: card.name, to_stage: target, evidence: JSON.stringify(evidence) },
				freeze: true,
				freeze_message: __("Advancing..."),
				callback: (r) => {
					if (r.exc) return;
					if (dialog) dialog.hide();
					frappe.show_alert({ message: success, indicator: "green" });
					this.refresh();
				},
			});

		sales_process.advance_dialog({
			target: target,
			criteria: criteria,
			confirm_message: __("Advance {0} ({1}) to {2}?", [
				sales_process.esc(card.name),
				customer,
				sales_process.stage_label(target),
			]),
			intro: __("Answer the exit criteria of {0} to move {1} ({2}) to {3}.", [
				sales_process.stage_label(card.stage),
				sales_process.esc(card.name),
				customer,
				sales_process.stage_label(target),
			]),
			submit: run,
		});
	}
};
