"""The sales process in the desk, end to end, as real users in a real browser.

One story in steps that run in file order (each step skips when an earlier one failed):
the salesperson logs in and opens the workbench, enters an opportunity, answers the exit criteria
and advances it, files a daily log in three steps, raises a help alert; a colleague of the same
team answers it on the workbench; the salesperson marks the answer effective and opens the
experience entry it made; the manager opens the Sales Funnel and sees the chart; the salesperson,
switched to Chinese, sees the workbench in Chinese and moves the opportunity on, on the Opportunity
Board through the same exit-criteria dialog; the manager opens every report (their filters come from
the app's shared desk script) and the workspace's charts. Each step asserts what the page shows and,
where it is cheap, what the database holds."""

import json

import frappe
from frappe.utils import add_days, add_months, get_first_day, today

from tests.e2e.story import db, en, need

FORM = ".page-container:visible"
DIALOG = ".modal.show"


FIRST_STAGE, SECOND_STAGE, THIRD_STAGE = "线索确认", "需求调研", "方案/演示"
REASON = "决策人难以接触"
ACTIVITIES = ("拜访客户", "电话沟通")
AMOUNT = 88000
MINUTES, COST = 45, 120


def test_01_salesperson_logs_in_and_opens_workbench(open_as, cast, story):
	rep = open_as("rep")
	rep.open("sales-workbench")
	rep.see("Sales Workbench", f"{FORM} .page-title", "the workbench's title")
	for card in ("Today", "Personal Forecast", "Help Alerts", "Pipeline (closest to won first)"):
		rep.see(card, f"{FORM} .sp-wb-card-title", f"the workbench card {card!r}")
	with rep.check("a linked salesperson sees no 'not linked' notice; no entries yet today"):
		assert rep.current(".sp-wb-notice").count() == 0
		assert rep.current(".sp-wb-grid").is_visible()
		figures = rep.page.locator(f"{FORM} .sp-wb-card").first.locator(".sp-wb-figure").all_inner_texts()
		assert figures == ["0", "0", "0"], figures
	rep.shot("workbench")
	story["logged_in"] = True


def test_02_salesperson_creates_an_opportunity(open_as, cast, story):
	need(story, "logged_in")
	rep = open_as("rep")
	rep.open("sales-opportunity/new")
	close_date = add_days(today(), 30)
	with rep.check("fill the new opportunity"):
		rep.current(".frappe-control[data-fieldname='customer'] input").wait_for(state="visible")
		rep.fill_link("customer", cast.customer, FORM)
		rep.fill("amount", AMOUNT, FORM)
		rep.fill_date("expected_close_date", close_date, FORM)
		rep.fill("next_action", f"Send the proposal {cast.tag}", FORM)
		rep.shot("new-opportunity")
		rep.page.keyboard.press("Control+s")
		rep.page.wait_for_url("**/app/sales-opportunity/SOPP-*")
		name = rep.wait_form("Sales Opportunity")
	rep.see(en(FIRST_STAGE), f"{FORM} .sales-opportunity-stage-path", "the stage path")
	rep.see(f"Exit criteria of {en(FIRST_STAGE)}", f"{FORM} .sales-opportunity-stage-path")
	rep.see(en("已确认客户联系人及联系方式"), f"{FORM} .sales-opportunity-stage-path", "an exit criterion")
	rep.see(f"Advance to {en(SECOND_STAGE)}", f"{FORM} button", "the advance button")
	with rep.check("the form shows the owner and the customer"):
		assert rep.page.evaluate("cur_frm.doc.sales_person") == cast.sp["rep"]
		assert cast.customer in rep.current(".frappe-control[data-fieldname='customer']").inner_text() or (
			rep.page.evaluate("cur_frm.doc.customer") == cast.customer
		)
	rep.shot("opportunity-saved")

	row = db().get_value(
		"Sales Opportunity",
		name,
		["customer", "sales_person", "stage", "status", "amount", "expected_close_date"],
		as_dict=True,
	)
	assert row.customer == cast.customer and row.sales_person == cast.sp["rep"], row
	assert (row.stage, row.status, float(row.amount)) == (FIRST_STAGE, "Open", AMOUNT), row
	assert str(row.expected_close_date) == close_date
	assert db().exists("Opportunity Stage Log", {"opportunity": name, "action": "Create"})
	story["opportunity"] = name


