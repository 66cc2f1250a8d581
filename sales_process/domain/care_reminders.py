"""Customer-care reminders (C1, C2): ToDos for the people who own a customer.

- Revisit (C1): a customer with `revisit_interval_days` whose last daily log (by anyone) is at
  least that many days old, or that was never logged and was added at least that long ago.
- Anniversary / birthday (C2): a founding date, or a decision maker's birthday, falling within the
  celebration window (Sales Process Settings); calendar rules (year end, Feb 29) are care.py's.

Owners are the Sales Persons who hold the customer (`holders`, K8: its open opportunities', its
latest won opportunity's and its ERPNext Sales Team), so a won customer keeps its reminders; each
owner's user gets the ToDo (so the data scope of A1 holds: nobody is told about a customer outside
their own book). A revisit of a customer nobody owns goes to the Sales Managers, since somebody
asked for it to be visited; an unowned customer's celebration is left out, as on the workbench.

No duplicates: each reminder has a key (kind, customer, contact, occurrence or last visit, user)
stored in ToDo.sales_process_care_key, which has a unique index. Existing keys are skipped before
inserting, and a run racing this one hits the index and is ignored. A revisit reminder is closed
by the next run once the customer has been logged on or after its date.
"""

import calendar
import hashlib
from datetime import date

import frappe
from frappe import _
from frappe.query_builder import CustomFunction
from frappe.query_builder.functions import Coalesce, Date, Max
from frappe.utils import add_days, formatdate, getdate, today

from sales_process.domain import care, hierarchy, holders, settings
from sales_process.domain.deadlines import DateDiff

KEY_FIELD = "sales_process_care_key"
DateFormat = CustomFunction("DATE_FORMAT", ["date", "format"])


def make_key(kind: str, user: str, *parts) -> str:
	"""`<kind>:<sha1 of the parts>` — short enough for an indexed Data column, readable enough to
	see in a query which kind a ToDo is."""
	digest = hashlib.sha1("|".join(str(p) for p in (kind, user, *parts)).encode()).hexdigest()
	return f"{kind}:{digest[:32]}"


def window_days() -> int:
	return settings.get("celebration_window_days")


def month_days(day: date, window: int) -> list[str]:
	"""'MM-DD' of every date in day … day+window, plus '02-29' when Feb 28 of a common year is in
	it (a Feb 29 date is celebrated then). The database narrows to these; care.py decides."""
	dates = [getdate(add_days(day, i)) for i in range(max(window, 0) + 1)]
	out = {d.strftime("%m-%d") for d in dates}
	if any(d.month == 2 and d.day == 28 and not calendar.isleap(d.year) for d in dates):
		out.add("02-29")
	return sorted(out)


# --- what is due ----------------------------------------------------------------------------------


def due_revisits(day: date) -> list[frappe._dict]:
	"""Customers due for a revisit on `day`: one aggregate over their daily logs."""
	customer = frappe.qb.DocType("Customer")
	log = frappe.qb.DocType("Sales Daily Log")
	last = Coalesce(Max(log.log_date), Date(customer.creation))
	return (
		frappe.qb.from_(customer)
		.left_join(log)
		.on(log.customer == customer.name)
		.select(
			customer.name.as_("customer"),
			customer.customer_name,
			customer.revisit_interval_days.as_("interval"),
			customer.creation,  # HAVING may only name selected columns
			Max(log.log_date).as_("last_logged"),
			last.as_("last_contact"),
		)
		.where((customer.revisit_interval_days > 0) & (customer.disabled == 0))
		.groupby(customer.name)
		.having(DateDiff(day, last) >= customer.revisit_interval_days)
		.orderby(customer.name)
		.run(as_dict=True)
	)


