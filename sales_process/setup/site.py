"""Non-interactive preparation of a development or test site (used by scripts/dev).

Completes ERPNext's setup wizard (company, fiscal year, currency), stores the exchange rates
ERPNext would otherwise ask an internet service for, and names the roles the desk needs.
"""

import frappe
from frappe.utils import add_years, getdate, nowdate

PROFILES = {
	"dev": {
		"company_name": "示例科技有限公司",
		"company_abbr": "SLKJ",
		"full_name": "Demo Admin",
		"email": "admin@example.com",
	},
	"test": {
		"company_name": "_Test Sales Process Co",
		"company_abbr": "_TSP",
		"full_name": "Test Admin",
		"email": "test-admin@example.com",
	},
}


def prepare_site(mode: str):
	profile = PROFILES[mode]
	complete_setup_wizard(profile)
	ensure_fiscal_years(profile["company_name"])
	ensure_exchange_rates()
	ensure_outbox()
	frappe.db.commit()  # nosemgrep: frappe-manual-commit -- a CLI command: nothing else commits for us


def complete_setup_wizard(profile: dict):
	from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

	if frappe.is_setup_complete():
		return
	year = getdate(nowdate()).year
	setup_complete(
		{
			"currency": "CNY",
			"full_name": profile["full_name"],
			"company_name": profile["company_name"],
			"timezone": "Asia/Shanghai",
			"company_abbr": profile["company_abbr"],
			"industry": "Technology",
			"country": "China",
			"fy_start_date": f"{year}-01-01",
			"fy_end_date": f"{year}-12-31",
			"language": "English",
			"company_tagline": "",
			"email": profile["email"],
			"password": frappe.generate_hash(length=16),
			"chart_of_accounts": "Standard",
		}
	)
	frappe.db.set_single_value("Selling Settings", "cust_master_name", "Customer Name")
	frappe.db.set_single_value("System Settings", "enable_scheduler", 1)


def ensure_fiscal_years(company: str):
	"""Last year to next year, so demo history and tests with a moved clock have a fiscal year."""
	this_year = getdate(nowdate()).year
	for year in range(this_year - 2, this_year + 2):
		name = str(year)
		if frappe.db.exists("Fiscal Year", {"year_start_date": f"{year}-01-01"}):
			continue
		fy = frappe.new_doc("Fiscal Year")
		fy.year = name
		fy.year_start_date = f"{year}-01-01"
		fy.year_end_date = f"{year}-12-31"
		fy.append("companies", {"company": company})
		fy.insert(ignore_permissions=True)


def ensure_exchange_rates():
	"""ERPNext asks a web service for missing rates; store the ones the app's data uses."""
	start = add_years(nowdate(), -3)
	for from_cur, to_cur, rate in (("USD", "CNY", 7.1), ("CNY", "USD", 0.14), ("EUR", "CNY", 7.7)):
		if frappe.db.exists("Currency Exchange", {"from_currency": from_cur, "to_currency": to_cur}):
			continue
		frappe.get_doc(
			{
				"doctype": "Currency Exchange",
				"date": start,
				"from_currency": from_cur,
				"to_currency": to_cur,
				"exchange_rate": rate,
				"for_buying": 1,
				"for_selling": 1,
			}
		).insert(ignore_permissions=True)


def ensure_outbox():
	"""A default outgoing account, so notification emails are queued (Email Queue) on development
	and test sites; scripts/dev sets mute_emails, so nothing is ever sent from them."""
	if frappe.db.exists("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
		return
	in_test = frappe.flags.in_test
	frappe.flags.in_test = True  # Email Account skips its SMTP connection check in tests
	try:
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": "Sales Process Outbox",
				"email_id": "noreply@sales-process.example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"smtp_port": 2525,
				"no_smtp_authentication": 1,
				"enable_incoming": 0,
				"awaiting_password": 0,
			}
		).insert(ignore_permissions=True)
	finally:
		frappe.flags.in_test = in_test
