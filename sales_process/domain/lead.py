"""Lead rules (G1, G3–G5): creation, duplicate protection, the pool and its moves.

Every channel (web form, email, Data Import, REST, desk) inserts a Sales Lead, and the controller
hands the new document to `prepare_new`. Every later move of the holder or the status goes
through `transition`: one UPDATE of the protected fields (a form or REST save of them is refused
by `guard`) and one Sales Lead Log row (`write_log` / `write_logs` are the only writers of that log).

Locking (G3, G5 race-free), always in this order: one named lock (MariaDB GET_LOCK) per
normalised identity key of the lead, taken in one statement in sorted order (`_lock`); then the
holder's Sales Person row (the hold limit: claims of one person queue, claims of two people do
not); then the lead's own row. So two moves of one lead, or two leads of one company, queue on the
same names, and moves of unrelated leads run side by side.

A claim, an assignment or a new lead from a web request that has written nothing yet restarts its
(read-only) transaction once its identity locks are held: the reads that follow (other leads,
customers, opportunities, the holder's count) then see everything committed before the locks were
granted, without locking reads, whose gap locks on the identity and holder indexes would make
unrelated claims wait for, or deadlock with, each other. A path that has written already (a form
save, a conversion, a mail or import channel) keeps its snapshot and reads with locking reads
instead, behind the one queue row those paths share (`_queue`).
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Count, IfNull
from frappe.utils import add_days, cint, cstr, get_datetime, now_datetime

from sales_process.domain import hierarchy, imports, lead_capture, normalize, settings
from sales_process.domain.opportunity import MAX_REASON, ProcessError
from sales_process.domain.settings import get_settings

DOCTYPE = "Sales Lead"
LOG = "Sales Lead Log"
OPEN_STATUSES = ("New", "Contacted", "Qualified")
# fields only the process sets; a form or REST edit of them is refused (like O4)
PROTECTED_FIELDS = (
	"sales_person",
	"pool",
	"status",
	"held_since",
	"last_contact_at",
	"customer",
	"opportunity",
)
IDENTITY = {
	"normalized_company": ("company_name", normalize.company_name),
	"normalized_phone": ("phone", normalize.phone),
	"normalized_email": ("email", normalize.email),
	"normalized_tax_id": ("tax_id", normalize.tax_id),
}
# Customer's normalised identity columns (custom fields, O2) for the same keys; both sides are
# matched by normalize.matches, O2's one matching
CUSTOMER_IDENTITY = {
	"normalized_company": "sp_normalized_name",
	"normalized_phone": "sp_normalized_phone",
	"normalized_email": "sp_normalized_email",
	"normalized_tax_id": "sp_normalized_tax_id",
}
# what a move (claim, assign) decides on, read again under the lead's row lock
MOVE_FIELDS = [*PROTECTED_FIELDS, *IDENTITY, "modified", "modified_by"]
DEFAULT_SOURCE = "Other"
DEFAULT_POOL = "公海"


class DuplicateLead(frappe.DuplicateEntryError):
	"""G3: the company (by a normalised key) is already someone's lead or open opportunity.
	`holder` names the Sales Person (None: the matching lead is in the pool). A DuplicateEntryError
	(HTTP 409), which Frappe's inbound mail catches to thread the mail onto the existing lead."""

	http_status_code = 409
	holder: str | None = None
	match: str | None = None


class LeadBusy(frappe.ValidationError):
	"""Another move of a lead of the same company did not finish within LOCK_TIMEOUT."""

	http_status_code = 409


class LeadTaken(frappe.ValidationError):
	"""G5: the lead was claimed or assigned a moment ago by someone else."""

	http_status_code = 409


# --- helpers -------------------------------------------------------------------------------------


def me(user: str | None = None) -> str | None:
	return hierarchy.sales_person_of(user or frappe.session.user)


LOCK_TIMEOUT = 10  # seconds a move waits for another move of the same company


