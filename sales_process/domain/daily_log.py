"""Daily logs (L1–L3): validation, the per-salesperson hash chain and its check.

Every entry stores `content_hash` = SHA-256 of its canonical content, which includes the
previous entry's hash and the entry's position in the salesperson's chain. Appends to one chain
are serialised by locking that Sales Person's row, so concurrent inserts cannot fork it. An entry
altered in the database no longer matches its hash; an entry removed leaves a gap (its successor
still names it in `previous_entry`, and the positions skip one).
"""

import hashlib
import json
import math
from collections.abc import Iterable, Iterator

import frappe
from frappe import _
from frappe.utils import add_days, cint, cstr, flt, get_datetime, getdate, now_datetime, today

from sales_process.domain import check_in, hierarchy, holders, lead, lead_scoring, settings

GENESIS = "0" * 64
# custom fields on Sales Person holding the last entry of that person's chain: its name, position
# and hash (setup/custom_fields.py); Sales Person columns → the keys of a log row
HEAD_FIELDS = {
	"sales_process_chain_head": "name",
	"sales_process_chain_seq": "chain_seq",
	"sales_process_chain_hash": "content_hash",
}
MAX_NOTE = 2000
MAX_ACTIVITIES = 20
MINUTES_PER_DAY = 24 * 60


class DailyLogError(frappe.ValidationError):
	pass


# --- canonical content and hash (pure) ---------------------------------------------------------


def canonical_v1(entry: dict) -> str:
	"""Version 1 (entries written before K2): the entry's content without its derived fields."""
	activities = ",".join(sorted(entry.get("activities") or []))
	parts = [
		cstr(entry.get("sales_person")),
		str(getdate(entry.get("log_date"))),
		cstr(entry.get("customer")),
		cstr(entry.get("opportunity")),
		activities,
		str(cint(entry.get("minutes"))),
		f"{flt(entry.get('cost')):.2f}",
		cstr(entry.get("note")),
		str(cint(entry.get("difficulty"))),
		cstr(entry.get("corrects")),
		str(cint(entry.get("chain_seq"))),
		cstr(entry.get("previous_entry")),
		cstr(entry.get("previous_hash")),
	]
	# a lead (G7) is hashed only when named, so entries written before leads existed keep their hash
	if entry.get("lead"):
		parts.append("lead=" + cstr(entry.get("lead")))
	return SEPARATOR.join(parts)


def _when(value) -> str:
	return get_datetime(value).strftime("%Y-%m-%d %H:%M:%S.%f") if value else ""


def _stored_parts(entry: dict) -> list[str]:
	"""Every stored field of version 2 (HASHED_V2) and the activity rows, as canonical text."""
	return [
		cstr(entry.get("owner")),
		_when(entry.get("creation")),
		str(cint(entry.get("docstatus"))),
		cstr(entry.get("sales_person")),
		str(getdate(entry.get("log_date"))),
		cstr(entry.get("customer")),
		cstr(entry.get("lead")),
		cstr(entry.get("opportunity")),
		# ordered as the rows are (idx), not sorted: moving a row is a change too
		",".join(cstr(a) for a in entry.get("activities") or []),
		str(cint(entry.get("minutes"))),
		f"{flt(entry.get('cost')):.2f}",
		cstr(entry.get("note")),
		str(cint(entry.get("difficulty"))),
		cstr(entry.get("corrects")),
		f"{flt(entry.get('effective_score')):.4f}",
		cstr(entry.get("stage")),
		_when(entry.get("entered_at")),
		str(cint(entry.get("chain_seq"))),
		cstr(entry.get("previous_entry")),
		cstr(entry.get("previous_hash")),
	]


def canonical_v2(entry: dict) -> str:
	"""Version 2 (K2): every stored field of the entry (HASHED_V2), its activity rows in their
	order, and the version itself, so an entry cannot be passed off as version 1."""
	return SEPARATOR.join(["v2", *_stored_parts(entry)])


