"""Frappe's Web Form `accept`, for web forms on Sales Lead (G2); other web forms are untouched.

Frappe's own accept (rate-limited per minute) still inserts the lead. Around it:
- a per-client hourly limit from the settings (`lead_web_form_rate_limit`), counted by Frappe's
  rate limiter, with a message a prospect understands;
- it never edits: a submission naming an existing document is refused (PermissionError);
- a Guest learns nothing about other leads: Frappe would send the inserted document back (holder,
  pool, score), and a duplicate (G3) would name the lead and its holder. The answer is empty
  either way, and a repeated enquiry is noted on the record it matched.
"""

import json

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.website.doctype.web_form.web_form import accept as frappe_accept

from sales_process.domain import lead_capture
from sales_process.domain.lead import DuplicateLead
from sales_process.domain.settings import get_settings


@rate_limit(limit=lambda: get_settings().lead_web_form_rate_limit, seconds=60 * 60)
def _count_submission():
	"""Counted per client address (Frappe's rate limiter) for an hour."""


@frappe.whitelist(allow_guest=True)
def accept(web_form: str, data: str):
	if frappe.db.get_value("Web Form", web_form, "doc_type") != "Sales Lead":
		return frappe_accept(web_form, data)
	if _data(data).get("name"):
		# a lead form only ever adds an enquiry; refused before it counts against the client
		frappe.throw(_("This form cannot change an existing enquiry."), frappe.PermissionError)
	try:
		_count_submission()
	except frappe.RateLimitExceededError:
		frappe.clear_messages()
		frappe.throw(
			_("Too many enquiries were sent from your address. Please try again in an hour."),
			frappe.RateLimitExceededError,
			title=_("Please Wait"),
		)
	try:
		frappe_accept(web_form, data)
	except DuplicateLead as error:
		frappe.clear_messages()
		lead_capture.note_repeat_enquiry(error.match, _data(data))
	return {}


def _data(data: str) -> dict:
	try:
		value = json.loads(data)
	except ValueError:
		return {}
	return value if isinstance(value, dict) else {}
