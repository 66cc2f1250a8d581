"""Migration from ERPNext CRM (M1, M2): Lead → Sales Lead, Opportunity → Sales Opportunity.

Set-based: sources are read in batches ordered by name, every batch is written with multi-row
INSERTs (targets, their `Import` log rows, copies of comments/ToDos/files, timeline links of
communications, the map rows) and one UPDATE of the linked Quotations, then committed together.
The map (CRM Migration Map) makes it idempotent and resumable: a source mapped as Migrated is
never read again, so a run killed mid-batch loses that uncommitted batch only and the next run
does it again. A source that cannot be migrated is mapped as Skipped with its reason and tried
again on the next run (the administrator may have fixed it meanwhile). ERPNext's Lead,
Opportunity and Prospect rows are only read; comments, ToDos and files are copied, not moved.

The controllers are bypassed on purpose (they admit only new opportunities in the first stage);
what they check is checked here: the stage exists, the owner is an enabled Sales Person, the
amount is a finite number, the customer exists, and an open opportunity does not claim a company
someone else holds (O2) — a clash is a skipped row naming the holder.
"""

import json
import math
from collections import Counter

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.utils import cint, flt, get_datetime, getdate, now_datetime

from sales_process.domain import hierarchy, lead, lost_reasons, normalize, stage_history
from sales_process.domain.bulk import insert_autoincrement, insert_rows, series_names
from sales_process.domain.opportunity import enter_stage
from sales_process.domain.stages import stored_stages

MAP = "CRM Migration Map"
RUN = "CRM Migration Run"
SETTINGS = "CRM Migration Settings"
LEAD, OPPORTUNITY = "Lead", "Opportunity"
TARGET = {LEAD: "Sales Lead", OPPORTUNITY: "Sales Opportunity"}
BATCH_SIZE = 1000
PLAN_SKIPS = 1000  # skipped rows listed in a plan (all are counted)
LOCK = "sales_process_crm_migration"  # + the site's database: GET_LOCK names are server-wide
REALTIME_EVENT = "sales_process_migration"

OPEN_STATUSES = ("Open", "Replied", "Quotation")
WON_STATUSES = ("Converted",)
LOST_STATUSES = ("Lost", "Closed")
LEAD_STATUS = {
	"Lead": "New",
	"Open": "New",
	"Replied": "Contacted",
	"Interested": "Contacted",
	"Opportunity": "Contacted",
	"Quotation": "Contacted",
	"Converted": "Converted",
	"Lost Quotation": "Disqualified",
	"Do Not Contact": "Disqualified",
}
CUSTOMER_KEYS = tuple(normalize.CUSTOMER_COLUMNS.values())
# the source columns the mapping reads (a source row has ~100; reading them all costs more than the
# rest of a batch)
SOURCE_FIELDS = {
	LEAD: [
		"name", "creation", "owner", "status", "company_name", "lead_name", "mobile_no", "phone",
		"email_id", "customer", "lead_owner", "territory", "source", "industry",
	],
	OPPORTUNITY: [
		"name", "creation", "modified", "owner", "status", "sales_stage", "probability",
		"opportunity_owner", "_assign", "opportunity_from", "party_name", "opportunity_amount", "total",
		"order_lost_reason", "contact_person", "company", "currency", "expected_closing",
		"transaction_date", "territory", "customer_group",
	],
}  # fmt: skip


class MigrationBusy(frappe.ValidationError):
	http_status_code = 409


# --- stages ---------------------------------------------------------------------------------------


def _english() -> dict[str, str]:
	from frappe.translate import get_all_translations

	return get_all_translations("en") or {}


def default_stage_mapping() -> dict[str, str]:
	"""ERPNext Sales Stage → Sales Process Stage by name (the stored Chinese name or its English
	translation, case-insensitive). Sales stages without a match map per opportunity by probability."""
	english = _english()
	by_name = {}
	for s in stored_stages():
		if s.is_terminal:
			continue
		by_name.setdefault(s.name.casefold(), s.name)
		if english.get(s.name):
			by_name.setdefault(english[s.name].casefold(), s.name)
	mapping = {}
	for sales_stage in frappe.get_all("Sales Stage", pluck="name", order_by="name"):
		if match := by_name.get(sales_stage.casefold()):
			mapping[sales_stage] = match
	return mapping


