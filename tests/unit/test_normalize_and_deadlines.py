from datetime import datetime

import pytest

from sales_process.domain import normalize
from sales_process.domain.deadlines import confiscation_cutoff, days_in_stage, due_at, reminder_cutoff


@pytest.mark.parametrize(
	"a, b",
	[
		("上海星河科技有限公司", "上海 星河科技"),
		("上海星河科技股份有限公司", "上海星河科技（有限公司）"),
		("ACME Co., Ltd.", "acme"),
		("Acme Inc", "ACME  LLC"),
		("Ｂｅｉｊｉｎｇ Ｓｕｎ", "beijing sun"),  # full-width
	],
)
def test_same_company_normalises_equal(a, b):
	assert normalize.company_name(a) == normalize.company_name(b) != ""


def test_different_companies_stay_different():
	assert normalize.company_name("Tesco") == "tesco"  # a trailing "co" inside a word stays
	assert normalize.company_name("上海星河科技") != normalize.company_name("上海星河软件")


@pytest.mark.parametrize(
	"raw, expected",
	[
		("+86 138-0013-8000", "13800138000"),
		("008613800138000", "13800138000"),
		("021-6234 5678", "02162345678"),
		("12", ""),
	],
)
def test_phone(raw, expected):
	assert normalize.phone(raw) == expected


def test_email_and_tax_id():
	assert normalize.email("  Sales@Example.COM ") == "sales@example.com"
	assert normalize.email("not an email") == ""
	assert normalize.tax_id("91310000-mA1 fl4xx") == "91310000MA1FL4XX"
	assert normalize.tax_id("12") == ""


def test_due_at_is_calendar_days_and_zero_means_no_limit():
	entered = datetime(2026, 2, 26, 15, 30)
	assert due_at(entered, 3) == datetime(2026, 3, 1, 15, 30)  # across a month end, non-leap year
	assert due_at(entered, 0) is None
	assert due_at(entered, None) is None


def test_reminder_and_confiscation_moments():
	"""The jobs act on rows whose due time is at or before the cutoff for `now`: the reminder two
	days before the due time, confiscation six grace hours after it (none without a grace)."""
	due = datetime(2026, 12, 31, 12, 0)
	assert reminder_cutoff(datetime(2026, 12, 29, 12, 0), 2) == due
	assert confiscation_cutoff(datetime(2026, 12, 31, 18, 0), 6) == due
	assert confiscation_cutoff(due, None) == due


def test_days_in_stage_to_two_decimals():
	entered = datetime(2026, 3, 2, 9, 0)
	assert days_in_stage(entered, datetime(2026, 3, 9, 9, 1)) == 7.0
	assert days_in_stage(entered, datetime(2026, 3, 3, 21, 0)) == 1.5
	assert days_in_stage(None, entered) == 0