def test_03_salesperson_answers_exit_criteria_and_advances(open_as, cast, story):
	need(story, "opportunity")
	name = story["opportunity"]
	rep = open_as("rep")
	rep.open(f"sales-opportunity/{name}")
	answers = {}
	with rep.check("answer the exit criteria in the advance dialog"):
		rep.page.locator(f"{FORM} button:visible", has_text=f"Advance to {en(SECOND_STAGE)}").first.click()
		rep.see(f"Advance to {en(SECOND_STAGE)}", f"{DIALOG} .modal-title")
		rep.wait_dialog_shown()
		criteria = frappe.get_all(
			"Sales Process Stage Criterion",
			{"parent": FIRST_STAGE, "parenttype": "Sales Process Stage"},
			["criterion", "mandatory"],
			order_by="idx",
		)
		assert criteria, "the first stage has exit criteria"
		for i, c in enumerate(criteria):
			rep.see(en(c.criterion), f"{DIALOG} .control-label", f"the criterion {c.criterion!r}")
			answers[c.criterion] = f"answer {i + 1} {cast.tag}"
			rep.fill(f"criterion_{i}", answers[c.criterion], DIALOG)
		rep.shot("exit-criteria")
		rep.primary_in_dialog()
		rep.wait_dialog_closed()
	rep.see(f"Moved to {en(SECOND_STAGE)}", "#alert-container", "the success alert")
	rep.see(f"Exit criteria of {en(SECOND_STAGE)}", f"{FORM} .sales-opportunity-stage-path", "the new stage")
	rep.see(f"Advance to {en(THIRD_STAGE)}", f"{FORM} button", "the next advance button")
	rep.shot("advanced")

	row = db().get_value("Sales Opportunity", name, ["stage", "probability", "stage_due_at"], as_dict=True)
	assert row.stage == SECOND_STAGE and float(row.probability) == 20 and row.stage_due_at, row
	log = db().get_value(
		"Opportunity Stage Log",
		{"opportunity": name, "action": "Advance"},
		["from_stage", "to_stage", "by_user", "evidence"],
		as_dict=True,
	)
	assert (log.from_stage, log.to_stage, log.by_user) == (FIRST_STAGE, SECOND_STAGE, cast.users["rep"])
	assert json.loads(log.evidence) == answers
	story["advanced"] = True


def test_04_salesperson_files_a_daily_log_in_three_steps(open_as, cast, story):
	need(story, "advanced")
	rep = open_as("rep")
	rep.open("sales-workbench")
	note = f"Visited the buyer {cast.tag}"
	with rep.check("file a daily log from the workbench"):
		rep.current(".sp-wb-grid").wait_for(state="visible")
		rep.current("button.primary-action").click()
		for step in ("1. Customer", "2. Activities", "3. Time and Cost"):
			rep.see(step, f"{DIALOG} .section-head", f"step {step!r} of the quick log")
		rep.fill_link("customer", cast.customer, DIALOG)
		rep.fill_link("opportunity", story["opportunity"], DIALOG)
		for activity in ACTIVITIES:
			rep.page.locator(
				f"{DIALOG} .frappe-control[data-fieldname='activities'] label", has_text=en(activity)
			).locator("input[type='checkbox']").check()
		rep.fill("minutes", MINUTES, DIALOG)
		rep.fill("cost", COST, DIALOG)
		rep.fill("note", note, DIALOG)
		rep.shot("daily-log-dialog")
		rep.primary_in_dialog()
		rep.wait_dialog_closed()
	rep.see("saved", "#alert-container", "the 'Daily log … saved' alert")
	score = sum(db().get_value("Sales Activity Type", a, "score") for a in ACTIVITIES)
	with rep.check("today's figures on the workbench count the new entry"):
		rep.page.wait_for_function(
			"""() => {
				const first = document.querySelector('.sp-wb-card .sp-wb-figure');
				return first && first.innerText.trim() !== '0';
			}"""
		)
		figures = rep.page.locator(f"{FORM} .sp-wb-card").first.locator(".sp-wb-figure").all_inner_texts()
		assert [float(x) for x in figures] == [MINUTES, score, 1], figures
	rep.shot("workbench-after-log")

	log = db().get_value(
		"Sales Daily Log",
		{"sales_person": cast.sp["rep"]},
		[
			"name",
			"customer",
			"opportunity",
			"minutes",
			"cost",
			"note",
			"log_date",
			"chain_seq",
			"content_hash",
		],
		as_dict=True,
	)
	assert (log.customer, log.opportunity, log.minutes, float(log.cost)) == (
		cast.customer,
		story["opportunity"],
		MINUTES,
		COST,
	), log
	assert log.note == note and str(log.log_date) == today() and log.chain_seq == 1 and log.content_hash
	ticked = db().get_all("Sales Daily Log Activity", {"parent": log.name}, pluck="activity_type")
	assert sorted(ticked) == sorted(ACTIVITIES)
	story["daily_log"] = log.name