def stage_mapping() -> dict[str, str]:
	"""The defaults overridden by the rows of CRM Migration Settings."""
	mapping = default_stage_mapping()
	open_stages = {s.name for s in stored_stages() if not s.is_terminal}
	for row in frappe.get_single(SETTINGS).stage_mapping:
		if row.stage in open_stages:
			mapping[row.sales_stage] = row.stage
	return mapping


# --- the run's context ------------------------------------------------------------------------------


class Context:
	"""What every batch needs: stages, owners, the claims seen so far (O2, G3) and the results."""

	def __init__(self, dry_run: bool, run: str | None = None):
		self.dry_run, self.run = dry_run, run
		stages = stored_stages()
		self.open = [s for s in stages if not s.is_terminal]
		won = [s for s in stages if s.is_won]
		lost = [s for s in stages if s.is_lost]
		if not (self.open and won and lost):
			frappe.throw(_("The sales process needs open, won and lost stages before a migration."))
		self.won, self.lost = won[0], lost[0]
		self.by_name = {s.name: s for s in stages}
		self.mapping = stage_mapping()
		query, sp, emp = hierarchy.people()
		self.owners = dict(
			query.select(emp.user_id, sp.name).where(sp.enabled == 1).orderby(sp.lft).run()[::-1]
		)
		self.company = frappe.defaults.get_global_default("company")
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")
		self.lead_sources = set(frappe.get_all("Sales Lead Source", pluck="name"))
		self.claims: dict[tuple, tuple] = {}  # (key, value) → (sales person, opportunity)
		self.claims_read: set[tuple] = set()  # the keys whose claims on the site have been read
		# source doctypes with rows skipped by an earlier run (their map rows are replaced)
		self.retried = set(
			frappe.get_all(MAP, filters={"status": "Skipped"}, pluck="source_doctype", distinct=True)
		)
		self.lead_keys: dict[tuple, str] = {}  # (column, value) → lead (G3, leads of this run)
		self.lead_customer: dict[str, str] = {}  # ERPNext Lead → customer (dry runs: not yet written)
		self.counts = Counter()
		self.stage_counts = Counter()  # (ERPNext status, sales stage) → opportunities
		self.status_counts = Counter()  # (source doctype, status) → rows
		self.mapped = Counter()  # (sales stage or status, how, Sales Process Stage) → opportunities
		self.reasons = Counter()
		self.unmapped_owners = Counter()
		self.skips: list[dict] = []
		self.now = now_datetime()

	def skip(self, doctype: str, name: str, reason: str, code: str):
		self.counts["skipped"] += 1
		self.reasons[code] += 1
		self.skips.append({"source_doctype": doctype, "source_name": name, "reason": reason})


# --- reading ---------------------------------------------------------------------------------------


def _pending(doctype: str, after: str, limit: int) -> list[dict]:
	"""The next sources by name that are not mapped as Migrated."""
	src = frappe.qb.DocType(doctype)
	m = frappe.qb.DocType(MAP)
	return (
		frappe.qb.from_(src)
		.left_join(m)
		.on((m.source_doctype == doctype) & (m.source_name == src.name) & (m.status == "Migrated"))
		.select(*[src[f] for f in SOURCE_FIELDS[doctype]])
		.where(m.name.isnull() & (src.name > after))
		.orderby(src.name)
		.limit(limit)
		.run(as_dict=True)
	)


def pending_count() -> dict[str, int]:
	out = {}
	for doctype in (LEAD, OPPORTUNITY):
		src, m = frappe.qb.DocType(doctype), frappe.qb.DocType(MAP)
		out[doctype] = (
			frappe.qb.from_(src)
			.left_join(m)
			.on((m.source_doctype == doctype) & (m.source_name == src.name) & (m.status == "Migrated"))
			.select(frappe.query_builder.functions.Count("*"))
			.where(m.name.isnull())
			.run()[0][0]
		)
	return out


def _by(doctype: str, field: str, values, fields: list[str]) -> list[dict]:
	if not values:
		return []
	return frappe.get_all(doctype, filters={field: ("in", list(values))}, fields=fields, order_by="name")


# --- leads -----------------------------------------------------------------------------------------


def _lead_customers(names) -> dict[str, str]:
	"""ERPNext Lead → the Customer made from it (Customer.lead_name)."""
	return {r.lead_name: r.name for r in _by("Customer", "lead_name", names, ["name", "lead_name"])}