def _lock_names(doc) -> list[str]:
	"""The named locks of `doc`'s normalised identity: per site (GET_LOCK names are server-wide),
	at most 64 characters."""
	import hashlib

	prefix = hashlib.md5(cstr(frappe.conf.db_name).encode()).hexdigest()[:8]
	return sorted(
		f"sl{prefix}:" + hashlib.md5(f"{k}={doc.get(k)}".encode()).hexdigest() for k in IDENTITY if doc.get(k)
	)


def _lock(doc, holder: str | None = None, restart: bool = False) -> bool:
	"""Take `doc`'s identity locks, then `holder`'s Sales Person row (see the module docstring).
	→ True when the transaction was restarted first, so plain reads are current; False when the
	caller must read with locking reads (it then also holds `_queue()`)."""
	# a web request that has written nothing yet (its own connection; not a job, a test's open
	# transaction or a rollback to a savepoint, after which the write count reads 0)
	fresh = restart and bool(getattr(frappe.local, "request", None)) and not frappe.db.transaction_writes
	if fresh:
		# the snapshot of the reads below then starts after the locks are granted
		frappe.db.rollback()
	names = [n for n in _lock_names(doc) if n not in _held_names()]
	if names:
		# nosemgrep: frappe-using-db-sql -- named locks: frappe.qb has no GET_LOCK
		got = frappe.db.sql(
			"select " + ", ".join(["get_lock(%s, %s)"] * len(names)),
			[v for name in names for v in (name, LOCK_TIMEOUT)],
		)[0]
		_held_names().update(n for n, ok in zip(names, got, strict=True) if ok)
		frappe.db.after_commit.add(_release_locks)  # named locks outlive transactions: free them
		frappe.db.after_rollback.add(_release_locks)
		if not all(got):
			frappe.throw(
				_("Another change to the leads of this company is in progress; please try again."),
				LeadBusy,
			)
	if not fresh:
		_queue()
	if holder:
		sp = frappe.qb.DocType("Sales Person")
		frappe.qb.from_(sp).select(sp.name).where(sp.name == holder).for_update().run()
	return fresh


def _held_names() -> set[str]:
	if frappe.local.flags.sales_lead_locks is None:
		frappe.local.flags.sales_lead_locks = set()
	return frappe.local.flags.sales_lead_locks


def _release_locks():
	names = sorted(_held_names())
	_held_names().clear()
	if names:
		# nosemgrep: frappe-using-db-sql -- named locks: frappe.qb has no RELEASE_LOCK
		frappe.db.sql("select " + ", ".join(["release_lock(%s)"] * len(names)), names)


def _queue():
	"""The row that paths reading with locking reads wait for (see the module docstring)."""
	p = frappe.qb.DocType("Sales Lead Pool")
	pool = settings.get("default_lead_pool")
	if not pool or not frappe.qb.from_(p).select(p.name).where(p.name == pool).for_update().run():
		_no_default_pool()


def load(name: str, ptype: str = "write", for_update: bool = True, queue: bool = False, holder=None):
	"""get + permission check (+ row lock). With `queue` (moves that check other leads' holders):
	the permission (on the lead as the caller saw it: a claim that lost a race is told who won,
	not refused as if the lead had never been visible), then `_lock()` (identity, `holder`), then
	the lead's latest row, locked — the lock order of every path. Only the fields a move decides on
	are read again (a second `select *` of the wide lead was a tenth of a claim's time).
	`doc.flags.fresh_reads`: see `_lock`."""
	if not name or not isinstance(name, str):
		frappe.throw(_("Lead is required."), frappe.MandatoryError)
	try:
		doc = frappe.get_doc(DOCTYPE, name, for_update=for_update and not queue)
	except frappe.DoesNotExistError:
		frappe.clear_last_message()
		frappe.throw(_("Lead {0} does not exist.").format(name), frappe.DoesNotExistError)
	doc.check_permission(ptype)
	if queue:
		fresh = _lock(doc, holder, restart=True)
		doc.update(frappe.db.get_value(DOCTYPE, name, MOVE_FIELDS, as_dict=True, for_update=True))
		doc.flags.fresh_reads = fresh
	return doc