def test_05_salesperson_raises_a_help_alert(open_as, cast, story):
	need(story, "opportunity")
	rep = open_as("rep")
	rep.open(f"sales-opportunity/{story['opportunity']}")
	description = f"The decision maker will not meet us {cast.tag}"
	with rep.check("raise a help alert from the opportunity's Actions menu"):
		rep.page.locator(f"{FORM} .inner-group-button button:visible", has_text="Actions").first.click()
		rep.page.locator(f"{FORM} .dropdown-menu:visible a", has_text="Raise Help Alert").first.click()
		rep.see("Raise Help Alert", f"{DIALOG} .modal-title")
		rep.fill_link("reason", REASON, DIALOG, search=en(REASON))  # English users search by the translation
		rep.fill("description", description, DIALOG)
		rep.shot("raise-dialog")
		rep.primary_in_dialog()
		rep.page.wait_for_url("**/app/help-alert/HELP-*")
		alert = rep.wait_form("Help Alert")
	rep.see(description, FORM, "the alert's description")
	rep.see("Open", f"{FORM} .indicator-pill", "the alert's status")
	rep.shot("alert-raised")

	row = db().get_value(
		"Help Alert",
		alert,
		["opportunity", "raised_by", "reason", "status", "stage", "raised_by_sales_person"],
		as_dict=True,
	)
	assert (row.opportunity, row.raised_by, row.reason, row.status) == (
		story["opportunity"],
		cast.users["rep"],
		REASON,
		"Open",
	), row
	assert row.raised_by_sales_person == cast.sp["rep"]
	story["alert"] = alert


def test_06_colleague_answers_on_the_workbench(open_as, cast, story):
	need(story, "alert")
	alert = story["alert"]
	colleague = open_as("colleague")
	colleague.open("sales-workbench")
	analysis = f"Ask their CFO for an introduction {cast.tag}"
	countermeasure = f"Invite both to the demo day {cast.tag}"
	respond = f"{FORM} .sp-wb-respond[data-alert='{alert}']"
	colleague.see(alert, f"{FORM} .sp-wb-row", "the alert on the colleague's workbench")
	with colleague.check("answer the alert from the workbench"):
		colleague.shot("workbench-with-alert")
		colleague.page.locator(respond).first.click()
		colleague.see(f"Respond to {alert}", f"{DIALOG} .modal-title")
		colleague.fill("analysis", analysis, DIALOG)
		colleague.fill("countermeasure", countermeasure, DIALOG)
		colleague.shot("respond-dialog")
		colleague.primary_in_dialog()
		colleague.wait_dialog_closed()
	colleague.see("Response sent", "#alert-container", "the confirmation")
	with colleague.check("an answered alert leaves 'I could answer'"):
		colleague.page.locator(respond).first.wait_for(state="detached")
	colleague.shot("responded")

	responses = db().get_all(
		"Help Alert Response",
		{"parent": alert, "parenttype": "Help Alert"},
		["name", "responder", "analysis", "countermeasure", "is_effective"],
	)
	assert len(responses) == 1, responses
	assert (responses[0].responder, responses[0].analysis, responses[0].countermeasure) == (
		cast.users["colleague"],
		analysis,
		countermeasure,
	)
	story["analysis"] = analysis


