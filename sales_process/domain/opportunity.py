"""Opportunity rules (O1–O5, D3's keep/return/reassign).

Controllers and whitelisted APIs call into here; every state change of a Sales Opportunity
goes through `_transition`, which locks the row, saves with the transition flag (the only way
past the controller's guard on protected fields) and writes one Opportunity Stage Log row. The one
exception is D3's confiscation, which makes the same change to thousands of rows at once, set-based
(domain/confiscation.py).
"""

import json
import math

import frappe
from frappe import _
from frappe.utils import cstr, flt, get_datetime, getdate, now_datetime, today

from sales_process.domain import hierarchy, lost_reasons, normalize
from sales_process.domain.deadlines import days_in_stage, due_at
from sales_process.domain.stages import StageRow, stored_stages

# Fields only the process may change (O4): the form and REST are refused.
PROTECTED_FIELDS = (
	"customer",
	"sales_person",
	"previous_sales_person",
	"stage",
	"stage_entered_at",
	"stage_due_at",
	"status",
	"probability",
	"reminded_for_due",
	"lost_requested",
	"lost_reason",
	"lost_detail",
	"lost_requested_by",
	"lost_requested_at",
)
# K1: what a closed opportunity reports (won amount, forecast, referrals); only correct_closed changes it
FROZEN_WHEN_CLOSED = ("amount", "currency", "customer", "expected_close_date")
CLOSED = ("Won", "Lost")
MAX_EVIDENCE_ANSWER = 2000
MAX_REASON = 2000
MAX_TEXT = 10000  # Small Text / Text fields (TEXT columns: 64 KB, up to 4 bytes a character)


class ClaimConflict(frappe.ValidationError):
	"""O2: another salesperson already holds an open opportunity for this customer."""

	http_status_code = 409


class ProcessError(frappe.ValidationError):
	"""A stage move or ownership change the process does not allow."""

	http_status_code = 417


# --- stages --------------------------------------------------------------------------------------


@frappe.request_cache
def process_stages() -> list[StageRow]:
	return stored_stages()


def stage_row(name: str) -> StageRow:
	for row in process_stages():
		if row.name == name:
			return row
	frappe.throw(_("Stage {0} does not exist.").format(name), ProcessError)


def open_stages() -> list[StageRow]:
	return [s for s in process_stages() if not s.is_terminal]


def first_stage() -> StageRow:
	stages = open_stages()
	if not stages:
		frappe.throw(_("No sales process stages are configured."), ProcessError)
	return stages[0]


def terminal_stage(flag: str) -> StageRow:
	for row in process_stages():
		if getattr(row, flag):
			return row
	frappe.throw(
		_("The sales process has no won stage.")
		if flag == "is_won"
		else _("The sales process has no lost stage."),
		ProcessError,
	)


def next_stage(current: str) -> StageRow:
	"""The stage after `current`: the next open stage, or the won stage after the last one."""
	stages = open_stages()
	names = [s.name for s in stages]
	if current not in names:
		frappe.throw(_("Stage {0} is not an open stage.").format(current), ProcessError)
	i = names.index(current)
	return stages[i + 1] if i + 1 < len(stages) else terminal_stage("is_won")


# --- helpers ---------------------------------------------------------------------------------------


def load(name: str, ptype: str = "write", for_update: bool = True):
	"""get + permission check (+ row lock: transitions racing each other or the confiscation job
	serialise on the opportunity row)."""
	if not name or not isinstance(name, str):
		frappe.throw(_("Opportunity is required."), frappe.MandatoryError)
	doc = frappe.get_doc("Sales Opportunity", name, for_update=for_update)
	doc.check_permission(ptype)
	return doc


def me(user: str | None = None) -> str | None:
	return hierarchy.sales_person_of(user or frappe.session.user)


def _require_open(doc):
	if doc.status != "Open":
		frappe.throw(
			_("Opportunity {0} is {1}; closed opportunities do not move.").format(
				doc.name, _(doc.status, context="Sales Opportunity")
			),
			ProcessError,
		)


def _is_superior(user: str, owner: str | None) -> bool:
	"""The user's Sales Person is strictly above `owner` in the tree."""
	return hierarchy.is_strictly_below(owner, me(user))