def canonical_v3(entry: dict) -> str:
	"""Version 3 (F2): version 2's fields and the visit check-in (`check_in.HASHED`), so a moved or
	removed check-in, or a changed distance, reads as an altered entry."""
	return SEPARATOR.join(["v3", *_stored_parts(entry), *check_in.hash_parts(entry)])


# the unit separator cannot be typed into a field, so no two contents join to the same text
SEPARATOR = "\x1f"
CANONICAL = {1: canonical_v1, 2: canonical_v2, 3: canonical_v3}
CHAIN_VERSION = 3  # what new entries, and rows chained in bulk, are written under
# the stored columns version 2 covers besides the activity rows; everything of the doctype except
# the hash itself, plus Frappe's owner/creation/docstatus (modified and the _seen/_comments/…
# bookkeeping columns are Frappe's to update and no report reads them)
HASHED_V2 = (
	"owner", "creation", "docstatus", "sales_person", "log_date", "customer", "lead", "opportunity",
	"minutes", "cost", "note", "difficulty", "corrects", "effective_score", "stage", "entered_at",
	"chain_seq", "previous_entry", "previous_hash", "chain_version",
)  # fmt: skip
# version 3 adds the check-in; what verify reads of every entry (a version 1 or 2 entry has the
# check-in columns empty, and its canonical text leaves them out)
HASHED = HASHED_V2 + check_in.HASHED


def canonical(entry: dict) -> str:
	"""The text that is hashed, by the entry's chain version (a dict without one is version 1)."""
	version = cint(entry.get("chain_version")) or 1
	if version not in CANONICAL:
		raise DailyLogError(_("Unknown daily log chain version {0}.").format(version))
	return CANONICAL[version](entry)


def content_hash(entry: dict) -> str:
	return hashlib.sha256(canonical(entry).encode()).hexdigest()


def _is_finite_number(value) -> bool:
	"""inf and nan parse as floats but cannot be stored (the insert would fail with a 500)."""
	if isinstance(value, bool):
		return False
	try:
		return math.isfinite(float(value))
	except (TypeError, ValueError):
		return False


def entry_dict(doc) -> dict:
	return {
		"owner": doc.owner,
		"creation": doc.creation,
		"docstatus": doc.docstatus,
		"sales_person": doc.sales_person,
		"log_date": doc.log_date,
		"customer": doc.customer,
		"lead": doc.lead,
		"opportunity": doc.opportunity,
		"activities": [a.activity_type for a in sorted(doc.activities, key=lambda a: cint(a.idx))],
		"minutes": doc.minutes,
		"cost": doc.cost,
		"note": doc.note,
		"difficulty": doc.difficulty,
		"corrects": doc.corrects,
		"effective_score": doc.effective_score,
		"stage": doc.stage,
		"entered_at": doc.entered_at,
		"chain_seq": doc.chain_seq,
		"previous_entry": doc.previous_entry,
		"previous_hash": doc.previous_hash,
		"chain_version": doc.chain_version,
		**{field: doc.get(field) for field in check_in.HASHED},
	}


# --- validation (L3) ---------------------------------------------------------------------------------