def clean_reason(reason, required: bool = True) -> str | None:
	if reason is not None and not isinstance(reason, str):
		frappe.throw(_("The reason must be text."), frappe.ValidationError)
	reason = cstr(reason).strip()
	if required and not reason:
		frappe.throw(_("A reason is required."), frappe.MandatoryError)
	if len(reason) > MAX_REASON:
		frappe.throw(
			_("The reason is longer than {0} characters.").format(MAX_REASON), frappe.ValidationError
		)
	return reason or None


def _require_open(doc):
	if doc.status not in OPEN_STATUSES:
		frappe.throw(
			_("Lead {0} is {1}; it no longer moves.").format(doc.name, _(doc.status, context=DOCTYPE)),
			ProcessError,
		)


def _require_enabled(sales_person: str):
	if (
		not sales_person
		or not isinstance(sales_person, str)
		or not frappe.db.exists("Sales Person", sales_person)
	):
		frappe.throw(_("Sales Person {0} does not exist.").format(sales_person), frappe.LinkValidationError)
	if not frappe.db.get_value("Sales Person", sales_person, "enabled"):
		frappe.throw(_("Sales Person {0} is disabled.").format(sales_person), ProcessError)


# --- the log (G1) ----------------------------------------------------------------------------------


def write_log(
	lead: str,
	action: str,
	from_sp: str | None = None,
	to_sp: str | None = None,
	reason: str | None = None,
	pool: str | None = None,
	at=None,
):
	_insert_logs([(lead, action, from_sp, to_sp, pool, reason, at or now_datetime())])


def write_logs(rows: list[tuple]) -> int:
	"""Bulk variant for jobs: `rows` are (lead, action, from_sp, to_sp, pool, reason)."""
	now = now_datetime()
	return _insert_logs([(*row, now) for row in rows])


LOG_FIELDS = [
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
	"lead",
	"action",
	"from_sales_person",
	"to_sales_person",
	"pool",
	"reason",
	"at",
	"by_user",
]


def _insert_logs(rows: list[tuple]) -> int:
	"""One multi-row INSERT (the app is the only writer; the doctype's controller refuses
	everyone else): rows are (lead, action, from_sp, to_sp, pool, reason, at)."""
	from sales_process.domain.bulk import insert_autoincrement

	now, user = now_datetime(), frappe.session.user
	return insert_autoincrement(
		LOG,
		LOG_FIELDS,
		[
			(now, now, user, user, 0, 0, lead, action, f, t, pool, reason, at, user)
			for lead, action, f, t, pool, reason, at in rows
		],
	)


def write_logs_before_move(names: list[str], action: str, reason: str, pool: str) -> None:
	"""Set-based variant for jobs: one log row per lead in `names`, from its current holder and pool
	(`pool` where it has none), read by the INSERT … SELECT itself, so nothing is sent per row.
	Call it before the UPDATE that moves the leads."""
	if not names:
		return
	now, user = now_datetime(), frappe.session.user
	columns = ", ".join(f"`{f}`" for f in ["name", *LOG_FIELDS])
	# nosemgrep: frappe-using-db-sql -- INSERT … SELECT with the log's sequence; frappe.qb has neither
	frappe.db.sql(
		f"""insert into `tabSales Lead Log` ({columns})
		select nextval(`sales_lead_log_id_seq`), %(now)s, %(now)s, %(user)s, %(user)s, 0, 0,
			l.name, %(action)s, l.sales_person, null, ifnull(l.pool, %(pool)s), %(reason)s, %(now)s, %(user)s
		from `tabSales Lead` l where l.name in %(names)s""",
		{"now": now, "user": user, "action": action, "pool": pool, "reason": reason, "names": names},
	)


# --- pools (G4, G5) --------------------------------------------------------------------------------


def default_pool() -> str:
	pool = settings.get("default_lead_pool")
	if not pool or not frappe.db.exists("Sales Lead Pool", pool):
		_no_default_pool()
	return pool


def _no_default_pool():
	frappe.throw(_("No default lead pool is configured in Sales Process Settings."), ProcessError)