def can_manage(doc, user: str) -> bool:
	"""O3: managers (Sales Manager role, or a Sales Person with subordinates above or at the
	current owner) may reassign."""
	if hierarchy.is_scope_free(user):
		return True
	mine = me(user)
	return hierarchy.has_subordinates(mine) and hierarchy.is_within(doc.sales_person, mine)


def can_move_back(doc, user: str) -> bool:
	return hierarchy.is_scope_free(user) or _is_superior(user, doc.sales_person)


def can_approve(doc, user: str) -> bool:
	"""Deciding on a lost request: the owner's superior or a Sales Manager, never the owner."""
	return hierarchy.is_scope_free(user) or _is_superior(user, doc.sales_person)


def holds_confiscated(doc, user: str) -> bool:
	"""The superior now holding a confiscated opportunity (or someone above, or a manager)."""
	return bool(doc.previous_sales_person) and (
		hierarchy.is_scope_free(user) or hierarchy.is_within(doc.sales_person, me(user))
	)


def parse_evidence(evidence) -> dict[str, str]:
	if evidence in (None, ""):
		return {}
	if isinstance(evidence, str):
		try:
			evidence = json.loads(evidence)
		except ValueError:
			frappe.throw(_("Evidence must be a JSON object of criterion → answer."), frappe.ValidationError)
	if not isinstance(evidence, dict):
		frappe.throw(_("Evidence must be a JSON object of criterion → answer."), frappe.ValidationError)
	clean = {}
	for key, value in evidence.items():
		if not isinstance(key, str) or not isinstance(value, str | int | float | bool) and value is not None:
			frappe.throw(_("Each evidence answer must be text."), frappe.ValidationError)
		answer = cstr(value).strip()
		if len(answer) > MAX_EVIDENCE_ANSWER:
			frappe.throw(
				_("The answer to '{0}' is longer than {1} characters.").format(key, MAX_EVIDENCE_ANSWER),
				frappe.ValidationError,
			)
		clean[key.strip()] = answer
	return clean


def missing_criteria(stage: str, evidence: dict[str, str]) -> list[str]:
	doc = frappe.get_cached_doc("Sales Process Stage", stage)
	known = {c.criterion for c in doc.exit_criteria}
	unknown = [k for k in evidence if k not in known]
	if unknown:
		frappe.throw(
			_("Stage {0} has no exit criterion {1}.").format(stage, ", ".join(f"'{u}'" for u in unknown)),
			frappe.ValidationError,
		)
	return [c.criterion for c in doc.exit_criteria if c.mandatory and not evidence.get(c.criterion)]


def write_log(opportunity: str, action: str, **fields) -> str:
	log = frappe.get_doc(
		{
			"doctype": "Opportunity Stage Log",
			"opportunity": opportunity,
			"action": action,
			"at": fields.pop("at", None) or now_datetime(),
			"by_user": fields.pop("by_user", None) or frappe.session.user,
			**fields,
		}
	)
	log.flags.from_process = True
	log.insert(ignore_permissions=True)
	return log.name


def _transition(doc, action: str, changes: dict, note: str | None = None, evidence: dict | None = None):
	before = {k: doc.get(k) for k in ("stage", "sales_person")}
	days = days_in_stage(doc.stage_entered_at, now_datetime())
	doc.update(changes)
	doc.flags.sales_process_transition = True
	doc.save(ignore_permissions=True)  # permission was checked by the caller (load)
	write_log(
		doc.name,
		action,
		from_stage=before["stage"],
		to_stage=doc.stage,
		from_sales_person=before["sales_person"],
		to_sales_person=doc.sales_person,
		days_in_stage=days if before["stage"] != doc.stage else None,
		note=note,
		evidence=json.dumps(evidence, ensure_ascii=False) if evidence else None,
	)
	return doc


def enter_stage(row: StageRow, at=None) -> dict:
	"""The field values of entering a stage now (D1)."""
	at = get_datetime(at or now_datetime())
	return {
		"stage": row.name,
		"stage_entered_at": at,
		"stage_due_at": None if row.is_terminal else due_at(at, row.time_limit_days),
		"probability": row.probability,
		"reminded_for_due": None,
	}