def validate_new(doc):
	"""Everything about a new entry, with clear messages; nothing is written when any fails."""
	user = frappe.session.user
	mine = hierarchy.sales_person_of(user)
	if not mine:
		frappe.throw(
			_(
				"You are not linked to a Sales Person (Sales Person → Employee → User), so you cannot file daily logs."
			),
			DailyLogError,
		)
	doc.sales_person = mine
	limits = settings.get_settings()

	doc.log_date = getdate(doc.log_date or today())
	if doc.log_date > getdate(today()):
		frappe.throw(_("A daily log cannot be dated in the future."), DailyLogError)
	window = limits.backdate_window_days
	if doc.log_date < getdate(add_days(today(), -window)):
		frappe.throw(
			_("A daily log can be dated at most {0} days back.").format(window),
			DailyLogError,
		)

	if not _is_finite_number(doc.minutes) or not _is_finite_number(doc.cost or 0):
		frappe.throw(_("Minutes and cost must be numbers."), DailyLogError)
	if cint(doc.minutes) < 0:
		frappe.throw(_("Minutes cannot be negative."), DailyLogError)
	if cint(doc.minutes) == 0:
		frappe.throw(_("Enter how many minutes the work took."), DailyLogError)
	if flt(doc.cost) < 0:
		frappe.throw(_("Cost cannot be negative."), DailyLogError)
	day_limit = min(limits.max_minutes_per_day, MINUTES_PER_DAY)
	logged = lock_chain(doc)["minutes"]
	if logged + cint(doc.minutes) > day_limit:
		frappe.throw(
			_("{0} already logged {1} minutes on {2}; {3} more would exceed {4} minutes for one day.").format(
				doc.sales_person, logged, frappe.format(doc.log_date, "Date"), cint(doc.minutes), day_limit
			),
			DailyLogError,
		)
	if doc.note and len(doc.note) > MAX_NOTE:
		frappe.throw(_("The note is longer than {0} characters.").format(MAX_NOTE), DailyLogError)

	if doc.difficulty and not (doc.opportunity or doc.customer):
		frappe.throw(
			_("A difficulty needs an opportunity or a customer: help alerts are raised on them."),
			DailyLogError,
		)
	if doc.difficulty and not cstr(doc.note).strip():
		frappe.throw(_("Describe the difficulty in the note."), DailyLogError)

	has_visit = _validate_activities(doc)
	if doc.lead and doc.customer:
		frappe.throw(_("Name either a customer or a lead, not both."), DailyLogError)
	if not (doc.lead or doc.customer):
		frappe.throw(_("Name the customer, or the lead, the work was for."), DailyLogError)
	if doc.lead:
		_validate_lead(doc, user)
	else:
		_validate_customer(doc, user, doc.flags.locked_chain["owners"])
	_validate_opportunity(doc, user)
	if doc.difficulty and not doc.opportunity:
		# K8: the help alert goes on the customer, which the logger must be able to act for
		holders.check_may_act_for(doc.customer, user)
	_validate_correction(doc, user)
	check_in.validate(doc, has_visit)


def _validate_activities(doc):
	names = [cstr(a.activity_type).strip() for a in doc.activities]
	if not names:
		frappe.throw(_("Tick at least one activity."), DailyLogError)
	if len(names) > MAX_ACTIVITIES:
		frappe.throw(_("At most {0} activities per entry.").format(MAX_ACTIVITIES), DailyLogError)
	if len(set(names)) != len(names):
		frappe.throw(_("An activity is ticked twice."), DailyLogError)
	# the cached documents (Redis): Frappe drops an activity type's copy whenever it is saved,
	# renamed or deleted, so a changed score counts from the next entry on
	known = {
		n: frappe.get_cached_value("Sales Activity Type", n, ["score", "is_effective", "is_visit"])
		for n in names
	}
	unknown = [n for n in names if not known[n]]
	if unknown:
		frappe.throw(_("Unknown activity: {0}").format(", ".join(unknown)), DailyLogError)
	doc.effective_score = sum(flt(score) for score, effective, _visit in known.values() if effective)
	return any(cint(visit) for _score, _effective, visit in known.values())