def _open_lead_holders(keys: dict[str, set]) -> dict[tuple, str]:
	"""(identity column, value) → the existing open Sales Lead holding it (G3)."""
	sl = frappe.qb.DocType("Sales Lead")
	condition = None
	for column, values in keys.items():
		if values:
			term = sl[column].isin(list(values))
			condition = term if condition is None else condition | term
	if condition is None:
		return {}
	rows = (
		frappe.qb.from_(sl)
		.select(sl.name, sl.sales_person, *[sl[c] for c in keys])
		.where(condition & sl.status.isin(lead.OPEN_STATUSES))
		.run(as_dict=True)
	)
	return {(c, r[c]): r.sales_person or r.name for r in rows for c in keys if r[c]}


class _Fields(dict):
	"""The get/set of a document, enough for lead.set_identity."""

	def set(self, key, value):
		self[key] = value


def _leads(ctx: Context, rows: list[dict]) -> list[dict]:
	customers = _lead_customers([r.name for r in rows])
	identities = []
	for r in rows:
		doc = _Fields(company_name=r.company_name, phone=r.mobile_no or r.phone, email=r.email_id)
		lead.set_identity(doc)
		identities.append(doc)
	held = _open_lead_holders({c: {d[c] for d in identities if d[c]} for c in lead.IDENTITY})
	targets = []
	for r, ident in zip(rows, identities, strict=True):
		status = LEAD_STATUS.get(r.status, "New")
		ctx.status_counts[(LEAD, r.status or "")] += 1
		customer = r.customer or customers.get(r.name)
		if status == "Converted" and not customer:
			status = "Contacted"  # converted in ERPNext, but no customer to point at
		if not (r.company_name or r.lead_name):
			ctx.skip(
				LEAD,
				r.name,
				_("Lead {0} has neither a company name nor a contact person.").format(r.name),
				"lead_no_name",
			)
			continue
		holder = ctx.owners.get(r.lead_owner) if r.lead_owner else None
		if r.lead_owner and not holder:
			ctx.unmapped_owners[r.lead_owner] += 1
		if status in lead.OPEN_STATUSES:
			keys = [(c, ident[c]) for c in lead.IDENTITY if ident[c]]
			clash = next(
				(held.get(k) or ctx.lead_keys.get(k) for k in keys if held.get(k) or ctx.lead_keys.get(k)),
				None,
			)
			if clash:
				ctx.skip(
					LEAD,
					r.name,
					_(
						"{0} already holds a lead that matches by company name, phone, email or tax ID (G3)."
					).format(clash),
					"lead_duplicate",
				)
				continue
			for k in keys:
				ctx.lead_keys[k] = holder or r.name
		if customer:
			ctx.lead_customer[r.name] = customer
		targets.append(
			{
				"source": r,
				"creation": r.creation,
				"owner": r.owner,
				"company_name": r.company_name,
				"lead_name": r.lead_name,
				"phone": r.mobile_no or r.phone,
				"email": r.email_id,
				"status": status,
				"sales_person": holder if status in lead.OPEN_STATUSES else None,
				"pool": lead.pool_for(r.territory),
				"held_since": ctx.now if holder and status in lead.OPEN_STATUSES else None,
				"source_": r.source
				if r.source in ctx.lead_sources
				else (lead.DEFAULT_SOURCE if lead.DEFAULT_SOURCE in ctx.lead_sources else None),
				"territory": r.territory,
				"industry": r.industry,
				"customer": customer if status == "Converted" else None,
				**{c: ident[c] or None for c in lead.IDENTITY},
			}
		)
	ctx.counts["leads"] += len(targets)
	return targets


LEAD_COLUMNS = [
	"name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "naming_series",
	"company_name", "lead_name", "phone", "email", "status", "sales_person", "pool", "held_since",
	"source", "territory", "industry", "customer", *lead.IDENTITY,
]  # fmt: skip


def _insert_new(ctx: Context, doctype: str, columns: list[str], targets: list[dict], **fields):
	"""One multi-row INSERT of `targets` as new `doctype` rows named from its naming series (each
	target gets its `name`); `fields`: target key → column filled from it under another name."""
	names = series_names(doctype, len(targets))
	common = {
		"modified": ctx.now,
		"modified_by": frappe.session.user,
		"docstatus": 0,
		"idx": 0,
		"naming_series": frappe.get_meta(doctype).get_field("naming_series").options.split("\n")[0],
	}
	rows = []
	for name, t in zip(names, targets, strict=True):
		t["name"] = name
		values = {**t, **common, **{column: t[key] for column, key in fields.items()}}
		rows.append(tuple(values.get(c) for c in columns))
	insert_rows(doctype, columns, rows)