def test_07_raiser_marks_the_answer_effective_and_finds_the_experience(open_as, cast, story):
	need(story, "alert", "analysis")
	alert = story["alert"]
	rep = open_as("rep")
	rep.open(f"help-alert/{alert}", reload=True)
	rep.see(story["analysis"], FORM, "the colleague's answer on the alert")
	with rep.check("mark the answer effective"):
		rep.page.locator(
			f"{FORM} .inner-group-button button:visible", has_text="Method Effective"
		).first.click()
		rep.page.locator(
			f"{FORM} .dropdown-menu:visible a", has_text=f"Response 1 by {cast.users['colleague']}"
		).first.click()
		rep.see("Mark this answer as the method that worked?", DIALOG)
		rep.shot("confirm-effective")
		rep.primary_in_dialog()
	rep.see("experience entry", "#alert-container", "the 'Resolved; experience entry … created' alert")
	rep.see("Resolved. The answer is in the experience pool", f"{FORM} .form-message", "the headline")
	rep.see("Resolved", f"{FORM} .indicator-pill", "the resolved status")
	rep.shot("resolved")
	with rep.check("open the experience entry from the headline"):
		rep.page.locator(f"{FORM} .form-message a[href*='/app/experience-entry/']").first.click()
		rep.page.wait_for_url("**/app/experience-entry/EXP-*")
		entry = rep.wait_form("Experience Entry")
	rep.see(story["analysis"], FORM, "the answer in the experience entry")
	rep.see(f"The decision maker will not meet us {cast.tag}", FORM, "the problem in the experience entry")
	rep.shot("experience-entry")

	row = db().get_value("Help Alert", alert, ["status", "resolved_at", "experience_entry"], as_dict=True)
	assert (row.status, row.experience_entry) == ("Resolved", entry) and row.resolved_at, row
	source, stage, reason = db().get_value(
		"Experience Entry", entry, ["source_help_alert", "stage", "reason"]
	)
	assert (source, stage, reason) == (alert, SECOND_STAGE, REASON)
	assert db().get_value("Help Alert Response", {"parent": alert}, "is_effective") == 1
	story["experience"] = entry


def test_08_manager_sees_the_funnel_chart(open_as, cast, story):
	need(story, "advanced")
	manager = open_as("manager")
	manager.open("query-report/Sales Funnel", sales_person=cast.sp["lead"])
	manager.see("Sales Funnel", f"{FORM} .page-title", "the report's title")
	with manager.check("the funnel for the team shows the chart and the opportunity's stage"):
		manager.current(".chart-wrapper svg").wait_for(state="visible")
		manager.page.wait_for_function(
			"() => frappe.query_report && frappe.query_report.data && frappe.query_report.data.length > 0"
		)
		assert (
			manager.page.evaluate("frappe.query_report.get_filter_value('sales_person')") == cast.sp["lead"]
		)
		data = manager.page.evaluate("frappe.query_report.data")
		by_stage = {row.get("stage"): row for row in data}
		assert by_stage[SECOND_STAGE]["count"] == 1 and by_stage[SECOND_STAGE]["amount"] == AMOUNT, data
		assert sum(row.get("count") or 0 for row in data if row.get("kind") == "Open") == 1, data
		labels = manager.current(".chart-wrapper svg").text_content()
		assert en(SECOND_STAGE)[:8] in labels, labels  # x-axis labels are shortened
		# the Needs Analysis bars (amount, weighted) are drawn: bars with a height
		manager.page.wait_for_function(
			"""() => [...document.querySelectorAll('.chart-wrapper svg rect.bar')]
				.filter((r) => parseFloat(r.getAttribute('height')) > 0).length >= 2"""
		)
	manager.see(en(SECOND_STAGE), f"{FORM} .dt-scrollable", "the stage row in the table")
	manager.see("88,000", f"{FORM} .report-summary", "the open amount in the summary")
	manager.shot("funnel")


def test_09_salesperson_in_chinese_sees_the_chinese_workbench(open_as, cast, story):
	need(story, "logged_in")
	cast.set_language("rep", "zh")
	rep = open_as("rep", fresh=True)  # the language comes with the session: log in again
	rep.open("sales-workbench")
	with rep.check("the desk runs in Chinese"):
		assert rep.page.evaluate("frappe.boot.lang") == "zh"
	rep.see("销售工作台", f"{FORM} .page-title", "the workbench's Chinese title")
	rep.see("新建日志", f"{FORM} button.primary-action", "the Chinese 'New Daily Log' button")
	rep.see("困难报警", f"{FORM} .sp-wb-card-title", "the Chinese 'Help Alerts' card")
	rep.see("今天", f"{FORM} .sp-wb-card-title", "the Chinese 'Today' card")
	if "advanced" in story:
		rep.see(SECOND_STAGE, f"{FORM} .sp-wb-card", "the stage in Chinese in the pipeline")
	rep.shot("workbench-zh")