# --- O1 / O2: entry ---------------------------------------------------------------------------------


def check_input_types(doc):
	"""X2: a dict or list where a name belongs would be read as filters by frappe.db.get_value (and
	match any row); a number that is not one would be stored as 0, or break the insert (inf, nan)."""
	for df in doc.meta.fields:
		value = doc.get(df.fieldname)
		if value is None:
			continue
		if df.fieldtype in ("Link", "Data", "Select", "Small Text", "Text") and not isinstance(value, str):
			frappe.throw(_("{0} must be text.").format(_(df.label)), frappe.ValidationError)
		if df.fieldtype in ("Small Text", "Text") and len(value) > MAX_TEXT:
			# a TEXT column holds 64 KB: longer values would fail in the database (a 500)
			frappe.throw(
				_("{0} is longer than {1} characters.").format(_(df.label), MAX_TEXT), frappe.ValidationError
			)
		if df.fieldtype in ("Currency", "Float", "Percent", "Int") and not isinstance(value, bool):
			try:
				number = float(value)
			except (TypeError, ValueError):
				number = None
			if number is None or not math.isfinite(number):
				frappe.throw(_("{0} must be a number.").format(_(df.label)), frappe.ValidationError)


def prepare_new(doc):
	"""Called from the controller's before_insert: owner, first stage, feasibility (O1), claim (O2).
	Input types were checked already (SalesOpportunity._validate_links)."""
	user = frappe.session.user
	mine = me(user)
	if mine:
		if (
			doc.sales_person
			and doc.sales_person != mine
			and not (hierarchy.is_scope_free(user) or hierarchy.is_strictly_below(doc.sales_person, mine))
		):
			frappe.throw(
				_("You can only enter opportunities for yourself or your team."), frappe.PermissionError
			)
		doc.sales_person = doc.sales_person or mine
	elif not (hierarchy.is_scope_free(user) and doc.sales_person):
		frappe.throw(
			_(
				"You are not linked to a Sales Person (Sales Person → Employee → User), so you cannot own opportunities."
			),
			ProcessError,
		)
	if not frappe.db.get_value("Sales Person", doc.sales_person, "enabled"):
		frappe.throw(_("Sales Person {0} is disabled.").format(doc.sales_person), ProcessError)

	if frappe.db.get_value("Customer", doc.customer, "disabled"):
		frappe.throw(_("Customer {0} is disabled.").format(doc.customer), frappe.ValidationError)
	if doc.expected_close_date and getdate(doc.expected_close_date) < getdate(today()):
		frappe.throw(_("The expected close date cannot be in the past."), frappe.ValidationError)
	if not doc.currency:
		doc.currency = frappe.get_cached_value("Company", doc.company, "default_currency")

	doc.update(enter_stage(first_stage()))
	doc.update(
		{
			"status": "Open",
			"previous_sales_person": None,
			"lost_requested": 0,
			"lost_reason": None,
			"lost_detail": None,
			"lost_requested_by": None,
			"lost_requested_at": None,
		}
	)
	check_claim(doc.customer, doc.sales_person)


def matching_customers(customer: str) -> list[str]:
	"""The customer itself and every customer that is the same company by a normalised key."""
	row = frappe.db.get_value(
		"Customer", customer, ["customer_name", "tax_id", "mobile_no", "email_id"], as_dict=True
	)
	if not row:
		frappe.throw(_("Customer {0} does not exist.").format(customer), frappe.LinkValidationError)
	c = frappe.qb.DocType("Customer")
	condition = c.name == customer
	if (same := normalize.matches(c, normalize.customer_identity(row))) is not None:
		condition = condition | same
	return [r[0] for r in frappe.qb.from_(c).select(c.name).where(condition).run()]


def _claim_queue():
	"""O2's site-wide queue: the primary-key lock on Sales Opportunity's own DocType row (always
	there, written only by migrate), held until commit. A per-company row let claims of two companies
	meet in one index gap."""
	dt = frappe.qb.DocType("DocType")
	frappe.qb.from_(dt).select(dt.name).where(dt.name == "Sales Opportunity").for_update().run()