def _validate_customer(doc, user, owners: list[str]):
	"""`owners`: who holds an open opportunity for the customer, read with the chain's lock."""
	# the request's copy of Frappe's link check of the same field (no second query)
	if not doc.customer or not frappe.db.get_value("Customer", doc.customer, "name", cache=True):
		frappe.throw(_("Customer {0} does not exist.").format(doc.customer or ""), DailyLogError)
	# the document-level check is needed (ERPNext's employee Company User Permission also applies to
	# the customer's child rows); the cached document spares loading the Customer and its child
	# tables from the database on every entry, and Frappe drops it whenever the customer changes
	customer = frappe.get_cached_doc("Customer", doc.customer)
	if not frappe.has_permission("Customer", "read", doc=customer, user=user):
		frappe.throw(_("You cannot see customer {0}.").format(doc.customer), frappe.PermissionError)
	# a customer another team holds an open opportunity for is theirs (O2): no work on it here
	if owners and not any(hierarchy.in_scope(owner, user) for owner in owners):
		frappe.throw(
			_("Customer {0} is owned by {1}; you cannot log work on it.").format(
				doc.customer, ", ".join(owners)
			),
			frappe.PermissionError,
		)


def _validate_lead(doc, user):
	"""G7: work on a prospect before it is a customer counts, on a lead the user's team holds."""
	row = frappe.db.get_value("Sales Lead", doc.lead, ["sales_person", "status", "customer"], as_dict=True)
	if not row:
		frappe.throw(_("Lead {0} does not exist.").format(doc.lead), DailyLogError)
	if row.status == "Converted":
		frappe.throw(
			_("Lead {0} became customer {1}; log the work on the customer.").format(doc.lead, row.customer),
			DailyLogError,
		)
	if row.status == "Disqualified":
		frappe.throw(_("Lead {0} is disqualified.").format(doc.lead), DailyLogError)
	if not row.sales_person:
		frappe.throw(
			_("Lead {0} is in the pool; claim it before logging work on it.").format(doc.lead),
			frappe.PermissionError,
		)
	if not hierarchy.in_scope(row.sales_person, user):
		frappe.throw(
			_("Lead {0} is held by {1}; you cannot log work on it.").format(doc.lead, row.sales_person),
			frappe.PermissionError,
		)
	if doc.opportunity:
		frappe.throw(
			_("An opportunity belongs to a customer: name the customer, not the lead."), DailyLogError
		)


def _validate_opportunity(doc, user):
	if not doc.opportunity:
		doc.stage = None
		return
	opp = frappe.db.get_value(
		"Sales Opportunity", doc.opportunity, ["customer", "sales_person", "stage"], as_dict=True
	)
	if not opp:
		frappe.throw(_("Opportunity {0} does not exist.").format(doc.opportunity), DailyLogError)
	if not hierarchy.in_scope(opp.sales_person, user):
		frappe.throw(
			_("Opportunity {0} is not yours or your team's.").format(doc.opportunity), frappe.PermissionError
		)
	if opp.customer != doc.customer:
		frappe.throw(
			_("Opportunity {0} is for customer {1}, not {2}.").format(
				doc.opportunity, opp.customer, doc.customer
			),
			DailyLogError,
		)
	doc.stage = opp.stage


def _validate_correction(doc, user):
	if not doc.corrects:
		return
	original = frappe.db.get_value("Sales Daily Log", doc.corrects, ["sales_person"], as_dict=True)
	if not original:
		frappe.throw(_("Daily log {0} does not exist.").format(doc.corrects), DailyLogError)
	if original.sales_person != doc.sales_person:
		frappe.throw(_("You can only correct your own daily logs."), frappe.PermissionError)


# --- the chain -------------------------------------------------------------------------------------


def lock_chain(doc) -> dict:
	"""Lock the salesperson's row (the chain's lock) when validation first needs what is read with
	it: {"head": the chain's last entry or None, "minutes": already logged on the entry's day (L3),
	"owners": who holds an open opportunity for its customer (O2)}. Read afresh by every insert
	attempt (validate runs again on a retry) and kept on `doc.flags.locked_chain` for the rest of
	validation and for `link_into_chain`, in the same transaction."""
	doc.flags.locked_chain = _read_locked(doc.sales_person, doc.log_date, doc.customer)
	return doc.flags.locked_chain