def test_10_salesperson_advances_on_the_board_through_the_same_dialog(open_as, cast, story):
	"""Dropping the card on the next stage opens the form's exit-criteria dialog
	(sales_process.advance_dialog) with the board's introduction; the rep is still in Chinese."""
	need(story, "advanced")
	name = story["opportunity"]
	rep = open_as("rep")
	zh = rep.page.evaluate("frappe.boot.lang") == "zh"
	second = SECOND_STAGE if zh else en(SECOND_STAGE)
	third = THIRD_STAGE if zh else en(THIRD_STAGE)
	rep.open("opportunity-board")
	card = f"{FORM} .sp-board-card[data-name='{name}']"
	answers = {}
	with rep.check("drop the card on the next stage and answer its exit criteria"):
		rep.page.locator(card).first.wait_for(state="visible")
		rep.page.locator(card).first.drag_to(
			rep.page.locator(f"{FORM} .sp-board-column[data-stage='{THIRD_STAGE}']").first
		)
		rep.see(f"推进到 {third}" if zh else f"Advance to {third}", f"{DIALOG} .modal-title")
		rep.see(f"回答 {second} 的退出标准" if zh else f"Answer the exit criteria of {second}", DIALOG)
		criteria = frappe.get_all(
			"Sales Process Stage Criterion",
			{"parent": SECOND_STAGE, "parenttype": "Sales Process Stage"},
			["criterion"],
			order_by="idx",
		)
		assert criteria, "the second stage has exit criteria"
		for i, c in enumerate(criteria):
			rep.see(c.criterion if zh else en(c.criterion), f"{DIALOG} .control-label")
			answers[c.criterion] = f"board answer {i + 1} {cast.tag}"
			rep.fill(f"criterion_{i}", answers[c.criterion], DIALOG)
		rep.shot("board-exit-criteria")
		rep.primary_in_dialog()
		rep.wait_dialog_closed()
	rep.see(f"已推进到 {third}" if zh else f"Moved to {third}", "#alert-container", "the success alert")
	with rep.check("the card is in the third stage's column after the refresh"):
		rep.page.locator(
			f"{FORM} .sp-board-column[data-stage='{THIRD_STAGE}'] .sp-board-card[data-name='{name}']"
		).first.wait_for(state="visible")
	rep.shot("board-advanced")

	assert db().get_value("Sales Opportunity", name, "stage") == THIRD_STAGE
	log = db().get_value(
		"Opportunity Stage Log",
		{"opportunity": name, "action": "Advance", "to_stage": THIRD_STAGE},
		["from_stage", "by_user", "evidence"],
		as_dict=True,
	)
	assert (log.from_stage, log.by_user) == (SECOND_STAGE, cast.users["rep"]), log
	assert json.loads(log.evidence) == answers


# the filters each report shows, in order (built with sales_process.report_filters)
REPORT_FILTERS = {
	"Sales Funnel": [
		"company",
		"from_date",
		"to_date",
		"sales_person",
		"territory",
		"customer_group",
		"chart_on",
	],
	"Stage Duration Analysis": [
		"company",
		"from_date",
		"to_date",
		"sales_person",
		"territory",
		"customer_group",
	],
	"Sales Forecast": [
		"show",
		"company",
		"from_date",
		"to_date",
		"trend_from",
		"trend_to",
		"group_by",
		"sales_person",
		"territory",
		"calibrated",
	],
	"Contract Billing and Collection": [
		"customer",
		"sales_person",
		"status",
		"from_date",
		"to_date",
		"only_overdue",
	],
	"Daily Log Analysis": ["from_date", "to_date", "period", "group_by", "sales_person", "chart_on"],
	"False Report Analysis": ["from_date", "to_date", "view", "sales_person"],
	"Help Alert Statistics": ["from_date", "to_date", "view", "group_by"],
	"Sales Leaderboard": ["from_date", "to_date", "rank_by"],
	"Trial Period Comparison": ["sales_person", "as_of", "chart_on"],
	"Manager Responsiveness": ["company", "from_date", "to_date", "sales_person"],
	"Lost Reason Analysis": [
		"company",
		"from_date",
		"to_date",
		"group_by",
		"sales_person",
		"lost_reason",
		"stage_lost_at",
		"chart_on",
	],
}


