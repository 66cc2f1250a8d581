"""Idempotency keys on the write APIs (issue 22; docs/reliability.md).

A client that did not receive the answer to a write retries it with the same key, in the HTTP
header `Idempotency-Key` or the field `idempotency_key`; the retry gets the first answer back and
writes nothing. `@idempotent`, placed under `@frappe.whitelist(methods=["POST"])`, does it:

1. the key is checked (8–100 of `[A-Za-z0-9._:-]`, else 417);
2. the caller's record of that key is read: the same method and arguments → its stored answer;
   anything else → 422;
3. otherwise the record is inserted first, the method runs, its answer is stored on the record —
   all in the request's own transaction, so a refused write (the request rolls back) leaves no
   key behind and its retry runs again, and a committed write always has its key.

The record's name is sha256(user NUL key), the primary key, so (user, key) is unique in the
database: a second request with the key while the first is running waits on the first's
uncommitted row and, once the first commits, hits the duplicate (or its lock wait times out): 409,
and its next retry gets the stored answer. Keys are per user. `remove_expired` (daily) keeps 24 h.
"""

import functools
import hashlib
import inspect
import json
import re

import frappe
from frappe import _
from frappe.utils import add_to_date, now, now_datetime
from frappe.utils.response import json_handler

DOCTYPE = "Sales Request Key"
HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,100}")
RETENTION_HOURS = 24
PURGE_BATCH = 5000


class InvalidKey(frappe.ValidationError):
	"""417: the key is not 8–100 characters of [A-Za-z0-9._:-]."""


class KeyReused(frappe.ValidationError):
	"""422: the key was used by this user for another method or other arguments."""

	http_status_code = 422


class KeyInProgress(frappe.ValidationError):
	"""409: a request with this key is still running (or finished a moment ago): retry it."""

	http_status_code = 409


def idempotent(fn):
	"""Replays the stored answer of a retried write (see the module docstring). Frappe filters the
	request's fields through `inspect.signature`, which follows `__wrapped__` to `fn`, so neither
	`idempotency_key` nor anything else `fn` does not take reaches it; its type validation also
	reads `fn`'s annotations (copied by `wraps`) and runs before this wrapper."""
	method = f"{fn.__module__}.{fn.__qualname__}"
	signature = inspect.signature(fn)

	@functools.wraps(fn)
	def wrapper(*args, **kwargs):
		key = request_key()
		# nested calls (one decorated method calling another) belong to the outer request's key
		if key is None or frappe.local.flags.idempotency_key_held:
			return fn(*args, **kwargs)
		bound = signature.bind(*args, **kwargs)
		bound.apply_defaults()
		frappe.local.flags.idempotency_key_held = True
		try:
			return run_once(key, method, request_hash(method, bound.arguments), fn, args, kwargs)
		finally:
			frappe.local.flags.idempotency_key_held = False

	return wrapper


def request_key() -> str | None:
	"""The request's key (header, else field), checked; None without one."""
	header = None
	if getattr(frappe.local, "request", None) is not None:
		header = frappe.get_request_header(HEADER)
	field = frappe.local.form_dict.get(FIELD) if getattr(frappe.local, "form_dict", None) else None
	if header in (None, "") and field in (None, ""):
		return None
	if header not in (None, "") and field not in (None, "") and header != field:
		frappe.throw(_("The Idempotency-Key header and the idempotency_key field differ."), InvalidKey)
	key = header if header not in (None, "") else field
	if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
		frappe.throw(
			_("The Idempotency-Key must be 8 to 100 characters: letters, digits and . _ : - (a UUID fits)."),
			InvalidKey,
		)
	return key


def record_name(user: str, key: str) -> str:
	return hashlib.sha256(f"{user}\0{key}".encode()).hexdigest()


def request_hash(method: str, arguments: dict) -> str:
	"""sha256 of the method and the canonical JSON of the arguments the function receives."""
	canonical = json.dumps(
		arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_handler
	)
	return hashlib.sha256(f"{method}\n{canonical}".encode()).hexdigest()


def run_once(key: str, method: str, digest: str, fn, args, kwargs):
	user = frappe.session.user
	name = record_name(user, key)
	t = frappe.qb.DocType(DOCTYPE)
	# a plain (non-locking) read: a locking read of a missing row would take a gap lock that
	# blocks other users' inserts; a row committed after this read is caught by the insert below
	found = (
		frappe.qb.from_(t)
		.select(t.method, t.request_hash, t.response)
		.where(t.name == name)
		.run(as_dict=True)
	)
	if found:
		return replay(found[0], method, digest)
	stamp = now()
	row = {
		"name": name,
		"creation": stamp,
		"modified": stamp,
		"owner": user,
		"modified_by": user,
		"user": user,
		"idempotency_key": key,
		"method": method,
		"request_hash": digest,
	}
	try:
		frappe.qb.into(t).columns(*row).insert(*row.values()).run()
	except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
		in_progress()
	except Exception as e:
		if e.args and frappe.db.is_primary_key_violation(e):
			in_progress()
		raise
	result = fn(*args, **kwargs)
	stored = json.dumps(result, default=json_handler, separators=(",", ":"), ensure_ascii=False)
	frappe.qb.update(t).set(t.response, stored).where(t.name == name).run()
	return result


def replay(row, method: str, digest: str):
	if row.method != method or row.request_hash != digest:
		frappe.throw(_("This Idempotency-Key was already used for a different request."), KeyReused)
	if row.response is None:  # not reachable (stored in the insert's transaction); never replay nothing
		in_progress()
	return json.loads(row.response)


def in_progress():
	frappe.throw(_("This request is still being processed. Try again in a moment."), KeyInProgress)


def remove_expired(batch_size: int = PURGE_BATCH) -> int:
	"""Daily (scheduler_events daily_long): delete the records older than RETENTION_HOURS, a batch
	per transaction so the job never holds many row locks; → the number deleted."""
	t = frappe.qb.DocType(DOCTYPE)
	cutoff = add_to_date(now_datetime(), hours=-RETENTION_HOURS)
	removed = 0
	while True:
		names = frappe.qb.from_(t).select(t.name).where(t.creation < cutoff).limit(batch_size).run(pluck=True)
		if names:
			frappe.qb.from_(t).delete().where(t.name.isin(names)).run()
			# nosemgrep: frappe-manual-commit -- a scheduler job: each batch stands on its own
			frappe.db.commit()
			removed += len(names)
		if len(names) < batch_size:
			return removed