def pool_for(territory: str | None) -> str:
	"""The enabled pool of the territory or its nearest parent territory (setting), else the
	default pool."""
	if territory and get_settings().lead_pool_by_territory:
		t = frappe.qb.DocType("Territory")
		p = frappe.qb.DocType("Sales Lead Pool")
		bounds = frappe.db.get_value("Territory", territory, ["lft", "rgt"])
		if bounds:
			rows = (
				frappe.qb.from_(p)
				.join(t)
				.on(t.name == p.territory)
				.select(p.name)
				.where((p.enabled == 1) & (t.lft <= bounds[0]) & (t.rgt >= bounds[1]))
				.orderby(t.lft, order=frappe.qb.desc)
				.limit(1)
				.run()
			)
			if rows:
				return rows[0][0]
	return default_pool()


def can_claim_from(pool: str | None, sales_person: str | None) -> bool:
	"""A pool says who may claim from it: members of `claimable_by`'s subtree, or everyone."""
	if not sales_person or not pool:
		return False
	row = _pool_row(pool)
	if not row or not row.enabled:
		return False
	return not row.claimable_by or hierarchy.is_within(sales_person, row.claimable_by)


@frappe.request_cache
def _pool_row(pool: str):
	return frappe.db.get_value("Sales Lead Pool", pool, ["enabled", "claimable_by"], as_dict=True)


def claimable_pools_query(sales_person: str):
	"""The enabled pools `sales_person` may claim from, as a frappe.qb subquery of names."""
	p = frappe.qb.DocType("Sales Lead Pool")
	c = frappe.qb.DocType("Sales Person")
	lft, rgt = hierarchy.bounds(sales_person) or (1, 0)
	return (
		frappe.qb.from_(p)
		.left_join(c)
		.on(c.name == p.claimable_by)
		.select(p.name)
		.where((p.enabled == 1) & ((IfNull(p.claimable_by, "") == "") | ((c.lft <= lft) & (c.rgt >= rgt))))
	)


def visible_criterion(table, user: str | None = None):
	"""The leads `user` may see, as a criterion on `table` (frappe.qb.DocType("Sales Lead")); None
	for managers. Held leads within the user's scope (A1), and pool leads of pools the user may
	claim from (G5). Permission hooks and reports both use it."""
	user = user or frappe.session.user
	scope = hierarchy.scope_of(user)
	if scope.unrestricted:
		return None
	held = scope.criterion(table.sales_person)
	mine = me(user)
	if not mine:
		return held
	return held | ((IfNull(table.sales_person, "") == "") & table.pool.isin(claimable_pools_query(mine)))


def can_access(sales_person: str | None, pool: str | None, read: bool, user: str | None = None) -> bool:
	"""`visible_criterion` for one lead; pool leads are read-only to non-managers."""
	user = user or frappe.session.user
	if sales_person:
		return hierarchy.in_scope(sales_person, user)
	return hierarchy.is_scope_free(user) or (read and can_claim_from(pool, me(user)))


def follow_up_days(pool: str | None) -> int:
	days = cint(frappe.db.get_value("Sales Lead Pool", pool, "follow_up_days")) if pool else 0
	return days or get_settings().lead_follow_up_days


# --- identity and G3 -------------------------------------------------------------------------------


def set_identity(doc):
	for target, (source, fn) in IDENTITY.items():
		doc.set(target, fn(doc.get(source)) or None)


def check_identity(doc, holder: str | None):
	"""G3 for a lead about to be held by `holder` (None: the pool), e.g. on conversion: queue, then
	lock (`_lock`), then refuse a match (DuplicateLead, naming the holder)."""
	set_identity(doc)
	_lock(doc)
	check_duplicate(doc, holder)


