"""Lead conversion (G7): the lead becomes a Customer (linked when the company is one already), a
Contact for the person, and a Sales Opportunity in the first stage owned by the holder.

The opportunity is inserted through its controller, so O1 (owner, first stage, feasibility) and
O2 (another salesperson's open opportunity for a matching customer blocks it) apply unchanged;
G3 is checked again on the lead's identity. A refusal after the customer was made rolls back to a
savepoint, so a failed conversion leaves no customer or contact behind. The lead then moves to Converted through
lead.transition (one Convert log row) and is read-only from then on.
"""

import frappe
from frappe import _
from frappe.utils import add_days, cint, cstr, today

from sales_process.domain import hierarchy, lead, opportunity
from sales_process.setup.org import default_company

# the lead's normalised identity → the Customer's (O2), strongest first: a tax ID names one company
CUSTOMER_KEYS = ("normalized_tax_id", "normalized_company", "normalized_email", "normalized_phone")
SAVEPOINT = "sales_lead_conversion"


def convert(name: str, amount=None, expected_close_date=None) -> dict:
	"""→ {"customer", "contact", "opportunity"}; the caller checked nothing, this checks all."""
	doc = lead.load(name)  # write permission first, and the lead's row lock
	user = frappe.session.user
	if doc.status not in lead.OPEN_STATUSES:
		frappe.throw(
			_("Lead {0} is {1}; only open leads can be converted.").format(
				doc.name, _(doc.status, context="Sales Lead")
			),
			opportunity.ProcessError,
		)
	if not doc.sales_person:
		frappe.throw(
			_("Lead {0} is in the pool; claim or assign it before converting it.").format(doc.name),
			opportunity.ProcessError,
		)
	if doc.sales_person != hierarchy.sales_person_of(user) and not lead.can_manage(doc, user):
		frappe.throw(
			_("Only the holder or their manager can convert lead {0}.").format(doc.name),
			frappe.PermissionError,
		)
	amount = _amount(amount)
	lead.check_identity(doc, doc.sales_person)

	frappe.db.savepoint(SAVEPOINT)
	try:
		customer = matching_customer(doc) or _new_customer(doc)
		contact = _contact(doc, customer)
		opp = frappe.get_doc(
			{
				"doctype": "Sales Opportunity",
				"customer": customer,
				"contact": contact,
				"company": default_company(),
				"sales_person": doc.sales_person,
				"amount": amount,
				"expected_close_date": expected_close_date or default_close_date(),
				"description": cstr(doc.notes) or None,
			}
		).insert()
		lead.transition(
			doc, "Convert", {"status": "Converted", "customer": customer, "opportunity": opp.name}
		)
	except Exception:
		# e.g. O2 refused the opportunity: no customer or contact of this attempt stays behind
		frappe.db.rollback(save_point=SAVEPOINT)
		raise
	return {"customer": customer, "contact": contact, "opportunity": opp.name}


def _amount(amount) -> float:
	if amount in (None, ""):
		return 0.0
	try:
		value = float(amount)
	except (TypeError, ValueError):
		value = -1.0
	if not value >= 0 or value == float("inf"):
		frappe.throw(_("The amount must be a number of at least 0."), frappe.ValidationError)
	return value


def default_close_date() -> str:
	"""Today plus the process's own length: the time limits of the open stages."""
	days = sum(cint(s.time_limit_days) for s in opportunity.open_stages())
	return add_days(today(), days or 30)


def matching_customer(doc) -> str | None:
	"""The existing customer that is this lead's company by a normalised key (O2's matching)."""
	c = frappe.qb.DocType("Customer")
	for key in CUSTOMER_KEYS:
		value = doc.get(key)
		if not value:
			continue
		column = lead.CUSTOMER_IDENTITY[key]
		rows = (
			frappe.qb.from_(c)
			.select(c.name)
			.where((c[column] == value) & (c.disabled == 0))
			.orderby(c.creation)
			.limit(1)
			.run()
		)
		if rows:
			return rows[0][0]
	return None


def _new_customer(doc) -> str:
	company = cstr(doc.company_name).strip()
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": company or cstr(doc.lead_name).strip(),
			"customer_type": "Company" if company else "Individual",
			"customer_group": _default("customer_group", "Customer Group"),
			"territory": doc.territory or _default("territory", "Territory"),
			"industry": doc.industry,
			"tax_id": doc.tax_id,
		}
	)
	customer.insert()
	return customer.name


def _default(field: str, doctype: str) -> str | None:
	return frappe.db.get_single_value("Selling Settings", field) or frappe.db.get_value(
		doctype, {"is_group": 0}, "name", order_by="lft"
	)


def _contact(doc, customer: str) -> str | None:
	"""The person as the customer's Contact: an existing one with the same e-mail or phone, else
	a new one, made the customer's primary contact when it has none (which also gives the
	customer the lead's phone and e-mail for O2's matching)."""
	person = cstr(doc.lead_name).strip()
	if not (person or doc.email or doc.phone):
		return None
	existing = _existing_contact(doc, customer)
	if existing:
		return existing
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": person or cstr(doc.company_name).strip(),
			"company_name": cstr(doc.company_name).strip() or None,
			"links": [{"link_doctype": "Customer", "link_name": customer}],
		}
	)
	if doc.email:
		contact.add_email(doc.email, is_primary=True)
	if doc.phone:
		contact.add_phone(doc.phone, is_primary_mobile_no=True)
	contact.insert()
	row = frappe.get_doc("Customer", customer)
	if not row.customer_primary_contact:
		row.customer_primary_contact = contact.name
		row.email_id, row.mobile_no = contact.email_id, contact.mobile_no
		row.save()
	return contact.name


def _existing_contact(doc, customer: str) -> str | None:
	link = frappe.qb.DocType("Dynamic Link")
	ct = frappe.qb.DocType("Contact")
	same = None
	if doc.email:
		same = ct.email_id == doc.email
	if doc.phone:
		by_phone = (ct.mobile_no == doc.phone) | (ct.phone == doc.phone)
		same = by_phone if same is None else same | by_phone
	if same is None:
		return None
	rows = (
		frappe.qb.from_(ct)
		.join(link)
		.on((link.parent == ct.name) & (link.parenttype == "Contact"))
		.select(ct.name)
		.where((link.link_doctype == "Customer") & (link.link_name == customer) & same)
		.limit(1)
		.run()
	)
	return rows[0][0] if rows else None