def due_celebrations(day: date, window: int, among=None) -> list[dict]:
	"""Founding anniversaries and decision makers' birthdays within the window; `among` (a
	subquery of customer names) restricts them, e.g. to a user's scope."""
	wanted = month_days(day, window)
	customer = frappe.qb.DocType("Customer")
	contact = frappe.qb.DocType("Contact")
	link = frappe.qb.DocType("Dynamic Link")
	restrict = customer.name.isin(among) if among is not None else customer.name.isnotnull()
	out = []
	for row in (
		frappe.qb.from_(customer)
		.select(customer.name, customer.customer_name, customer.founding_date)
		.where(
			customer.founding_date.isnotnull()
			& (customer.disabled == 0)
			& DateFormat(customer.founding_date, "%m-%d").isin(wanted)
			& restrict
		)
		.run(as_dict=True)
	):
		founded = getdate(row.founding_date)
		if care.within_window(founded, day, window):
			out.append(_celebration("anniversary", founded, day, row.name, row.customer_name))
	for row in (
		frappe.qb.from_(contact)
		.join(link)
		.on((link.parent == contact.name) & (link.parenttype == "Contact"))
		.join(customer)
		.on(customer.name == link.link_name)
		.select(
			contact.name.as_("contact"),
			contact.full_name,
			contact.birthday,
			customer.name.as_("customer"),
			customer.customer_name,
		)
		.distinct()
		.where(
			(link.link_doctype == "Customer")
			& (contact.is_decision_maker == 1)
			& contact.birthday.isnotnull()
			& (customer.disabled == 0)
			& DateFormat(contact.birthday, "%m-%d").isin(wanted)
			& restrict
		)
		.run(as_dict=True)
	):
		born = getdate(row.birthday)
		if care.within_window(born, day, window):
			item = _celebration("birthday", born, day, row.customer, row.customer_name)
			item.update(contact=row.contact, contact_name=row.full_name or row.contact)
			out.append(item)
	out.sort(key=lambda c: (c["date"], c["kind"], c["customer"], c["contact"] or ""))
	return out


def _celebration(kind: str, original: date, day: date, customer: str, customer_name: str | None) -> dict:
	occurrence = care.next_occurrence(original, day)
	return {
		"kind": kind,
		"date": occurrence,
		"original_date": original,
		"days_left": (occurrence - day).days,
		"years": care.years_at(original, occurrence),
		"customer": customer,
		"customer_name": customer_name or customer,
		"contact": None,
		"contact_name": None,
	}


# --- making the ToDos ---------------------------------------------------------------------------------


def make_reminders(day=None) -> dict:
	"""Create today's reminders; returns counts {created, existing, closed}."""
	day = getdate(day or today())
	revisits = due_revisits(day)
	celebrations = due_celebrations(day, window_days())
	book = holders.holders({r.customer for r in revisits} | {c["customer"] for c in celebrations})
	users = hierarchy.users_of({sp for sps in book.values() for sp in sps})
	managers = None

	wanted = []  # (key, user, customer, date, kind, payload)
	for r in revisits:
		targets = {users[sp] for sp in book.get(r.customer, ()) if sp in users}
		if not targets:
			if managers is None:
				from sales_process.domain.notify import sales_managers

				managers = set(sales_managers())
			targets = managers
		for user in targets:
			key = make_key("revisit", user, r.customer, r.last_contact)
			wanted.append((key, user, r.customer, day, "revisit", r))
	for c in celebrations:
		targets = {users[sp] for sp in book.get(c["customer"], ()) if sp in users}
		for user in targets:
			key = make_key(c["kind"], user, c["customer"], c["contact"] or "", c["date"])
			wanted.append((key, user, c["customer"], c["date"], c["kind"], c))

	existing = _existing_keys([w[0] for w in wanted])
	langs = hierarchy.languages({w[1] for w in wanted})
	created = 0
	for key, user, customer, when, kind, payload in wanted:
		if key in existing or user in ("Administrator", "Guest"):
			continue
		existing.add(key)
		if _insert_todo(key, user, customer, when, _describe(kind, payload, day, langs.get(user))):
			created += 1
	return {
		"created": created,
		"existing": len(wanted) - created,
		"closed": close_answered_revisits(),
	}