def _write_leads(ctx: Context, targets: list[dict]) -> dict[str, str]:
	note = _("Migrated from ERPNext Lead {0}")
	_insert_new(ctx, "Sales Lead", LEAD_COLUMNS, targets, source="source_")
	lead.write_logs(
		[
			(
				t["name"],
				"Import",
				None,
				t["sales_person"],
				t["pool"],
				note.format(t["source"].name),
			)
			for t in targets
		]
	)
	return {t["source"].name: t["name"] for t in targets}


# --- opportunities -----------------------------------------------------------------------------------


def _owner_of(r) -> str | None:
	if r.opportunity_owner:
		return r.opportunity_owner
	try:
		assigned = json.loads(r._assign or "[]")
	except ValueError:
		assigned = []
	return assigned[0] if assigned else None


def _nearest_stage(ctx: Context, probability: float):
	return min(ctx.open, key=lambda s: (abs(flt(s.probability) - probability), s.sequence))


def _stage_of(ctx: Context, r):
	"""(stage row, how) of an ERPNext opportunity: the status for closed ones, else the mapping,
	else the nearest probability, else the first stage."""
	if r.status in WON_STATUSES:
		return ctx.won, "status"
	if r.status in LOST_STATUSES:
		return ctx.lost, "status"
	if r.sales_stage in ctx.mapping:
		return ctx.by_name[ctx.mapping[r.sales_stage]], "mapping"
	if r.probability:
		return _nearest_stage(ctx, flt(r.probability)), "probability"
	return ctx.open[0], "first"


def _lead_party(names) -> dict[str, str]:
	"""ERPNext Lead → the customer of the Sales Lead migrated from it (an earlier run)."""
	if not names:
		return {}
	m, sl = frappe.qb.DocType(MAP), frappe.qb.DocType("Sales Lead")
	rows = (
		frappe.qb.from_(m)
		.join(sl)
		.on(sl.name == m.target_name)
		.select(m.source_name, sl.customer)
		.where(
			(m.source_doctype == LEAD)
			& (m.status == "Migrated")
			& m.source_name.isin(list(names))
			& sl.customer.isnotnull()
		)
		.run()
	)
	return dict(rows)


def _parties(ctx: Context, rows: list[dict]) -> dict[str, str | None]:
	"""Opportunity → its Customer: the party itself; a Lead's customer (the migrated Sales Lead's,
	else the Customer made from the lead); a Prospect's customer (Customer.prospect_name)."""
	leads = {r.party_name for r in rows if r.opportunity_from == LEAD}
	prospects = {r.party_name for r in rows if r.opportunity_from == "Prospect"}
	from_lead = {**_lead_customers(leads), **_lead_party(leads)}
	from_lead.update({k: v for k, v in ctx.lead_customer.items() if k in leads})
	from_prospect = {
		r.prospect_name: r.name
		for r in _by("Customer", "prospect_name", prospects, ["name", "prospect_name"])
	}
	out = {}
	for r in rows:
		if r.opportunity_from == "Customer":
			out[r.name] = r.party_name
		elif r.opportunity_from == LEAD:
			out[r.name] = from_lead.get(r.party_name)
		elif r.opportunity_from == "Prospect":
			out[r.name] = from_prospect.get(r.party_name)
		else:
			out[r.name] = None
	return out


def _customer_rows(names) -> dict[str, dict]:
	return {
		r.name: r
		for r in _by(
			"Customer",
			"name",
			names,
			["name", "customer_name", "disabled", "territory", "customer_group", *CUSTOMER_KEYS],
		)
	}


def _customer_keys(c) -> list[tuple]:
	return [("name", c.name)] + [(k, c[k]) for k in CUSTOMER_KEYS if c[k]]