def link_into_chain(doc):
	"""Called right before insert: follow the chain's head read under the salesperson's lock.

	Keeping the head (the last entry's name, position and hash) on the Sales Person row means that
	appending needs no range read of the log: a locking range read takes gap locks, and two people's
	first entries, falling into one gap of the (sales_person, chain_seq) index, deadlocked."""
	# taken by validate_new in this attempt; never a head read before a rollback
	last = doc.flags.pop("locked_chain")["head"]
	if last:
		doc.chain_seq = cint(last["chain_seq"]) + 1
		doc.previous_entry = str(last["name"])
		doc.previous_hash = last["content_hash"]
	else:
		doc.chain_seq, doc.previous_entry, doc.previous_hash = 1, "", GENESIS
	doc.entered_at = now_datetime()
	doc.chain_version = CHAIN_VERSION
	# Frappe sanitises HTML in text fields after before_save; do it now so that the hash covers
	# exactly what is stored (a note with markup would otherwise read as "altered" forever)
	doc._sanitize_content()
	doc.content_hash = content_hash(entry_dict(doc))


def _read_locked(sales_person: str, log_date, customer: str | None) -> dict:
	"""One statement: the locking read of the Sales Person row, which serialises appends to one chain
	and sees the latest committed head, and beside it, as plain (non-locking) subqueries, the day's
	minutes and the customer's open-opportunity holders. MariaDB locks only the rows of the outer
	table here: no gap lock on the log or the opportunities, whose ranges other people's entries and
	opportunities share. A head whose entry was since removed from the database is still followed,
	so the next entry keeps naming it and the gap stays visible to the integrity check."""
	# nosemgrep: frappe-using-db-sql -- row lock serialising the salesperson's chain appends
	stored = frappe.db.sql(
		f"""select {", ".join(f"sp.`{c}`" for c in HEAD_FIELDS)},
			(select coalesce(sum(l.minutes), 0) from `tabSales Daily Log` l
				where l.sales_person = sp.name and l.log_date = %(day)s),
			(select json_arrayagg(distinct o.sales_person) from `tabSales Opportunity` o
				where o.customer = %(customer)s and o.status = 'Open')
		from `tabSales Person` sp where sp.name = %(sales_person)s for update""",
		{"sales_person": sales_person, "day": log_date, "customer": customer or ""},
	)
	*head, minutes, owners = stored[0]
	return {
		"head": _head(sales_person, head),
		"minutes": cint(minutes),
		"owners": json.loads(owners) if owners else [],
	}


def _head(sales_person: str, stored: list) -> dict | None:
	"""The chain's last entry as {name, chain_seq, content_hash}, or None (an empty chain)."""
	if stored[0]:
		return dict(zip(HEAD_FIELDS.values(), stored, strict=True))
	# No head: an empty chain, or rows written in bulk (demo, generators) that bypassed the
	# controller. A plain read tells them apart; only bulk rows pay for the gap-locking scan.
	log = frappe.qb.DocType("Sales Daily Log")
	newest = (
		frappe.qb.from_(log)
		.select(log.name, log.chain_seq, log.content_hash)
		.where(log.sales_person == sales_person)
		.orderby(log.chain_seq, order=frappe.qb.desc)
		.limit(1)
	)
	if not newest.run():
		return None
	return newest.for_update().run(as_dict=True)[0]


def record_lead_contact(doc):
	"""After insert of an entry naming a lead (G7): the lead's last contact (which the pool's
	follow-up period counts from, G5) and its score's recent-activity rule (G6)."""
	lead.record_contact(doc.lead, doc.entered_at)
	lead_scoring.refresh(doc.lead)


def advance_chain_head(doc):
	"""After insert: the new entry is its chain's head (the Sales Person row is locked already)."""
	frappe.db.set_value(
		"Sales Person",
		doc.sales_person,
		{column: doc.get(key) for column, key in HEAD_FIELDS.items()},
		update_modified=False,
	)


