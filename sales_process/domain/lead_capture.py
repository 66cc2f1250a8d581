"""Lead capture channels (G2): what each channel adds to the one creation path (lead.prepare_new).

- Web Form (Guest): Frappe's Web Form inserts the lead (`frappe.flags.in_web_form`); the app's
  override of its `accept` (overrides/web_form.py) adds the per-client hourly limit and keeps a
  duplicate from telling a Guest anything about the lead it matched.
- E-mail: an Email Account with "Append To" Sales Lead; Frappe's receive path (InboundMail) makes
  the lead from the sender and the subject (the doctype's sender/subject fields).
- Data Import: Frappe's Data Import doctype (`frappe.flags.in_import`), one Data Import Log row per
  row with its result.
- REST and the desk: a plain insert; integrations name their source, the default is "Other".
"""

import frappe
from frappe import _
from frappe.utils import cstr, escape_html

WEB_FORM_FIELDS = ("lead_name", "company_name", "phone", "email", "notes")


def channel_source(doc) -> str | None:
	"""The source a channel stands for, when the lead does not name one."""
	if frappe.flags.in_web_form:
		return "Web Form"
	if frappe.flags.in_import:
		return "Import"
	if doc.get("email_subject"):
		return "Email"
	return None


def prepare(doc):
	"""First step of lead.prepare_new: the channel's source (when the lead names none)."""
	if doc.source:
		return
	source = channel_source(doc)
	if source and frappe.db.exists("Sales Lead Source", source):
		doc.source = source


def note_repeat_enquiry(match: str, data: dict):
	"""A web-form enquiry that matched an existing lead or opportunity (G3) is not a new lead: its
	text goes on the record it matched, for the holder to see, instead of back to the Guest."""
	doctype = "Sales Lead" if frappe.db.exists("Sales Lead", match) else "Sales Opportunity"
	if not frappe.db.exists(doctype, match):
		return
	lines = [
		f"<b>{escape_html(_(frappe.get_meta('Sales Lead').get_label(f)))}</b>: {escape_html(cstr(data.get(f)))}"
		for f in WEB_FORM_FIELDS
		if cstr(data.get(f)).strip()
	]
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Comment",
			"reference_doctype": doctype,
			"reference_name": match,
			"comment_email": "Guest",
			"comment_by": _("Web Form"),
			"content": _("The prospect sent the web form again:") + "<br>" + "<br>".join(lines),
		}
	).insert(ignore_permissions=True)