def _load_claims(ctx: Context, customers: dict[str, dict]):
	"""Open Sales Opportunities already on the site for companies matching the batch's customers:
	first the customers sharing a key (each key column is indexed), then their open opportunities
	(by customer and status), so the cost follows the batch, not the opportunities on the site."""
	keys = {k for c in customers.values() for k in _customer_keys(c)} - ctx.claims_read
	ctx.claims_read |= keys
	by_column: dict[str, list] = {}
	for column, value in keys:
		if (column, value) not in ctx.claims:
			by_column.setdefault(column, []).append(value)
	if not by_column:
		return
	c = frappe.qb.DocType("Customer")
	condition = None
	for column, values in by_column.items():
		term = c[column].isin(values)
		condition = term if condition is None else condition | term
	matching = {
		r.name: r
		for r in frappe.qb.from_(c)
		.select(c.name, *[c[k] for k in CUSTOMER_KEYS])
		.where(condition)
		.run(as_dict=True)
	}
	if not matching:
		return
	o = frappe.qb.DocType("Sales Opportunity")
	open_ = (
		frappe.qb.from_(o)
		.select(o.name, o.sales_person, o.customer)
		.where(o.customer.isin(list(matching)) & (o.status == "Open"))
		.orderby(o.creation)
		.run(as_dict=True)
	)
	for r in open_:
		for key in _customer_keys(matching[r.customer]):
			ctx.claims.setdefault(key, (r.sales_person, r.name))


def _lost_reasons(names) -> dict[str, list[str]]:
	out: dict[str, list[str]] = {}
	for r in frappe.get_all(
		"Opportunity Lost Reason Detail",
		filters={"parent": ("in", list(names)), "parenttype": OPPORTUNITY},
		fields=["parent", "lost_reason"],
		order_by="idx",
	):
		out.setdefault(r.parent, []).append(r.lost_reason)
	return out


def _opportunities(ctx: Context, rows: list[dict]) -> list[dict]:
	parties = _parties(ctx, rows)
	customers = _customer_rows({c for c in parties.values() if c})
	_load_claims(ctx, customers)
	reasons = _lost_reasons([r.name for r in rows if r.status in LOST_STATUSES])
	targets = []
	for r in rows:
		ctx.status_counts[(OPPORTUNITY, r.status or "")] += 1
		ctx.stage_counts[(r.status or "", r.sales_stage or "")] += 1
		user = _owner_of(r)
		owner = ctx.owners.get(user) if user else None
		if not owner:
			if user:
				ctx.unmapped_owners[user] += 1
				reason = _(
					"Owner {0} is not linked to an enabled Sales Person (User → Employee → Sales Person)."
				).format(user)
			else:
				reason = _("Opportunity {0} has no owner and nobody is assigned to it.").format(r.name)
			ctx.skip(OPPORTUNITY, r.name, reason, "owner")
			continue
		customer = customers.get(parties[r.name])
		if not customer:
			ctx.skip(
				OPPORTUNITY,
				r.name,
				_("No customer for party {0} {1}: convert the lead or prospect to a customer first.").format(
					_(r.opportunity_from or ""), r.party_name or ""
				),
				"party",
			)
			continue
		amount = flt(r.opportunity_amount) or flt(r.total)
		if not math.isfinite(amount) or amount < 0:
			ctx.skip(
				OPPORTUNITY,
				r.name,
				_("The amount of opportunity {0} is not a valid number.").format(r.name),
				"amount",
			)
			continue
		stage, how = _stage_of(ctx, r)
		status = "Won" if stage.is_won else "Lost" if stage.is_lost else "Open"
		if status == "Open":
			if customer.disabled:
				ctx.skip(
					OPPORTUNITY,
					r.name,
					_("Customer {0} is disabled.").format(customer.name),
					"customer_disabled",
				)
				continue
			keys = _customer_keys(customer)
			clash = next((ctx.claims[k] for k in keys if k in ctx.claims and ctx.claims[k][0] != owner), None)
			if clash:
				ctx.skip(
					OPPORTUNITY,
					r.name,
					_(
						"{0} already owns open opportunity {1} for this customer or one that matches it (O2)."
					).format(*clash),
					"claim",
				)
				continue
		ctx.mapped[
			(r.sales_stage if how in ("mapping", "probability", "first") else r.status, how, stage.name)
		] += 1
		lost = [x for x in reasons.get(r.name, []) if x]
		# K8: the first of its lost reasons is the Link (an entry of the list, `_write_opportunities`);
		# further reasons and the free-text detail go to lost_detail; a detail alone is "Other"
		detail = "; ".join([*lost[1:], *([r.order_lost_reason] if r.order_lost_reason else [])])
		entered = ctx.now if status == "Open" else get_datetime(r.modified)
		targets.append(
			{
				"source": r,
				"creation": r.creation,
				"owner": r.owner,
				"customer": customer.name,
				"customer_name": customer.customer_name,
				"contact": r.contact_person,
				"company": r.company or ctx.company,
				"status": status,
				"sales_person": owner,
				**enter_stage(stage, entered),
				"amount": amount,
				"currency": r.currency or ctx.currency,
				"expected_close_date": getdate(r.expected_closing or r.transaction_date or r.creation),
				"territory": r.territory or customer.territory,
				"customer_group": r.customer_group or customer.customer_group,
				"lost_requested": 0,
				"lost_reason": lost[0] if lost else lost_reasons.OTHER if detail else None,
				"lost_detail": detail or None,
			}
		)
		if status == "Open":
			for k in _customer_keys(customer):
				ctx.claims.setdefault(k, (owner, r.name))
	ctx.counts["opportunities"] += len(targets)
	return targets