def check_claim(customer: str, owner: str, exclude: str | None = None):
	"""O2, race-free: lock the matching customers' rows (all claimants of one company queue on the
	same locks), then read open opportunities with a locking read, which sees the latest committed
	rows even under REPEATABLE READ.

	That locking read also takes gap locks on the opportunities' customer index, and two claims of
	unrelated customers whose gaps meet would deadlock on their inserts, whichever company sells.
	So every claim first takes the one site-wide claim queue (`_claim_queue`): claims queue instead."""
	_claim_queue()
	customers = sorted(matching_customers(customer))
	c = frappe.qb.DocType("Customer")
	frappe.qb.from_(c).select(c.name).where(c.name.isin(customers)).orderby(c.name).for_update().run()
	o = frappe.qb.DocType("Sales Opportunity")
	query = (
		frappe.qb.from_(o)
		.select(o.name, o.sales_person, o.customer)
		.where(o.customer.isin(customers) & (o.status == "Open") & (o.sales_person != owner))
		.orderby(o.creation)
		.limit(1)
		.for_update()
	)
	if exclude:
		query = query.where(o.name != exclude)
	rows = query.run(as_dict=True)
	if rows:
		clash = rows[0]
		same = clash.customer == customer
		frappe.throw(
			_(
				"{0} already owns open opportunity {1} for this customer; it is protected from duplicate claims."
			).format(clash.sales_person, clash.name)
			if same
			else _(
				"{0} already owns open opportunity {1} for customer {2}, which matches this customer by name, tax ID, phone or email; it is protected from duplicate claims."
			).format(clash.sales_person, clash.name, clash.customer),
			ClaimConflict,
			title=_("Opportunity Already Claimed"),
		)


def guard_protected_fields(doc):
	"""O4: `stage`, `sales_person`, … change only through the process methods; K1: a closed
	opportunity's figures change only through `correct_closed`."""
	if doc.is_new():
		return
	before = doc.get_doc_before_save()
	if not before:
		return
	if before.status in CLOSED and not doc.flags.sales_process_correction:
		frozen = [f for f in FROZEN_WHEN_CLOSED if _differs(doc, before, f)]
		if frozen:
			frappe.throw(
				_("{0} of a closed opportunity cannot be edited. A Sales Manager can correct it.").format(
					", ".join(_(doc.meta.get_label(f)) for f in frozen)
				),
				ProcessError,
				title=_("Not Allowed"),
			)
	if doc.flags.sales_process_transition or doc.flags.sales_process_correction:
		return
	changed = [f for f in PROTECTED_FIELDS if cstr(before.get(f)) != cstr(doc.get(f))]
	if changed:
		labels = ", ".join(_(doc.meta.get_label(f)) for f in changed)
		frappe.throw(
			_(
				"{0} cannot be edited directly. Use Advance Stage, Request Lost, Return or Reassign on the opportunity."
			).format(labels),
			ProcessError,
			title=_("Not Allowed"),
		)


# --- O4: stage moves -------------------------------------------------------------------------------


def advance(name: str, to_stage: str, evidence=None):
	doc = load(name)
	user = frappe.session.user
	_require_open(doc)
	if doc.lost_requested:
		frappe.throw(
			_("A request to close {0} as lost is waiting for approval.").format(doc.name), ProcessError
		)
	answers = parse_evidence(evidence)
	target = stage_row(to_stage)
	current = stage_row(doc.stage)
	if target.is_lost:
		frappe.throw(_("To close an opportunity as lost, use Request Lost."), ProcessError)
	if target.name == current.name:
		frappe.throw(_("The opportunity is already in stage {0}.").format(_(target.name)), ProcessError)

	if target.sequence < current.sequence:
		# a manager may move back, without exit criteria
		if not can_move_back(doc, user):
			frappe.throw(_("Only a manager can move an opportunity back to an earlier stage."), ProcessError)
		return _transition(doc, "Move Back", enter_stage(target), note=answers.get("note"))

	expected = next_stage(current.name)
	if target.name != expected.name:
		frappe.throw(
			_("Stages are passed one at a time: from {0} the next stage is {1}, not {2}.").format(
				_(current.name), _(expected.name), _(target.name)
			),
			ProcessError,
		)
	missing = missing_criteria(current.name, answers)
	if missing:
		frappe.throw(
			_("Answer every mandatory exit criterion of stage {0} first: {1}").format(
				_(current.name), ", ".join(_(m) for m in missing)
			),
			ProcessError,
			title=_("Exit Criteria Not Met"),
		)
	changes = enter_stage(target)
	action = "Advance"
	if target.is_won:
		changes["status"] = "Won"
		action = "Won"
	return _transition(doc, action, changes, evidence=answers)


