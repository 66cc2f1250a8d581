// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

// Customer Referrals (C3): who referred whom, drawn as trees. A node's circle grows
// with the won amount of its whole network (itself plus everyone it brought in); the table below
// ranks the referrers. Data and scope come from sales_process.api.referrals.get_referral_graph.

frappe.provide("sales_process.customer_referrals");

frappe.pages["customer-referrals"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Customer Referrals"),
		single_column: true,
	});
	wrapper.customer_referrals = new sales_process.customer_referrals.Graph(wrapper, page);
};

frappe.pages["customer-referrals"].on_page_show = function (wrapper) {
	if (wrapper.customer_referrals) wrapper.customer_referrals.refresh();
};

sales_process.customer_referrals.Graph = class CustomerReferrals {
	static METHOD = "sales_process.api.referrals.get_referral_graph";
	static X_GAP = 150;
	static Y_GAP = 90;
	static MARGIN = 40;

	constructor(wrapper, page) {
		this.page = page;
		this.customer = page.add_field({
			fieldname: "customer",
			label: __("Customer"),
			fieldtype: "Link",
			options: "Customer",
			change: () => this.refresh(),
		});
		this.page.set_secondary_action(__("Refresh"), () => this.refresh(), "refresh");
		this.$body = $('<div class="sp-referrals"></div>').appendTo(this.page.main);
		this.add_style();
	}

	refresh() {
		this.$body.html(`<div class="text-muted text-center p-4">${__("Loading...")}</div>`);
		frappe
			.xcall(CustomerReferrals.METHOD, { customer: this.customer.get_value() || null })
			.then((data) => this.render(data));
	}

	render(data) {
		this.currency = data.currency;
		if (!data.nodes.length) {
			this.$body.html(
				`<div class="text-muted text-center p-4">${sales_process.esc(
					__("No referrals yet. Set Referred By on a customer to start the graph.")
				)}</div>`
			);
			return;
		}
		const note = data.truncated
			? `<div class="text-muted small mb-2">${sales_process.esc(
					__("Showing the most valuable networks only; pick a customer to see its own.")
			  )}</div>`
			: "";
		this.$body.html(`${note}<div class="sp-referrals-svg frappe-card"></div>
			<div class="sp-referrals-table frappe-card"></div>`);
		this.$body.find(".sp-referrals-svg").html(this.svg(data.nodes));
		this.$body.find(".sp-referrals-table").html(this.table(data.nodes));
		this.$body.find("[data-customer]").on("click", (e) => {
			frappe.set_route("Form", "Customer", $(e.currentTarget).attr("data-customer"));
		});
	}

	layout(nodes) {
		// a tidy tree: leaves take consecutive columns, a parent sits over its children
		const by_name = {};
		nodes.forEach((n) => (by_name[n.name] = { ...n, children: [] }));
		const roots = [];
		nodes.forEach((n) => {
			if (n.referred_by && by_name[n.referred_by]) by_name[n.referred_by].children.push(by_name[n.name]);
			else roots.push(by_name[n.name]);
		});
		let column = 0;
		const place = (node) => {
			if (!node.children.length) node.x = column++;
			else {
				node.children.forEach(place);
				node.x = (node.children[0].x + node.children[node.children.length - 1].x) / 2;
			}
		};
		roots.forEach((root) => {
			place(root);
			column += 0.5; // a gap between trees
		});
		return { nodes: Object.values(by_name), columns: Math.max(column, 1) };
	}

	svg(rows) {
		const { nodes, columns } = this.layout(rows);
		const C = CustomerReferrals;
		const depth = Math.max(...nodes.map((n) => n.depth)) + 1;
		const width = C.MARGIN * 2 + columns * C.X_GAP;
		const height = C.MARGIN * 2 + depth * C.Y_GAP;
		const max = Math.max(...nodes.map((n) => n.network_won_amount), 1);
		const pos = (n) => [C.MARGIN + n.x * C.X_GAP + C.X_GAP / 2, C.MARGIN + n.depth * C.Y_GAP + 20];
		const radius = (n) => 8 + 22 * Math.sqrt(n.network_won_amount / max);
		const edges = nodes
			.filter((n) => n.children.length)
			.flatMap((n) =>
				n.children.map((child) => {
					const [x1, y1] = pos(n);
					const [x2, y2] = pos(child);
					return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" class="sp-ref-edge"/>`;
				})
			)
			.join("");
		const dots = nodes
			.map((n) => {
				const [x, y] = pos(n);
				const title = __("{0}: won {1} itself, {2} with its referrals ({3} customers)", [
					n.customer_name,
					format_currency(n.won_amount, this.currency),
					format_currency(n.network_won_amount, this.currency),
					n.network_size,
				]);
				const label = n.customer_name.length > 18 ? n.customer_name.slice(0, 17) + "…" : n.customer_name;
				return `<g class="sp-ref-node ${n.won_amount ? "won" : ""}" data-customer="${sales_process.esc(n.name)}">
					<title>${sales_process.esc(title)}</title>
					<circle cx="${x}" cy="${y}" r="${radius(n)}"/>
					<text x="${x}" y="${y + radius(n) + 14}" text-anchor="middle">${sales_process.esc(label)}</text>
				</g>`;
			})
			.join("");
		return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"
			viewBox="0 0 ${width} ${height}" role="img" aria-label="${sales_process.esc(__("Customer Referrals"))}">
			${edges}${dots}</svg>`;
	}

	table(nodes) {
		const referrers = nodes
			.filter((n) => n.referred_count)
			.sort((a, b) => b.network_won_amount - a.network_won_amount || b.referred_count - a.referred_count);
		const money = (v) => sales_process.esc(format_currency(v, this.currency));
		const rows = referrers
			.map(
				(n) => `<tr>
				<td><a data-customer="${sales_process.esc(n.name)}">${sales_process.esc(n.customer_name)}</a></td>
				<td class="text-right">${sales_process.esc(n.referred_count)}</td>
				<td class="text-right">${sales_process.esc(n.network_size - 1)}</td>
				<td class="text-right">${money(n.won_amount)}</td>
				<td class="text-right">${money(n.network_won_amount - n.won_amount)}</td>
			</tr>`
			)
			.join("");
		return `<table class="table table-sm">
			<thead><tr>
				<th>${sales_process.esc(__("Referrer"))}</th>
				<th class="text-right">${sales_process.esc(__("Referred Directly"))}</th>
				<th class="text-right">${sales_process.esc(__("Network Size"))}</th>
				<th class="text-right">${sales_process.esc(__("Won Itself"))}</th>
				<th class="text-right">${sales_process.esc(__("Won Through Referrals"))}</th>
			</tr></thead>
			<tbody>${rows}</tbody></table>`;
	}

	add_style() {
		if (document.getElementById("sales-process-referrals-style")) return;
		$(`<style id="sales-process-referrals-style">
			.sp-referrals-svg { overflow-x: auto; padding: var(--padding-md); margin-bottom: var(--margin-md); }
			.sp-referrals-table { padding: var(--padding-md); }
			.sp-ref-edge { stroke: var(--gray-400); stroke-width: 1.5; }
			.sp-ref-node { cursor: pointer; }
			.sp-ref-node circle { fill: var(--gray-300); stroke: var(--gray-600); stroke-width: 1; }
			.sp-ref-node.won circle { fill: var(--green-300); stroke: var(--green-600); }
			.sp-ref-node text { font-size: 11px; fill: var(--text-color); }
		</style>`).appendTo("head");
	}
};