OPPORTUNITY_COLUMNS = [
	"name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "naming_series",
	"customer", "customer_name", "contact", "company", "status", "sales_person", "stage",
	"stage_entered_at", "stage_due_at", "probability", "reminded_for_due", "amount", "currency",
	"expected_close_date", "territory", "customer_group", "lost_requested", "lost_reason", "lost_detail",
]  # fmt: skip
LOG_COLUMNS = [
	"creation", "modified", "owner", "modified_by", "docstatus", "idx", "opportunity", "action", "at",
	"by_user", "to_stage", "to_sales_person", "note",
]  # fmt: skip


def _write_opportunities(ctx: Context, targets: list[dict]) -> dict[str, str]:
	user = frappe.session.user
	note = _("Migrated from ERPNext Opportunity {0}")
	stored = lost_reasons.ensure({t["lost_reason"] for t in targets if t["lost_reason"]})
	for t in targets:
		t["lost_reason"] = stored.get(t["lost_reason"])
	_insert_new(ctx, "Sales Opportunity", OPPORTUNITY_COLUMNS, targets)
	logs = [
		(ctx.now, ctx.now, user, user, 0, 0, t["name"], "Import", ctx.now, user, t["stage"],
			t["sales_person"], note.format(t["source"].name))
		for t in targets
	]  # fmt: skip
	stage_history.insert_logs(LOG_COLUMNS, logs)
	return {t["source"].name: t["name"] for t in targets}


def _link_quotations(ctx: Context, pairs: dict[str, str]):
	"""Quotations naming the ERPNext opportunity get `sales_opportunity` (one UPDATE per batch)."""
	q = frappe.qb.DocType("Quotation")
	where = q.opportunity.isin(list(pairs)) & (q.sales_opportunity.isnull() | (q.sales_opportunity == ""))
	count = frappe.qb.from_(q).select(frappe.query_builder.functions.Count("*")).where(where).run()[0][0]
	if count:
		case = Case()
		for source, target in pairs.items():
			case = case.when(q.opportunity == source, target)
		frappe.qb.update(q).set(q.sales_opportunity, case).where(where).run()
	ctx.counts["quotations"] += count


# --- what follows the record: comments, communications, ToDos, files -------------------------------


def _copy(ctx: Context, doctype: str, type_field: str, name_field: str, source: str, pairs: dict, extra=None):
	"""Copy rows of `doctype` attached to the sources onto their targets (new names; the originals
	stay as they are)."""
	filters = {type_field: source, name_field: ("in", list(pairs)), **(extra or {})}
	rows = frappe.get_all(doctype, filters=filters, fields=["*"], order_by="creation")
	if not rows:
		return 0
	columns = list(rows[0].keys())
	values = []
	for r in rows:
		r.update(
			{
				"name": frappe.generate_hash(length=10),
				type_field: TARGET[source],
				name_field: pairs[r[name_field]],
			}
		)
		values.append(tuple(r[c] for c in columns))
	insert_rows(doctype, columns, values)
	return len(values)