def test_11_manager_opens_every_report_and_the_workspace_charts(open_as, cast, story):
	manager = open_as("manager")
	start = str(get_first_day(today()))
	dates = {
		"Daily Log Analysis": (add_days(today(), -29), today()),
		"False Report Analysis": (add_days(today(), -29), today()),
		"Help Alert Statistics": (add_months(today(), -3), today()),
		"Sales Leaderboard": (start, today()),
		"Sales Forecast": (start, add_days(add_months(start, 6), -1)),
		"Manager Responsiveness": (add_months(today(), -3), today()),
		"Lost Reason Analysis": (add_months(today(), -3), today()),
	}
	for report, fieldnames in REPORT_FILTERS.items():
		manager.open(f"query-report/{report}")
		with manager.check(f"{report} shows its filters with their defaults"):
			# the page is shared by all reports: wait until it holds this report's filters (a script
			# that failed, e.g. on the shared helpers, defines none)
			manager.page.wait_for_function(
				"""(r) => {
					const q = frappe.query_report, script = frappe.query_reports[r];
					return q && q.report_name === r && script && q.filters
						&& q.filters.length === script.filters.length
						&& q.filters.every((f, i) => f.df.fieldname === script.filters[i].fieldname);
				}""",
				arg=report,
			)
			shown = manager.page.evaluate(
				"Object.fromEntries(frappe.query_report.filters.map((f) => [f.df.fieldname, f.get_value()]))"
			)
			assert list(shown) == fieldnames, shown
			if report in dates:
				assert (shown["from_date"], shown["to_date"]) == tuple(map(str, dates[report])), shown
			if "company" in shown:
				assert shown["company"] == cast.company, shown
		# let the report run and draw before the next one (Frappe errors when a switch cuts it short)
		manager.page.wait_for_function(
			"""(r) => {
				const q = frappe.query_report;
				return q.report_name === r && !q.$loading.is(":visible")
					&& (!q.last_ajax || q.last_ajax.readyState === 4);
			}""",
			arg=report,
		)
		manager.idle()
	manager.shot("last-report")

	errors = len(manager.console_errors)
	manager.watch_charts()  # photograph the charts only once they are drawn (actor.WATCH_CHARTS)
	manager.open("sales-process")
	for chart in ("Open Pipeline by Stage", "Opportunities Won", "Won Amount"):
		manager.see(chart, f"{FORM} .widget-title", f"the chart {chart!r}")
	widget = manager.page.locator(f"{FORM} .widget.dashboard-widget-box", has_text="Open Pipeline by Stage")
	with manager.check("the open pipeline chart draws a bar per open stage, in process order"):
		widget.locator("svg rect.bar").first.wait_for(state="attached")
		labels = widget.locator("svg .x.axis text").all_text_contents()
		stages = frappe.get_all(
			"Sales Process Stage", {"is_won": 0, "is_lost": 0}, pluck="name", order_by="sequence"
		)
		assert len(labels) == len(stages), labels
		for label, stage in zip(labels, stages, strict=True):  # labels are shortened ("Lead Qu...")
			assert en(stage).startswith(label.rstrip(". …").strip()), (labels, stages)
	with manager.check("the chart's filters (the funnel's) narrow it to the team"):
		widget.locator(".filter-chart").click()
		manager.see("Set Filters for Open Pipeline by Stage", f"{DIALOG} .modal-title")
		for label in ("Company", "Sales Person (with Team)", "Territory", "Customer Group"):
			manager.see(label, f"{DIALOG} .control-label", f"the chart filter {label!r}")
		manager.fill_link("sales_person", cast.sp["lead"], DIALOG)
		manager.wait_charts_still()
		manager.shot("chart-filters")
		manager.primary_in_dialog()
		manager.wait_dialog_closed()
		if "advanced" in story:  # the team's opportunity: a bar with a height
			manager.page.wait_for_function(
				"""() => [...document.querySelectorAll('.widget.dashboard-widget-box')]
					.filter((w) => w.innerText.includes('Open Pipeline by Stage'))
					.some((w) => [...w.querySelectorAll('svg rect.bar')]
						.some((r) => parseFloat(r.getAttribute('height')) > 0))"""
			)
		manager.wait_charts_still()
		assert manager.console_errors[errors:] == []
	manager.shot("workspace")