def chain_in_bulk(rows: Iterable[dict]) -> Iterator[dict]:
	"""Link rows written in bulk (the demo, the benchmark generator), which bypass the controller,
	into valid chains: each row (a Sales Daily Log row as a dict with its `name`, its content and
	`activities`) gets chain_seq, previous_entry, previous_hash and content_hash, and is yielded.

	`rows` come oldest first per salesperson, for people without entries so far; afterwards call
	`reset_chain_heads` for them."""
	heads: dict[str, tuple[int, str, str]] = {}
	for row in rows:
		seq, previous_entry, previous_hash = heads.get(row["sales_person"], (0, "", GENESIS))
		row.update(
			chain_seq=seq + 1,
			previous_entry=previous_entry,
			previous_hash=previous_hash,
			chain_version=CHAIN_VERSION,
			docstatus=row.get("docstatus") or 0,
		)
		row["content_hash"] = content_hash(row)
		heads[row["sales_person"]] = (seq + 1, str(row["name"]), row["content_hash"])
		yield row


def reset_chain_heads(sales_persons: list[str] | None = None):
	"""Set each Sales Person's head to their chain's last entry after logs were written in bulk
	(demo, benchmark generator) and on migrate; people without entries get none."""
	only = "where sales_person in %(people)s" if sales_persons else ""
	# nosemgrep: frappe-using-db-sql -- one set-based UPDATE … JOIN; frappe.qb cannot join in an update
	frappe.db.sql(
		f"""update `tabSales Person` sp
		left join (
			select l.sales_person, l.name, l.chain_seq, l.content_hash
			from `tabSales Daily Log` l
			join (
				select sales_person, max(chain_seq) as seq from `tabSales Daily Log` {only}
				group by sales_person
			) m on m.sales_person = l.sales_person and m.seq = l.chain_seq
		) head on head.sales_person = sp.name
		set sp.sales_process_chain_head = head.name, sp.sales_process_chain_seq = coalesce(head.chain_seq, 0),
			sp.sales_process_chain_hash = head.content_hash
		{"where sp.name in %(people)s" if sales_persons else ""}""",
		{"people": sales_persons or [""]},
	)


def mark_unversioned_entries():
	"""Migrate patch (K2): entries written before chain versions existed are version 1. Their hash
	is left as it was; re-hashing would bless whatever had been altered in them meanwhile."""
	log = frappe.qb.DocType("Sales Daily Log")
	frappe.qb.update(log).set(log.chain_version, 1).where(
		log.chain_version.isnull() | (log.chain_version == 0)
	).run()


def chain_head(sales_person: str) -> dict | None:
	head = frappe.db.get_value("Sales Person", sales_person, list(HEAD_FIELDS), as_dict=True)
	if not head or not head.sales_process_chain_head:
		return None
	return {key: head[column] for column, key in HEAD_FIELDS.items()}