def _link_communications(ctx: Context, source: str, pairs: dict) -> int:
	"""Communications of the source appear on the target's timeline through a new Communication
	Link row; the Communication itself is unchanged."""
	c, link = frappe.qb.DocType("Communication"), frappe.qb.DocType("Communication Link")
	found = set(
		frappe.qb.from_(c)
		.select(c.name, c.reference_name, c.creation)
		.where((c.reference_doctype == source) & c.reference_name.isin(list(pairs)))
		.run()
	) | set(
		frappe.qb.from_(link)
		.join(c)
		.on(c.name == link.parent)
		.select(c.name, link.link_name, c.creation)
		.where(
			(link.link_doctype == source)
			& link.link_name.isin(list(pairs))
			& (link.parenttype == "Communication")
		)
		.run()
	)
	if not found:
		return 0
	user = frappe.session.user
	rows = [
		(
			frappe.generate_hash(length=10),
			created,
			ctx.now,
			user,
			user,
			0,
			"Communication",
			"timeline_links",
			comm,
			TARGET[source],
			pairs[src],
		)
		for comm, src, created in sorted(found)
	]
	insert_rows(
		"Communication Link",
		[
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"idx",
			"parenttype",
			"parentfield",
			"parent",
			"link_doctype",
			"link_name",
		],
		rows,
	)
	return len(rows)


def _carry(ctx: Context, source: str, pairs: dict):
	if not pairs:
		return
	ctx.counts["comments"] += _copy(
		ctx, "Comment", "reference_doctype", "reference_name", source, pairs, {"comment_type": "Comment"}
	)
	ctx.counts["todos"] += _copy(ctx, "ToDo", "reference_type", "reference_name", source, pairs)
	ctx.counts["files"] += _copy(ctx, "File", "attached_to_doctype", "attached_to_name", source, pairs)
	ctx.counts["communications"] += _link_communications(ctx, source, pairs)


# --- the map ----------------------------------------------------------------------------------------


MAP_COLUMNS = [
	"creation", "modified", "owner", "modified_by", "docstatus", "idx", "source_doctype", "source_name",
	"target_doctype", "target_name", "run", "status", "reason",
]  # fmt: skip


def _write_map(ctx: Context, source: str, pairs: dict, skips: list[dict]):
	"""Map rows of the batch; a source skipped by an earlier run gets its new row instead."""
	names = list(pairs) + [s["source_name"] for s in skips]
	if not names:
		return
	if source in ctx.retried:
		m = frappe.qb.DocType(MAP)
		frappe.qb.from_(m).delete().where(
			(m.source_doctype == source) & m.source_name.isin(names) & (m.status == "Skipped")
		).run()
	user, now = frappe.session.user, ctx.now
	rows = [
		(now, now, user, user, 0, 0, source, s, TARGET[source], t, ctx.run, "Migrated", None)
		for s, t in pairs.items()
	]
	rows += [
		(now, now, user, user, 0, 0, source, s["source_name"], None, None, ctx.run, "Skipped", s["reason"])
		for s in skips
	]
	insert_autoincrement(MAP, MAP_COLUMNS, rows)


# --- running ---------------------------------------------------------------------------------------


def _batches(ctx: Context, doctype: str, batch_size: int):
	after = ""
	while rows := _pending(doctype, after, batch_size):
		after = rows[-1].name
		yield rows


def _run(ctx: Context, batch_size: int, commit: bool, progress=None, total: int = 0):
	done = 0
	for doctype, evaluate, write in (
		(LEAD, _leads, _write_leads),
		(OPPORTUNITY, _opportunities, _write_opportunities),
	):
		for rows in _batches(ctx, doctype, batch_size):
			skipped_before = len(ctx.skips)
			targets = evaluate(ctx, rows)
			if not ctx.dry_run:
				pairs = write(ctx, targets) if targets else {}
				if doctype == OPPORTUNITY and pairs:
					_link_quotations(ctx, pairs)
				_carry(ctx, doctype, pairs)
				_write_map(ctx, doctype, pairs, ctx.skips[skipped_before:])
				if ctx.run:
					frappe.db.set_value(RUN, ctx.run, _counts(ctx), update_modified=False)
				if commit:
					# nosemgrep: frappe-manual-commit -- M2: each batch commits with its map rows
					frappe.db.commit()
				del ctx.skips[skipped_before + PLAN_SKIPS :]  # the map holds them all
			elif len(ctx.skips) > PLAN_SKIPS:
				del ctx.skips[PLAN_SKIPS:]
			done += len(rows)
			if progress:
				progress(done, total)


def _counts(ctx: Context) -> dict:
	return {
		k: ctx.counts[k]
		for k in (
			"leads",
			"opportunities",
			"quotations",
			"comments",
			"communications",
			"todos",
			"files",
			"skipped",
		)
	}