# --- O3: closing as lost ---------------------------------------------------------------------------


def request_lost(name: str, reason: str, detail: str | None = None):
	"""O3 / K8: the owner asks to close as lost, with a reason from the Sales Lost Reason list and an
	optional explanation; the superior decides."""
	doc = load(name)
	_require_open(doc)
	reason = lost_reasons.check(reason)
	detail = lost_reasons.clean_detail(detail)
	if doc.lost_requested:
		frappe.throw(_("Closing {0} as lost is already requested.").format(doc.name), ProcessError)
	changes = {
		"lost_requested": 1,
		"lost_reason": reason,
		"lost_detail": detail,
		"lost_requested_by": frappe.session.user,
		"lost_requested_at": now_datetime(),
	}
	note = lost_reasons.note(reason, detail)
	_transition(doc, "Lost Requested", changes, note=note)
	from sales_process.domain.notify import notify_sales_person

	notify_sales_person(
		hierarchy.superior_of(doc.sales_person),
		doc,
		_("{0} asks to close {1} ({2}) as lost: {3}").format(
			doc.sales_person, doc.name, doc.customer_name, lost_reasons.note(_(reason), detail)
		),
	)
	return doc


def _check_approver(doc, user: str):
	if can_approve(doc, user):
		return
	frappe.throw(
		_("Only the owner's superior or a Sales Manager can decide on closing {0} as lost.").format(doc.name),
		frappe.PermissionError,
	)


def approve_lost(name: str):
	doc = load(name)
	_require_open(doc)
	if not doc.lost_requested:
		frappe.throw(_("Nobody has asked to close {0} as lost.").format(doc.name), ProcessError)
	_check_approver(doc, frappe.session.user)
	changes = enter_stage(terminal_stage("is_lost"))
	changes["status"] = "Lost"
	return _transition(doc, "Lost", changes, note=lost_reasons.note(doc.lost_reason, doc.lost_detail))


def reject_lost(name: str, note: str | None = None):
	doc = load(name)
	_require_open(doc)
	if not doc.lost_requested:
		frappe.throw(_("Nobody has asked to close {0} as lost.").format(doc.name), ProcessError)
	_check_approver(doc, frappe.session.user)
	changes = {"lost_requested": 0, "lost_requested_by": None, "lost_requested_at": None}
	return _transition(doc, "Lost Rejected", changes, note=cstr(note).strip()[:MAX_REASON] or None)


# --- O3 / D3: ownership ----------------------------------------------------------------------------


def reassign(name: str, sales_person: str, note: str | None = None):
	doc = load(name)
	user = frappe.session.user
	# permission first: a caller who may not reassign learns nothing about the target
	if not can_manage(doc, user):
		frappe.throw(_("Only a manager can reassign opportunities."), frappe.PermissionError)
	_require_open(doc)
	if not sales_person or not frappe.db.exists("Sales Person", sales_person):
		frappe.throw(_("Sales Person {0} does not exist.").format(sales_person), frappe.LinkValidationError)
	if not frappe.db.get_value("Sales Person", sales_person, "enabled"):
		frappe.throw(_("Sales Person {0} is disabled.").format(sales_person), ProcessError)
	if not hierarchy.is_scope_free(user) and not hierarchy.is_within(sales_person, me(user)):
		frappe.throw(_("You can only reassign to someone in your own team."), frappe.PermissionError)
	if sales_person == doc.sales_person:
		frappe.throw(_("{0} already owns this opportunity.").format(sales_person), ProcessError)
	check_claim(doc.customer, sales_person, exclude=doc.name)
	changes = {"sales_person": sales_person, "previous_sales_person": None, **_restart(doc)}
	return _transition(doc, "Reassign", changes, note=note)