def check_duplicate(doc, holder: str | None, locking: bool = True):
	"""G3: refuse when a normalised key of `doc` matches another open lead, or a customer with an
	open opportunity of someone other than `holder`. Callers hold `_lock()`; `locking`: read with
	locking reads (False only when `_lock` restarted the transaction)."""
	keys = {k: doc.get(k) for k in IDENTITY if doc.get(k)}
	if not keys:
		return
	sl = frappe.qb.DocType(DOCTYPE)
	query = (
		frappe.qb.from_(sl)
		.select(sl.name, sl.sales_person, sl.company_name, sl.lead_name)
		.where(normalize.matches(sl, keys, {k: k for k in keys}) & sl.status.isin(OPEN_STATUSES))
		.orderby(sl.creation)
		.limit(1)
	)
	if locking:
		query = query.for_update()
	if not doc.is_new():
		query = query.where(sl.name != doc.name)
	rows = query.run(as_dict=True)
	if rows:
		clash = rows[0]
		if clash.sales_person:
			_refuse_duplicate(
				_(
					"{0} already holds lead {1} ({2}), which matches by company name, phone, email or tax ID."
				).format(clash.sales_person, clash.name, clash.company_name or clash.lead_name),
				clash.sales_person,
				clash.name,
			)
		_refuse_duplicate(
			_(
				"Lead {0} ({1}) in the pool matches by company name, phone, email or tax ID; claim it instead."
			).format(clash.name, clash.company_name or clash.lead_name),
			None,
			clash.name,
		)

	c = frappe.qb.DocType("Customer")
	query = (
		frappe.qb.from_(c).select(c.name).where(normalize.matches(c, keys, CUSTOMER_IDENTITY)).orderby(c.name)
	)
	customers = [r[0] for r in (query.for_update() if locking else query).run()]
	if not customers:
		return
	o = frappe.qb.DocType("Sales Opportunity")
	query = (
		frappe.qb.from_(o)
		.select(o.name, o.sales_person, o.customer)
		.where(o.customer.isin(customers) & (o.status == "Open"))
		.orderby(o.creation)
		.limit(1)
	)
	if locking:
		query = query.for_update()
	if holder:
		query = query.where(o.sales_person != holder)
	rows = query.run(as_dict=True)
	if rows:
		clash = rows[0]
		_refuse_duplicate(
			_(
				"{0} already owns open opportunity {1} for customer {2}, which matches by company name, phone, email or tax ID."
			).format(clash.sales_person, clash.name, clash.customer),
			clash.sales_person,
			clash.name,
		)


def _refuse_duplicate(message: str, holder: str | None, match: str):
	error = DuplicateLead(message)
	error.holder, error.match = holder, match
	frappe.msgprint(message, title=_("Duplicate Lead"), indicator="red")
	raise error


# --- creation (G1–G4) ------------------------------------------------------------------------------


def prepare_new(doc):
	"""Called from the controller's before_insert, whatever the channel. Input types were checked
	already (SalesLead._validate_links)."""
	lead_capture.prepare(doc)  # the channel's source (G2) before the default below
	imported = imports.is_import(doc)
	if imported:
		imports.require_importer(DOCTYPE)  # M3
	if not (cstr(doc.company_name).strip() or cstr(doc.lead_name).strip()):
		frappe.throw(_("A lead needs a company name or a contact person."), frappe.MandatoryError)
	user = frappe.session.user
	mine = me(user)
	holder = doc.sales_person or None
	if holder:
		_require_enabled(holder)
		if not (hierarchy.is_scope_free(user) or (mine and hierarchy.is_within(holder, mine))):
			frappe.throw(_("You can only enter leads for yourself or your team."), frappe.PermissionError)
	elif mine and not hierarchy.is_scope_free(user):
		holder = mine  # a salesperson's own entry is theirs

	doc.update(
		{
			"status": imports.lead_status(doc) if imported else "New",  # M3: the row's open status
			"customer": None,
			"opportunity": None,
			"last_contact_at": None,
			"sales_person": holder,
			"held_since": now_datetime() if holder else None,
			"pool": pool_for(doc.territory),
		}
	)
	if not doc.source and frappe.db.exists("Sales Lead Source", DEFAULT_SOURCE):
		doc.source = DEFAULT_SOURCE
	set_identity(doc)
	limited = holder if holder and holder == mine else None  # a salesperson's own entry counts
	locking = not _lock(doc, limited, restart=True)
	if limited:
		check_hold_limit(limited, locking)
	check_duplicate(doc, holder, locking)


def after_insert(doc):
	write_log(
		doc.name,
		"Import" if imports.is_import(doc) else "Create",
		to_sp=doc.sales_person,
		pool=doc.pool,
		at=doc.held_since,
	)