def chain_problems(
	rows: list[dict], activities: dict[str, list[str]], head: dict | None = None
) -> list[dict]:
	"""Check one salesperson's entries, ordered by chain position (pure: rows in, problems out).
	`head` is the last entry as their Sales Person row recorded it: it stands in for the successor
	the last entry does not have, so a removed or re-hashed last entry is caught too."""
	problems = []
	expected_seq, previous_name, previous_hash = 1, "", GENESIS
	for row in rows:
		name = str(row["name"])
		seq = cint(row["chain_seq"])
		if seq > expected_seq or (row["previous_entry"] or "") != previous_name:
			missing = row["previous_entry"] or _("position {0}").format(expected_seq)
			problems.append(
				{
					"entry": missing,
					"problem": _(
						"Entry {0} is missing: it was removed from the database (entry {1} follows it)."
					).format(missing, name),
				}
			)
		elif row["previous_hash"] != previous_hash:
			problems.append(
				{
					"entry": previous_name or name,
					"problem": _("Entry {0} no longer matches the hash its successor {1} recorded.").format(
						previous_name or name, name
					),
				}
			)
		entry = dict(row, activities=activities.get(name, []))
		version = cint(row.get("chain_version")) or 1
		if version not in CANONICAL:
			problems.append(
				{
					"entry": name,
					"chain_version": version,
					"problem": _("Entry {0} names chain version {1}, which does not exist.").format(
						name, version
					),
				}
			)
		elif content_hash(entry) != row["content_hash"] or (
			# versions before 3 had no check-in: one found on them was put there afterwards
			version < check_in.SINCE_CHAIN_VERSION and row.get("check_in_at")
		):
			problems.append(
				{
					"entry": name,
					"chain_version": version,
					"problem": _(
						"Entry {0} (chain version {1}) was altered after it was written: its content no longer matches its hash."
					).format(name, version),
				}
			)
		expected_seq, previous_name, previous_hash = seq + 1, name, row["content_hash"]
	if head:
		last = rows[-1] if rows else None
		if last is None or cint(head["chain_seq"]) > cint(last["chain_seq"]):
			problems.append(
				{
					"entry": str(head["name"]),
					"problem": _(
						"Entry {0} is missing: it was removed from the database (it was the last entry)."
					).format(head["name"]),
				}
			)
		elif str(last["name"]) == str(head["name"]) and last["content_hash"] != head["content_hash"]:
			problems.append(
				{
					"entry": str(head["name"]),
					"problem": _("Entry {0} no longer matches the hash its chain recorded.").format(
						head["name"]
					),
				}
			)
	version_of = {str(r["name"]): cint(r.get("chain_version")) or 1 for r in rows}
	for p in problems:
		# an entry removed from the database has no version left to report
		p.setdefault("chain_version", version_of.get(str(p["entry"])))
	return _dedupe(problems)


def _dedupe(problems):
	seen, out = set(), []
	for p in problems:
		key = (p["entry"], p["problem"])
		if key not in seen:
			seen.add(key)
			out.append(p)
	return out


def verify(sales_persons: list[str]) -> dict:
	"""L2 integrity check for the given chains (streams one chain at a time)."""
	log = frappe.qb.DocType("Sales Daily Log")
	act = frappe.qb.DocType("Sales Daily Log Activity")
	problems = []
	for sp in sales_persons:
		rows = (
			frappe.qb.from_(log)
			.select(log.name, log.content_hash, *(getattr(log, f) for f in HASHED))
			.where(log.sales_person == sp)
			.orderby(log.chain_seq)
			.run(as_dict=True)
		)
		head = chain_head(sp)
		if not rows and not head:
			continue
		activities: dict[str, list[str]] = {}
		for a in (
			frappe.qb.from_(act)
			.join(log)
			.on(act.parent == log.name)
			.select(act.parent, act.activity_type)
			.where((log.sales_person == sp) & (act.parenttype == "Sales Daily Log"))
			.orderby(act.parent)
			.orderby(act.idx)
			.run(as_dict=True)
		):
			activities.setdefault(str(a.parent), []).append(a.activity_type)
		problems += chain_problems(rows, activities, head)
	return {"ok": not problems, "problems": problems}


def chains_in_scope(sales_person: str | None = None) -> list[str]:
	user = frappe.session.user
	if sales_person:
		if not hierarchy.in_scope(sales_person, user):
			frappe.throw(_("You cannot check {0}'s daily logs.").format(sales_person), frappe.PermissionError)
		return [sales_person]
	log = frappe.qb.DocType("Sales Daily Log")
	people = set(frappe.qb.from_(log).select(log.sales_person).distinct().run(pluck=True))
	# a chain whose every entry was removed still has its head
	people.update(frappe.get_all("Sales Person", {"sales_process_chain_head": ("is", "set")}, pluck="name"))
	return sorted(p for p in people if hierarchy.in_scope(p, user))
