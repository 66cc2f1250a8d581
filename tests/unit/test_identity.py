"""normalize.identity and its SQL counterpart: the one matching of O2 (and of leads)."""

from pypika import MySQLQuery, Table

import frappe

from sales_process.domain import normalize


def test_identity_normalises_every_key():
	keys = normalize.identity(
		name="上海星河科技有限公司",
		tax_id="91310000-mA1 fl4xx",
		phone="+86 138-0013-8000",
		email=" Sales@X.CN ",
	)
	assert keys == {
		"name": "上海星河科技",
		"tax_id": "91310000MA1FL4XX",
		"phone": "13800138000",
		"email": "sales@x.cn",
	}


def test_identity_of_nothing_is_empty_keys():
	assert normalize.identity() == {"name": "", "tax_id": "", "phone": "", "email": ""}
	assert normalize.identity(phone="123", email="no at sign", tax_id="12") == {
		"name": "",
		"tax_id": "",
		"phone": "",
		"email": "",
	}


def test_a_customer_row_maps_to_its_stored_columns():
	row = frappe._dict(customer_name="ACME Co., Ltd.", tax_id=None, mobile_no="0086 13800138000", email_id="")
	assert normalize.customer_columns(row) == {
		"sp_normalized_name": "acme",
		"sp_normalized_tax_id": "",
		"sp_normalized_phone": "13800138000",
		"sp_normalized_email": "",
	}


def test_matches_ors_the_non_empty_keys_only():
	customer = Table("tabCustomer")
	criterion = normalize.matches(customer, normalize.identity(name="ACME Ltd", email="a@b.cn"))
	sql = MySQLQuery.from_(customer).select("name").where(criterion).get_sql()
	assert "`sp_normalized_name`='acme'" in sql
	assert "`sp_normalized_email`='a@b.cn'" in sql
	assert " OR " in sql
	assert "tax_id" not in sql and "phone" not in sql


def test_matches_nothing_by_empty_keys():
	assert normalize.matches(Table("tabCustomer"), normalize.identity()) is None


def test_matches_takes_another_table_s_columns():
	lead = Table("tabSales Lead")
	columns = {"name": "normalized_company", "tax_id": "normalized_tax_id", "phone": "p", "email": "e"}
	criterion = normalize.matches(lead, normalize.identity(tax_id="91310000MA1FL4XX"), columns)
	assert (
		MySQLQuery.from_(lead)
		.select("name")
		.where(criterion)
		.get_sql()
		.endswith("WHERE `normalized_tax_id`='91310000MA1FL4XX'")
	)