def _report(ctx: Context) -> dict:
	return {
		"counts": _counts(ctx),
		"by_status": [
			{"source_doctype": d, "status": s, "count": n} for (d, s), n in sorted(ctx.status_counts.items())
		],
		"by_stage": [
			{"status": s, "sales_stage": st, "count": n} for (s, st), n in sorted(ctx.stage_counts.items())
		],
		"mapped": [
			{"source": s or "", "how": h, "stage": st, "count": n}
			for (s, h, st), n in sorted(ctx.mapped.items(), key=str)
		],
		"stage_mapping": [{"sales_stage": k, "stage": v} for k, v in sorted(ctx.mapping.items())],
		"unmapped_owners": [{"user": u, "count": n} for u, n in ctx.unmapped_owners.most_common()],
		"skip_reasons": dict(ctx.reasons),
		"skipped": ctx.skips[:PLAN_SKIPS],
	}


def _lock_name() -> str:
	return f"{LOCK}:{frappe.conf.db_name}"


def plan(batch_size: int = BATCH_SIZE) -> dict:
	"""What a migration would do now (nothing is written)."""
	ctx = Context(dry_run=True)
	_run(ctx, batch_size, commit=False)
	return _report(ctx)


def migrate(dry_run: bool = False, batch_size: int = BATCH_SIZE, commit: bool = True, progress=None) -> dict:
	"""Migrate everything not migrated yet; returns the report (with `run`, the CRM Migration Run).
	A dry run is `plan()`. One migration at a time (a database lock, freed if the process dies)."""
	if dry_run:
		return plan(batch_size)
	batch_size = max(1, cint(batch_size) or BATCH_SIZE)
	# nosemgrep: frappe-using-db-sql -- a named lock (GET_LOCK) has no frappe.qb or db API form
	if not frappe.db.sql("select get_lock(%s, 0)", _lock_name())[0][0]:
		frappe.throw(_("A migration from ERPNext CRM is already running."), MigrationBusy)
	try:
		r = frappe.qb.DocType(RUN)
		# a run still marked Running lost its process (the lock was free)
		frappe.qb.update(r).set(r.status, "Failed").set(
			r.log, _("Interrupted; resumed by a later run.")
		).where(r.status == "Running").run()
		run = frappe.get_doc({"doctype": RUN, "status": "Running", "started_at": now_datetime()}).insert(
			ignore_permissions=True
		)
		if commit:
			# nosemgrep: frappe-manual-commit -- the run record is visible while batches commit
			frappe.db.commit()
		ctx = Context(dry_run=False, run=run.name)
		total = sum(pending_count().values())
		try:
			_run(ctx, batch_size, commit, progress, total)
		except Exception:
			frappe.db.rollback()
			frappe.db.set_value(
				RUN,
				run.name,
				{"status": "Failed", "finished_at": now_datetime(), "log": frappe.get_traceback()},
			)
			if commit:
				# nosemgrep: frappe-manual-commit -- record the failure; committed batches stay
				frappe.db.commit()
			raise
		report = _report(ctx)
		frappe.db.set_value(
			RUN,
			run.name,
			{
				**_counts(ctx),
				"status": "Completed",
				"finished_at": now_datetime(),
				"plan": json.dumps(report, ensure_ascii=False, default=str),
			},
		)
		if commit:
			# nosemgrep: frappe-manual-commit -- the run's result
			frappe.db.commit()
		return {**report, "run": run.name}
	finally:
		# nosemgrep: frappe-using-db-sql -- the named lock taken above
		frappe.db.sql("select release_lock(%s)", _lock_name())


def run_job(batch_size: int = BATCH_SIZE, user: str | None = None):
	"""The background job (long queue) behind the desk page, in the starter's language: realtime
	progress, the end, or the failure (without it the page's bar would wait for ever)."""
	if user:
		frappe.set_user_lang(user)

	def progress(done, total):
		frappe.publish_realtime(REALTIME_EVENT, {"done": done, "total": total}, user=user)

	try:
		report = migrate(batch_size=batch_size, progress=progress)
	except Exception as error:
		frappe.publish_realtime(
			REALTIME_EVENT, {"failed": True, "error": str(error) or type(error).__name__}, user=user
		)
		raise
	frappe.publish_realtime(REALTIME_EVENT, {"finished": True, "run": report["run"]}, user=user)
	return report
