"""Frappe's WSGI application with a translated "try again" for the moments the database or Redis is
away (docs/reliability.md, "What a user sees during a fault"). Serve `sales_process.wsgi:application`
(or `application_with_statics()`) with gunicorn instead of `frappe.app:…`.

Why a WSGI wrapper and not a hook: with MariaDB down, Frappe v15 fails before any `before_request`
hook runs (the session is read in `init_request`), and for a POST its `finally` block then rolls back
on the dead connection, so the exception escapes `frappe.app.application` and gunicorn answers a bare
500; no `after_request` hook runs either. A GET in the same moment gets a 500 carrying the
traceback. Only code around the application can turn both into an honest 503 with Retry-After.

What counts as transient: the database connection failing or lost (PyMySQL's OperationalError and
InterfaceError), Redis unreachable or loading, and a deadlock or lock-wait timeout (Frappe's
QueryDeadlockError / QueryTimeoutError, answered 409). Every other 500 passes through untouched."""

import json
import os

import frappe
import frappe.app
from frappe.translate import get_translation_dict_from_file

UNAVAILABLE, BUSY = 503, 409
# the exception class names Frappe puts in `exc_type` of a JSON error, → our status
TRANSIENT = {
	"OperationalError": UNAVAILABLE,
	"InterfaceError": UNAVAILABLE,
	"ConnectionError": UNAVAILABLE,
	"TimeoutError": UNAVAILABLE,
	"BusyLoadingError": UNAVAILABLE,
	"QueryDeadlockError": BUSY,
	"QueryTimeoutError": BUSY,
}
RETRY_AFTER = {UNAVAILABLE: "5", BUSY: "1"}
TITLE = {UNAVAILABLE: "Service Unavailable", BUSY: "Try Again"}
TEXT = {
	UNAVAILABLE: "The server is briefly unavailable. Please try again in a moment.",
	BUSY: "The server is busy with the same records. Please try again in a moment.",
}
_TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")
_dictionaries: dict[str, dict[str, str]] = {}


def status_of(exc: BaseException) -> int | None:
	"""503/409 for a transient failure, None for anything else (a real bug stays a 500)."""
	return TRANSIENT.get(type(exc).__name__) if _is_infrastructure(exc) else None


def _is_infrastructure(exc: BaseException) -> bool:
	module = type(exc).__module__ or ""
	return module.startswith(("pymysql", "redis", "frappe"))


def _language(environ) -> str:
	"""The caller's language: what Frappe had worked out for this request (the user's setting), else
	the browser's Accept-Language. `frappe.init` starts every request at the site's default ("en"),
	and a request that fails while reading the session never gets further, so "en" there is no
	answer. Read from the app's own translation files: the database and the cache may be away."""
	frappe_lang = getattr(frappe.local, "lang", None) if hasattr(frappe, "local") else None
	header = environ.get("HTTP_ACCEPT_LANGUAGE") or ""
	for lang in (
		frappe_lang if frappe_lang not in (None, "", "en") else None,
		header.split(",")[0].split(";")[0],
	):
		lang = (lang or "").strip().lower()
		for candidate in (lang, lang.split("-")[0]):
			if candidate and os.path.exists(os.path.join(_TRANSLATIONS, f"{candidate}.csv")):
				return candidate
	return "en"


def _(text: str, lang: str) -> str:
	if lang == "en":
		return text
	if lang not in _dictionaries:
		path = os.path.join(_TRANSLATIONS, f"{lang}.csv")
		_dictionaries[lang] = get_translation_dict_from_file(path, lang, "sales_process")
	return _dictionaries[lang].get(text) or text


def _answer(environ, start_response, status: int, lang: str):
	title, text = _(TITLE[status], lang), _(TEXT[status], lang)
	path, accept = environ.get("PATH_INFO") or "", environ.get("HTTP_ACCEPT") or ""
	if path.startswith("/api/") or "json" in accept:
		message = {"message": text, "title": title, "indicator": "orange"}
		body = json.dumps(
			{
				"exc_type": "ServiceUnavailable" if status == UNAVAILABLE else "TryAgain",
				"_server_messages": json.dumps([json.dumps(message)]),
			}
		).encode()
		content_type = "application/json"
	else:
		from html import escape

		body = (
			f"<!doctype html><meta charset=utf-8><title>{escape(title)}</title>"
			f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
		).encode()
		content_type = "text/html; charset=utf-8"
	reason = "Service Unavailable" if status == UNAVAILABLE else "Conflict"
	start_response(
		f"{status} {reason}",
		[
			("Content-Type", content_type),
			("Content-Length", str(len(body))),
			("Retry-After", RETRY_AFTER[status]),
			("Cache-Control", "no-store"),
		],
	)
	return [body]


def _release():
	# what frappe.app's after-response wrapper would have done had the request not blown up
	try:
		frappe.destroy()
	except Exception:
		pass


class TryAgain:
	"""Wraps a WSGI application: a transient failure becomes 503 (or 409) with a translated
	message and Retry-After, whether it escaped the application or came back as a 500."""

	def __init__(self, app):
		self.app = app

	def __call__(self, environ, start_response):
		seen = {}

		def hold_500(status, headers, exc_info=None):
			seen.update(status=status, headers=headers)
			if status.startswith("500"):
				# the language now, while frappe.local still holds the request (not on every answer)
				seen["lang"] = _language(environ)
				return lambda _data: None  # answered below, once the body has been read
			return start_response(status, headers, exc_info)

		try:
			body = self.app(environ, hold_500)
		except Exception as exc:
			status = status_of(exc)
			if status is None:
				raise
			lang = _language(environ)
			_release()
			return _answer(environ, start_response, status, lang)
		if not seen.get("status", "").startswith("500"):
			return body
		try:
			data = b"".join(body)
		finally:
			if hasattr(body, "close"):
				body.close()
		status = _status_of_body(data)
		if status is None:
			start_response(seen["status"], seen["headers"])
			return [data]
		return _answer(environ, start_response, status, seen["lang"])


def _status_of_body(data: bytes) -> int | None:
	try:
		exc_type = json.loads(data).get("exc_type")
	except (ValueError, AttributeError):
		return None
	return TRANSIENT.get(exc_type)


application = TryAgain(frappe.app.application)


def application_with_statics():
	"""`frappe.app.application_with_statics()` (the desk's /assets and /files, as `scripts/dev up`
	serves them) behind the same wrapper."""
	return TryAgain(frappe.app.application_with_statics())