def guard(doc):
	"""Protected fields move through `transition` only; a converted lead is read-only (G7)."""
	if doc.is_new():
		return
	before = doc.get_doc_before_save()
	if not before:
		return
	if before.status == "Converted":
		frappe.throw(
			_("Lead {0} is converted and read-only.").format(doc.name), ProcessError, title=_("Not Allowed")
		)
	changed = [f for f in PROTECTED_FIELDS if cstr(before.get(f)) != cstr(doc.get(f))]
	if changed:
		labels = ", ".join(_(doc.meta.get_label(f)) for f in changed)
		frappe.throw(
			_(
				"{0} cannot be edited directly. Use Claim, Release, Assign, Convert or Disqualify on the lead."
			).format(labels),
			ProcessError,
			title=_("Not Allowed"),
		)
	set_identity(doc)
	if any(cstr(before.get(f)) != cstr(doc.get(f)) for f in IDENTITY):
		_lock(doc)
		check_duplicate(doc, doc.sales_person)


def transition(doc, action: str, changes: dict, reason: str | None = None):
	"""The only way to change protected fields: one UPDATE of them and one log row. The rest of the
	lead is unchanged, so the form's checks and its score need not run again (and a claim costs
	about what one insert does)."""
	before, now = doc.sales_person, now_datetime()
	frappe.db.set_value(DOCTYPE, doc.name, changes, modified=now)  # and modified_by
	doc.update(changes)
	doc.modified, doc.modified_by = now, frappe.session.user
	write_log(doc.name, action, from_sp=before, to_sp=doc.sales_person, reason=reason, pool=doc.pool)
	doc.notify_update()  # open forms and lists refresh
	return doc


def record_contact(lead: str, at=None):
	"""A daily log on the lead (G7): its last contact, and New → Contacted with a Contact log row."""
	at = at or now_datetime()
	row = frappe.db.get_value(
		DOCTYPE, lead, ["status", "sales_person", "pool", "last_contact_at"], as_dict=True, for_update=True
	)
	if not row:
		frappe.throw(_("Lead {0} does not exist.").format(lead), frappe.DoesNotExistError)
	changes = {}
	if not row.last_contact_at or row.last_contact_at < get_datetime(at):
		changes["last_contact_at"] = at
	if row.status == "New":
		changes["status"] = "Contacted"
	if changes:
		frappe.db.set_value(DOCTYPE, lead, changes, update_modified=False)
	if row.status == "New":
		write_log(lead, "Contact", from_sp=row.sales_person, to_sp=row.sales_person, pool=row.pool, at=at)


# --- G5: the pool ----------------------------------------------------------------------------------


def held_count(sales_person: str, locking: bool = True) -> int:
	"""`locking`: the latest committed holds, not this transaction's snapshot (see `_lock`)."""
	sl = frappe.qb.DocType(DOCTYPE)
	query = (
		frappe.qb.from_(sl)
		.select(Count("*"))
		.where((sl.sales_person == sales_person) & sl.status.isin(OPEN_STATUSES))
	)
	return (query.for_update() if locking else query).run()[0][0]


def check_hold_limit(sales_person: str, locking: bool = True, limit: int | None = None):
	limit = get_settings().lead_hold_limit if limit is None else limit
	if held_count(sales_person, locking) >= limit:
		frappe.throw(
			_("{0} already holds {1} leads, the most allowed; release one first.").format(
				sales_person, limit
			),
			ProcessError,
			title=_("Hold Limit Reached"),
		)


def check_cooldown(lead: str, sales_person: str, days: int | None = None):
	"""No claiming back a lead you released or let return within the cool-down."""
	days = get_settings().lead_cooldown_days if days is None else days
	if days <= 0:
		return
	log = frappe.qb.DocType(LOG)
	rows = (
		frappe.qb.from_(log)
		.select(log.at)
		.where(
			(log.lead == lead)
			& (log.from_sales_person == sales_person)
			& log.action.isin(("Release", "Return"))
			& (log.at > add_days(now_datetime(), -days))
		)
		.orderby(log.at, order=frappe.qb.desc)
		.limit(1)
		.run()
	)
	if rows:
		frappe.throw(
			_("You gave up lead {0} on {1}; it can be claimed back {2} days after that.").format(
				lead, frappe.format(rows[0][0], "Datetime"), days
			),
			ProcessError,
			title=_("Cool-down"),
		)