def _existing_keys(keys: list[str]) -> set[str]:
	if not keys:
		return set()
	todo = frappe.qb.DocType("ToDo")
	found = set()
	for i in range(0, len(keys), 1000):
		chunk = keys[i : i + 1000]
		found.update(
			r[0]
			for r in frappe.qb.from_(todo).select(todo[KEY_FIELD]).where(todo[KEY_FIELD].isin(chunk)).run()
		)
	return found


def _insert_todo(key: str, user: str, customer: str, when, description: str) -> bool:
	frappe.db.savepoint("care_reminder")
	try:
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": user,
				"assigned_by": "Administrator",
				"reference_type": "Customer",
				"reference_name": customer,
				"date": when,
				"priority": "Medium",
				"description": description,
				KEY_FIELD: key,
			}
		).insert(ignore_permissions=True)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		# another run created it between our check and this insert: the index kept it unique
		frappe.db.rollback(save_point="care_reminder")
		return False
	return True


def _describe(kind: str, p, day: date, lang: str | None) -> str:
	if kind == "revisit":
		if p.last_logged:
			return _("Revisit {0}: no daily log for {1} days (asked for every {2} days).", lang=lang).format(
				p.customer_name or p.customer,
				(day - getdate(p.last_logged)).days,
				p.interval,
			)
		return _(
			"Visit {0}: never logged since it was added {1} days ago (asked for every {2} days).", lang=lang
		).format(p.customer_name or p.customer, (day - getdate(p.last_contact)).days, p.interval)
	if kind == "anniversary":
		return _("{0} celebrates {1} years since its founding on {2}.", lang=lang).format(
			p["customer_name"], p["years"], formatdate(p["date"])
		)
	return _("Birthday of {0} ({1}) on {2}.", lang=lang).format(
		p["contact_name"], p["customer_name"], formatdate(p["date"])
	)


def close_answered_revisits() -> int:
	"""Close open revisit reminders whose customer has been logged on or after their date."""
	todo = frappe.qb.DocType("ToDo")
	log = frappe.qb.DocType("Sales Daily Log")
	names = [
		r[0]
		for r in frappe.qb.from_(todo)
		.join(log)
		.on((log.customer == todo.reference_name) & (log.log_date >= todo.date))
		.select(todo.name)
		.distinct()
		.where(
			(todo.status == "Open") & (todo.reference_type == "Customer") & todo[KEY_FIELD].like("revisit:%")
		)
		.run()
	]
	for name in names:
		doc = frappe.get_doc("ToDo", name)
		doc.status = "Closed"
		# saving (not a bulk update) keeps the customer's "assigned to" in step
		doc.save(ignore_permissions=True)
	return len(names)


def open_reminders(user: str, until) -> list[dict]:
	"""The user's open care reminders dated up to `until` (the workbench panel)."""
	todo = frappe.qb.DocType("ToDo")
	customer = frappe.qb.DocType("Customer")
	rows = (
		frappe.qb.from_(todo)
		.left_join(customer)
		.on(customer.name == todo.reference_name)
		.select(
			todo.name,
			todo.date,
			todo.description,
			todo.reference_name.as_("customer"),
			customer.customer_name,
			todo[KEY_FIELD].as_("key"),
		)
		.where(
			(todo.allocated_to == user)
			& (todo.status == "Open")
			& todo[KEY_FIELD].isnotnull()
			& (todo.reference_type == "Customer")
			& (todo.date <= until)
		)
		.orderby(todo.date)
		.orderby(todo.name)
		.limit(50)
		.run(as_dict=True)
	)
	return [
		{
			"name": r.name,
			"date": r.date,
			"kind": (r.key or "").split(":", 1)[0],
			"customer": r.customer,
			"customer_name": r.customer_name or r.customer,
			"description": r.description,
		}
		for r in rows
	]