def _restart(doc) -> dict:
	"""A new owner gets the stage's full time again."""
	row = stage_row(doc.stage)
	return {"stage_due_at": due_at(now_datetime(), row.time_limit_days), "reminded_for_due": None}


def _check_confiscated_holder(doc, user: str):
	if not doc.previous_sales_person:
		frappe.throw(
			_("{0} was not confiscated, so there is nothing to return or keep.").format(doc.name),
			ProcessError,
		)
	if not holds_confiscated(doc, user):
		frappe.throw(
			_("Only the superior holding {0} can decide on it.").format(doc.name), frappe.PermissionError
		)


def return_opportunity(name: str, note: str | None = None):
	doc = load(name)
	_require_open(doc)
	_check_confiscated_holder(doc, frappe.session.user)
	previous = doc.previous_sales_person
	if not frappe.db.get_value("Sales Person", previous, "enabled"):
		frappe.throw(
			_("Sales Person {0} is disabled; reassign the opportunity instead.").format(previous),
			ProcessError,
		)
	changes = {"sales_person": previous, "previous_sales_person": None, **_restart(doc)}
	return _transition(doc, "Return", changes, note=note)


def keep_opportunity(name: str, note: str | None = None):
	doc = load(name)
	_require_open(doc)
	_check_confiscated_holder(doc, frappe.session.user)
	return _transition(doc, "Keep", {"previous_sales_person": None}, note=note)


# --- K1: correcting a closed opportunity -----------------------------------------------------------


def _differs(doc, before, field: str) -> bool:
	if doc.meta.get_field(field).fieldtype == "Currency":
		return flt(before.get(field)) != flt(doc.get(field))
	return cstr(before.get(field)) != cstr(doc.get(field))


def correct_closed(name: str, reason: str, **values):
	"""K1: a manager corrects the frozen figures of a won or lost opportunity; the Correct log row
	keeps the old and the new values."""
	if not hierarchy.is_scope_free():  # Sales Manager, System Manager (frappe.only_for skips tests)
		frappe.throw(_("Only a Sales Manager can correct a closed opportunity."), frappe.PermissionError)
	doc = load(name)
	if doc.status not in CLOSED:
		frappe.throw(_("{0} is still open; edit it on the form.").format(doc.name), ProcessError)
	reason = cstr(reason).strip()
	if not reason:
		frappe.throw(_("A reason is required to correct a closed opportunity."), frappe.MandatoryError)
	if len(reason) > MAX_REASON:
		frappe.throw(
			_("The reason is longer than {0} characters.").format(MAX_REASON), frappe.ValidationError
		)
	changes = {f: v for f, v in values.items() if f in FROZEN_WHEN_CLOSED and v not in (None, "")}
	if "expected_close_date" in changes:
		try:
			changes["expected_close_date"] = getdate(changes["expected_close_date"])
		except (TypeError, ValueError):
			frappe.throw(_("The expected close date is not a date."), frappe.ValidationError)
	old = {f: doc.get(f) for f in changes}
	doc.update(changes)
	changed = [f for f in changes if _differs(doc, frappe._dict(old), f)]
	if not changed:
		frappe.throw(
			_("Nothing to correct: give a new amount, currency, customer or expected close date."),
			frappe.ValidationError,
		)
	doc.flags.sales_process_correction = True
	doc.save(ignore_permissions=True)  # the role and the document's permission were checked above
	note = "; ".join(f"{_(doc.meta.get_label(f))}: {cstr(old[f])} → {cstr(doc.get(f))}" for f in changed)
	write_log(
		doc.name,
		"Correct",
		from_stage=doc.stage,
		to_stage=doc.stage,
		from_sales_person=doc.sales_person,
		to_sales_person=doc.sales_person,
		note=f"{note}. {reason}"[:MAX_TEXT],
	)
	return doc