def _refuse_if_held(doc):
	if doc.sales_person:
		frappe.throw(
			_("Lead {0} is already held by {1}.").format(doc.name, doc.sales_person),
			LeadTaken,
			title=_("Lead Already Claimed"),
		)


def claim(name: str):
	"""G5: a salesperson takes a pool lead."""
	mine = me()
	# permission first (the pool must be visible to the caller), then the locks: identity, the
	# claimer's Sales Person row (the hold limit), the lead
	doc = load(name, "read", queue=True, holder=mine)
	locking = not doc.flags.fresh_reads
	if not mine:
		frappe.throw(
			_(
				"You are not linked to a Sales Person (Sales Person → Employee → User), so you cannot claim leads."
			),
			ProcessError,
		)
	_require_open(doc)
	_refuse_if_held(doc)
	if not can_claim_from(doc.pool, mine):
		frappe.throw(_("You may not claim leads from pool {0}.").format(doc.pool), frappe.PermissionError)
	s = get_settings()  # one read of the settings for both checks
	check_cooldown(doc.name, mine, s.lead_cooldown_days)
	check_hold_limit(mine, locking, s.lead_hold_limit)
	check_duplicate(doc, mine, locking)
	return transition(doc, "Claim", {"sales_person": mine, "held_since": now_datetime()})


def can_manage(doc, user: str) -> bool:
	"""Sales Managers; a superior for leads of their team; a team lead for pool leads they may
	claim from."""
	if hierarchy.is_scope_free(user):
		return True
	mine = me(user)
	if not hierarchy.has_subordinates(mine):
		return False
	if doc.sales_person:
		return hierarchy.is_within(doc.sales_person, mine)
	return can_claim_from(doc.pool, mine)


def assign(name: str, sales_person: str, reason: str | None = None):
	"""G5: a manager gives a lead (from the pool or from someone in their team) to a salesperson."""
	doc = load(name, "read", queue=True)
	user = frappe.session.user
	reason = clean_reason(reason, required=False)
	if not can_manage(doc, user):
		frappe.throw(_("Only a manager can assign leads."), frappe.PermissionError)
	_require_open(doc)
	_require_enabled(sales_person)
	if not hierarchy.is_scope_free(user) and not hierarchy.is_within(sales_person, me(user)):
		frappe.throw(_("You can only assign leads to someone in your own team."), frappe.PermissionError)
	if sales_person == doc.sales_person:
		frappe.throw(_("{0} already holds this lead.").format(sales_person), ProcessError)
	check_duplicate(doc, sales_person, locking=not doc.flags.fresh_reads)
	return transition(doc, "Assign", {"sales_person": sales_person, "held_since": now_datetime()}, reason)


def release(name: str, reason: str):
	"""G5: the holder (or their manager) puts the lead back into its pool, with a reason."""
	doc = load(name)
	user = frappe.session.user
	reason = clean_reason(reason)
	_require_open(doc)
	if not doc.sales_person:
		frappe.throw(_("Lead {0} is already in the pool.").format(doc.name), ProcessError)
	if doc.sales_person != me(user) and not can_manage(doc, user):
		frappe.throw(
			_("Only the holder or their manager can release lead {0}.").format(doc.name),
			frappe.PermissionError,
		)
	return transition(doc, "Release", {"sales_person": None, "held_since": None}, reason)


def disqualify(name: str, reason: str):
	"""Not a real prospect (spam, no need, unreachable): closed, with a reason."""
	doc = load(name)
	user = frappe.session.user
	reason = clean_reason(reason)
	_require_open(doc)
	if doc.sales_person != me(user) and not can_manage(doc, user):
		frappe.throw(
			_("Only the holder or a manager can disqualify lead {0}.").format(doc.name),
			frappe.PermissionError,
		)
	return transition(doc, "Disqualify", {"status": "Disqualified"}, reason)
