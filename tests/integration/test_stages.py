"""Sales Process Stage on the real site: fixtures (P1) and validation (P2)."""

import pytest

import frappe

from sales_process.setup.install import report_stage_set_problems

DEFAULT_STAGES = ["线索确认", "需求调研", "方案/演示", "报价", "商务谈判", "签约", "赢单", "输单"]


def stage(**fields):
	doc = frappe.new_doc("Sales Process Stage")
	doc.update({"probability": 30, "time_limit_days": 5, **fields})
	return doc


def test_default_stages_are_loaded_from_fixtures_with_criteria():
	rows = frappe.get_all(
		"Sales Process Stage",
		fields=["name", "sequence", "probability", "is_won", "is_lost", "time_limit_days"],
		order_by="sequence",
	)
	assert [r.name for r in rows] == DEFAULT_STAGES
	assert [r.name for r in rows if r.is_won] == ["赢单"]
	assert [r.name for r in rows if r.is_lost] == ["输单"]
	open_stages = [r for r in rows if not (r.is_won or r.is_lost)]
	assert all(r.time_limit_days > 0 for r in open_stages)
	assert [r.probability for r in open_stages] == sorted(r.probability for r in open_stages)
	for r in open_stages:
		criteria = frappe.get_doc("Sales Process Stage", r.name).exit_criteria
		assert len(criteria) >= 2, r.name
		assert any(c.mandatory for c in criteria), r.name


def test_the_shipped_stage_set_is_valid_as_a_whole():
	assert report_stage_set_problems() == []


def test_settings_defaults_are_stored():
	assert frappe.db.get_single_value("Sales Process Settings", "backdate_window_days") == 3
	assert frappe.db.get_single_value("Sales Process Settings", "leaderboard_visibility") == "Company"


def test_a_valid_new_stage_is_accepted():
	doc = stage(stage_name="复盘", sequence=65, probability=95, time_limit_days=3)
	doc.append("exit_criteria", {"criterion": "客户已回款", "mandatory": 1})
	doc.insert()
	assert frappe.db.get_value("Sales Process Stage", "复盘", "sequence") == 65


@pytest.mark.parametrize(
	"fields, message",
	[
		({"stage_name": "X1", "sequence": 20}, "Sequence 20 is already used by stage 需求调研"),
		({"stage_name": "X2", "sequence": 61, "probability": 101}, "between 0 and 100"),
		({"stage_name": "X3", "sequence": 62, "probability": -1}, "between 0 and 100"),
		(
			{"stage_name": "X4", "sequence": 95, "probability": 100, "time_limit_days": 0, "is_won": 1},
			"赢单 is already the won stage",
		),
		(
			{"stage_name": "X5", "sequence": 96, "probability": 0, "time_limit_days": 0, "is_lost": 1},
			"输单 is already the lost stage",
		),
		({"stage_name": "X6", "sequence": 97, "is_won": 1, "is_lost": 1}, "cannot be both won and lost"),
		({"stage_name": "X7", "sequence": 95, "probability": 40}, "must come before the terminal stage"),
	],
)
def test_p2_violations_are_refused_with_a_clear_message(fields, message):
	before = frappe.db.count("Sales Process Stage")
	with pytest.raises(frappe.ValidationError, match=message):
		stage(**fields).insert()
	assert frappe.db.count("Sales Process Stage") == before


def test_duplicate_criteria_are_refused():
	doc = stage(stage_name="X8", sequence=63)
	doc.append("exit_criteria", {"criterion": "预算已确认"})
	doc.append("exit_criteria", {"criterion": "预算已确认 "})
	with pytest.raises(frappe.ValidationError, match="listed twice"):
		doc.insert()


def test_the_only_won_stage_cannot_lose_its_flag_or_be_deleted():
	won = frappe.get_doc("Sales Process Stage", "赢单")
	won.is_won = 0
	won.probability = 50
	with pytest.raises(frappe.ValidationError, match="only won stage"):
		won.save()
	with pytest.raises(frappe.ValidationError, match="only won stage"):
		frappe.delete_doc("Sales Process Stage", "赢单")
	assert frappe.db.get_value("Sales Process Stage", "赢单", "is_won") == 1


def test_the_only_lost_stage_cannot_lose_its_flag():
	lost = frappe.get_doc("Sales Process Stage", "输单")
	lost.is_lost = 0
	with pytest.raises(frappe.ValidationError, match="only lost stage"):
		lost.save()


def test_terminal_stage_cannot_have_a_time_limit_or_criteria():
	lost = frappe.get_doc("Sales Process Stage", "输单")
	lost.time_limit_days = 3
	lost.append("exit_criteria", {"criterion": "x"})
	with pytest.raises(frappe.ValidationError, match="terminal") as e:
		lost.save()
	assert "time limit" in str(e.value) and "exit criteria" in str(e.value)


def test_stage_names_are_translated_for_english_users():
	assert frappe._("线索确认", lang="en") == "Lead Qualification"
	assert frappe._("Sales Process Stage", lang="zh") == "销售阶段"


def test_settings_fields_added_later_get_their_defaults_on_migrate():
	from sales_process.domain.settings import store_defaults as ensure_settings

	frappe.db.delete("Singles", {"doctype": "Sales Process Settings", "field": "stagnant_days"})
	frappe.clear_document_cache("Sales Process Settings", "Sales Process Settings")
	ensure_settings()
	assert frappe.db.get_single_value("Sales Process Settings", "stagnant_days") == 30
	# a value someone chose is kept
	frappe.db.set_single_value("Sales Process Settings", "stagnant_days", 45)
	ensure_settings()
	assert frappe.db.get_single_value("Sales Process Settings", "stagnant_days") == 45
