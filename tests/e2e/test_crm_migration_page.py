"""The CRM Migration desk page (M1), end to end: the plan, the stage mapping, the run on a real
background worker with its realtime progress bar, the result; refused to a Sales User.

ERPNext's own records are made through ERPNext's API and committed: an open Lead, six
Opportunities with items (open in a sales stage of this run's own and in *Needs Analysis*, lost
with a lost reason, converted, one owned by a user who is no Sales Person, one for the open lead,
which has no customer). A System Manager opens /app/crm-migration and reads the plan while
nothing is written, maps the run's sales stage to another stage, starts the migration while
another one holds the lock (the page tells the job's failure), starts it again and watches the bar
while `bench worker --queue long` runs the job and Frappe's socket.io server relays its progress
(tests/e2e/services.py: both on a Redis queue of their own, started here on 127.0.0.1 and stopped
at the end); then the page shows the result and the database holds the Sales Opportunities. Everything
the run and the test committed is removed at the end."""

import pytest
from faker import Faker

import frappe
from frappe.utils import now_datetime

from sales_process.domain import crm_migration, stage_history
from sales_process.setup.org import make_user
from tests.e2e.actor import Actor
from tests.e2e.services import Realtime
from tests.e2e.story import db, en, need
from tests.integration.test_crm_migration import erpnext_lead, erpnext_opportunity, target_of

FORM = ".page-container:visible"
DIALOG = ".modal.show"
API = "sales_process.api.crm_migration."
JOB_ID = "sales_process_crm_migration"  # start_migration's job_id
REFUSED = "Only a System Manager can migrate from ERPNext CRM."


class Maker:
	"""What the ERPNext record helpers of tests/integration/test_crm_migration.py need of a factory."""

	def __init__(self, company: str, tag: str):
		self.company, self.tag = company, tag
		self.fake = {"en_US": Faker("en_US")}
		self.n = 0

	def unique(self, text: str) -> str:
		self.n += 1
		return f"{text} E2E {self.tag} {self.n}"

	def email(self) -> str:
		self.n += 1
		return f"crm-{self.n}.{self.tag}@e2e-migration.example.com"


def stage(**flags) -> str:
	return next(s.name for s in crm_migration.stored_stages() if all(getattr(s, k) for k in flags))


@pytest.fixture(scope="module")
def world(cast):
	"""The ERPNext pipeline, committed; at the end everything the migration runs of this module
	wrote (targets, their log rows, copies, map rows, runs) and the sources are removed, and the
	stage mapping is put back."""
	frappe.db.rollback()
	started = now_datetime()
	settings = frappe.get_single(crm_migration.SETTINGS)
	mapping_before = [(r.sales_stage, r.stage) for r in settings.stage_mapping]
	maker = Maker(cast.company, cast.tag)
	w = frappe._dict(rep=cast.users["rep"], rep_sp=cast.sp["rep"], stranger=cast.users["manager"])
	email = f"e2e-sysadmin.{cast.tag}@e2e.example.com"
	make_user(email, f"E2E sysadmin {cast.tag}", ["System Manager"], "en", cast.password)
	cast.users["sysadmin"] = email  # the cast's teardown removes the user
	w.sales_stage = f"E2E Stage {cast.tag}"
	frappe.get_doc({"doctype": "Sales Stage", "stage_name": w.sales_stage}).insert(ignore_permissions=True)
	w.lost_reason = maker.unique("Price")
	frappe.get_doc({"doctype": "Opportunity Lost Reason", "lost_reason": w.lost_reason}).insert(
		ignore_permissions=True
	)
	customer = [cast.make_customer(f"E2E Migration Customer {cast.tag} {i}") for i in range(5)]
	w.lead = erpnext_lead(maker, w.rep)
	w.open = erpnext_opportunity(maker, customer[0], w.rep, sales_stage=w.sales_stage, probability=40)
	w.by_name = erpnext_opportunity(maker, customer[1], w.rep, sales_stage="Needs Analysis")
	w.lost = erpnext_opportunity(
		maker, customer[2], w.rep, status="Lost", lost_reasons=[{"lost_reason": w.lost_reason}]
	)
	w.won = erpnext_opportunity(maker, customer[3], w.rep, status="Converted")
	w.no_person = erpnext_opportunity(maker, customer[4], w.stranger)
	w.no_customer = erpnext_opportunity(maker, w.lead.name, w.rep, opportunity_from="Lead")
	w.lead_status = frappe.db.get_value("Lead", w.lead.name, "status")  # ERPNext moves it on
	w.migrated = [w.open, w.by_name, w.lost, w.won]
	w.opportunities = [*w.migrated, w.no_person, w.no_customer]
	frappe.db.commit()
	yield w
	_remove(w, started, mapping_before)


def _remove(w, started, mapping_before):
	frappe.db.rollback()
	runs = frappe.get_all(crm_migration.RUN, {"creation": (">=", started)}, pluck="name")
	maps = frappe.get_all(
		crm_migration.MAP,
		filters={"run": ("in", runs or [""])},
		fields=["name", "target_doctype", "target_name"],
	)
	targets = {"Sales Opportunity": [], "Sales Lead": []}
	for m in maps:
		if m.target_name:
			targets[m.target_doctype].append(m.target_name)
	opps, leads = targets["Sales Opportunity"] or [""], targets["Sales Lead"] or [""]
	for doctype, names in (("Sales Opportunity", opps), ("Sales Lead", leads)):
		# the copies the migration made of comments, ToDos and files, and the timeline links
		frappe.db.delete("Comment", {"reference_doctype": doctype, "reference_name": ("in", names)})
		frappe.db.delete("ToDo", {"reference_type": doctype, "reference_name": ("in", names)})
		frappe.db.delete("File", {"attached_to_doctype": doctype, "attached_to_name": ("in", names)})
		frappe.db.delete("Communication Link", {"link_doctype": doctype, "link_name": ("in", names)})
		frappe.db.delete("Version", {"ref_doctype": doctype, "docname": ("in", names)})
	frappe.db.delete("Opportunity Stage Log", {"opportunity": ("in", opps)})
	stage_history.forget(opps)
	frappe.db.delete("Sales Opportunity", {"name": ("in", opps)})
	frappe.db.delete("Sales Lead Log", {"lead": ("in", leads)})
	frappe.db.delete("Sales Lead", {"name": ("in", leads)})
	frappe.db.delete(crm_migration.MAP, {"run": ("in", runs or [""])})
	frappe.db.delete(crm_migration.RUN, {"name": ("in", runs or [""])})
	settings = frappe.get_single(crm_migration.SETTINGS)
	settings.set("stage_mapping", [{"sales_stage": s, "stage": t} for s, t in mapping_before])
	settings.save(ignore_permissions=True)
	for o in w.opportunities:
		frappe.delete_doc("Opportunity", o.name, force=True, ignore_permissions=True)
	frappe.delete_doc("Lead", w.lead.name, force=True, ignore_permissions=True)
	frappe.delete_doc("Opportunity Lost Reason", w.lost_reason, force=True, ignore_permissions=True)
	# K8: the migration added the ERPNext reason to the Sales Lost Reason list
	frappe.db.delete("Sales Lost Reason", {"name": w.lost_reason})
	frappe.delete_doc("Sales Stage", w.sales_stage, force=True, ignore_permissions=True)
	frappe.db.commit()


@pytest.fixture(scope="module")
def realtime(site):
	stack = Realtime()
	yield stack
	stack.stop()


@pytest.fixture
def sysadmin(request, actors, browser, realtime, cast, world, run_dir):
	"""The System Manager, logged in through the realtime proxy's origin (the desk and its
	socket.io connection on one address, as behind nginx)."""
	actor = actors.get("sysadmin")
	if actor is None:
		actor = Actor(browser, realtime.base, cast.users["sysadmin"], cast.password, "sysadmin", run_dir)
		actors["sysadmin"] = actor
		actor.test = request.node.name
		actor.login()
	actor.test = request.node.name
	request.node.e2e_actors = [actor]
	return actor


def rows(actor, heading: str) -> list[list[str]]:
	"""The cells of the table under the heading `heading` on the page shown now."""
	return actor.page.evaluate(
		"""(heading) => {
			const h = $('.page-container:visible .sp-migration h6').filter((_i, e) => e.textContent.trim() === heading);
			const table = h.next('table');
			if (!table.length) return null;
			return table.find('tbody tr').toArray().map((tr) => [...tr.cells].map((c) => c.textContent.trim()));
		}""",
		heading,
	)


def test_01_system_manager_sees_the_plan_before_anything_is_written(sysadmin, world, story):
	expected = crm_migration.plan()
	# counts, not absence: a run left on the site by an earlier session is not this test's business
	before = {
		dt: db().count(dt) for dt in ("Sales Opportunity", "Sales Lead", crm_migration.MAP, crm_migration.RUN)
	}
	admin = sysadmin
	admin.open("crm-migration", reload=True)
	admin.see("CRM Migration", f"{FORM} .page-title", "the page's title")
	c = expected["counts"]
	admin.see(
		f"{c['leads']} leads and {c['opportunities']} opportunities will be migrated; "
		f"{c['skipped']} rows will be skipped.",
		f"{FORM} .sp-migration-summary",
		"the plan's summary",
	)
	with admin.check("the plan's tables: per status, per sales stage, what maps to what, owners, skips"):
		by_status = rows(admin, "By Source Status")
		assert by_status == [
			[r["source_doctype"], r["status"], str(r["count"])] for r in expected["by_status"]
		]
		assert ["Opportunity", "Lost", "1"] in by_status and ["Opportunity", "Converted", "1"] in by_status
		assert ["Lead", world.lead_status, "1"] in by_status, by_status
		assert ["Open", world.sales_stage, "1"] in rows(admin, "By ERPNext Sales Stage")
		mapped = rows(admin, "What Maps to What")
		# no stage is named like the run's sales stage: its probability (40) picks the stage
		assert [world.sales_stage, "by probability", en("方案/演示"), "1"] in mapped, mapped
		assert ["Needs Analysis", "by mapping", en("需求调研"), "1"] in mapped, mapped
		assert ["Lost", "by status", en(stage(is_lost=1)), "1"] in mapped, mapped
		assert ["Converted", "by status", en(stage(is_won=1)), "1"] in mapped, mapped
		assert [world.stranger, "1"] in rows(admin, "Owners Without a Sales Person")
		skipped = {r[1]: r for r in rows(admin, "Skipped Rows")}
		assert skipped[world.no_person.name][0] == "Opportunity"
		assert world.stranger in skipped[world.no_person.name][2], skipped
		assert f"No customer for party Lead {world.lead.name}" in skipped[world.no_customer.name][2], skipped
		assert not {o.name for o in world.migrated} & set(skipped)
	admin.shot("plan")
	after = {dt: db().count(dt) for dt in before}
	assert after == before  # reading the plan wrote nothing, and started no run
	assert not db().exists(crm_migration.MAP, {"source_name": ("in", [o.name for o in world.opportunities])})
	story["plan"] = expected


def test_02_the_stage_mapping_steers_the_plan(sysadmin, world, story):
	need(story, "plan")
	admin = sysadmin
	quote = "报价"
	with admin.check("map the run's sales stage to Quotation in the stage-mapping table and save"):
		select = admin.current(f".sp-stage-mapping select[data-sales-stage='{world.sales_stage}']")
		assert select.input_value() == ""  # by name, then probability
		select.select_option(quote)
		admin.current(".sp-save-mapping").click()
	admin.see("Stage mapping saved", "#alert-container", "the confirmation")
	with admin.check("the plan maps it by the mapping now"):
		admin.page.wait_for_function(
			"""([stage, label]) => $('.page-container:visible .sp-migration td').toArray().some((td) => td.textContent.trim() === 'by mapping'
					&& td.previousElementSibling.textContent.trim() === stage
					&& td.nextElementSibling.textContent.trim() === label)""",
			arg=[world.sales_stage, en(quote)],
		)
	admin.shot("mapping-saved")
	db()
	saved = {r.sales_stage: r.stage for r in frappe.get_single(crm_migration.SETTINGS).stage_mapping}
	assert saved[world.sales_stage] == quote
	story["mapped"] = quote


def start(admin):
	with admin.check("Start Migration, confirmed"):
		admin.page.locator(f"{FORM} .page-actions .primary-action:visible").first.click()
		admin.see("Start migrating ERPNext CRM now?", f"{DIALOG} .modal-body")
		admin.primary_in_dialog()
		admin.wait_dialog_closed()
		admin.idle()  # start_migration answered (an earlier start's alert may still be shown)
	admin.see("Migration queued", "#alert-container", "the confirmation")


def queued(realtime) -> tuple[str, str]:
	"""(status, queue) of the page's job in the desk's Redis queue."""
	from redis import Redis
	from rq.job import Job

	job = Job.fetch(f"{frappe.local.site}::{JOB_ID}", connection=Redis.from_url(realtime.redis_url))
	return job.get_status(), job.origin.rsplit(":", 1)[-1]


def take_lock() -> bool:
	"""What a running migration holds (the engine's per-site named lock)."""
	return frappe.db.sql("select get_lock(%s, 0)", crm_migration._lock_name())[0][0] == 1


def release_lock():
	frappe.db.sql("select release_lock(%s)", crm_migration._lock_name())


RECORD = """() => {
	window.sp_seen = [];
	const area = $('.page-container:visible .sp-migration-progress')[0];
	if (window.sp_observer) window.sp_observer.disconnect();
	window.sp_observer = new MutationObserver(() => {
		const bar = area.querySelector('.sp-migration-bar');
		const count = area.querySelector('.sp-migration-count');
		if (bar) window.sp_seen.push(['bar', +bar.getAttribute('aria-valuenow'), count.textContent.trim()]);
		for (const end of ['done', 'failed']) {
			const el = area.querySelector('.sp-migration-' + end);
			if (el) window.sp_seen.push([end, el.textContent.trim()]);
		}
	});
	window.sp_observer.observe(area, { childList: true, subtree: true });
}"""


def run_on_a_worker(admin, realtime, what: str) -> list:
	"""Start from the page, check the job waits on the long queue, let a worker run it; what the
	progress area showed, in order, up to the end or the failure the job told."""
	with admin.check("the realtime connection is up; what the progress area shows is recorded"):
		admin.page.wait_for_function("() => frappe.realtime.socket && frappe.realtime.socket.connected")
		admin.page.evaluate(RECORD)
	runs = db().count(crm_migration.RUN)
	start(admin)
	# queued, not run by the request: nothing is written until a worker takes the job
	assert queued(realtime) == ("queued", "long")
	assert db().count(crm_migration.RUN) == runs
	worker = realtime.worker()
	try:
		with admin.check(what):
			admin.page.locator(
				f"{FORM} .sp-migration-done:visible, {FORM} .sp-migration-failed:visible"
			).first.wait_for(timeout=90_000)
		code = worker.wait(60)
	finally:
		worker.stop()
	assert code == 0, f"the worker failed or hung; see {worker.log_path}"
	return admin.page.evaluate("window.sp_seen")


def test_03_a_start_while_another_migration_runs_is_told_to_the_user(sysadmin, realtime, world, story):
	need(story, "mapped")
	admin = sysadmin
	runs = db().count(crm_migration.RUN)
	assert take_lock(), "a migration of this site is running"
	try:  # another migration runs: this connection holds its lock
		seen = run_on_a_worker(admin, realtime, "the failure, told by the job")
	finally:
		release_lock()
	assert seen[-1] == ["failed", "The migration failed: A migration from ERPNext CRM is already running."]
	admin.shot("busy")
	assert db().count(crm_migration.RUN) == runs
	assert not db().exists(crm_migration.MAP, {"source_name": ("in", [o.name for o in world.opportunities])})


def test_04_start_runs_on_a_worker_and_the_bar_follows_its_progress(sysadmin, realtime, world, story):
	need(story, "mapped")
	admin = sysadmin
	pending = sum(crm_migration.pending_count().values())
	seen = run_on_a_worker(admin, realtime, "the run's end, told by the job")
	admin.shot("finished")
	bars = [s[1] for s in seen if s[0] == "bar"]
	# 0 of N when queued, the leads' batch, the opportunities' batch at 100 %, then the end
	assert bars[0] == 0 and bars == sorted(bars) and bars[-1] == 100, seen
	assert any(0 < b < 100 for b in bars), seen
	counts = [s[2] for s in seen if s[0] == "bar"]
	assert counts[0] == f"0 of {pending}" and counts[-1] == f"{pending} of {pending}", seen
	assert seen[-1][0] == "done", seen
	run = db().get_all(
		crm_migration.RUN,
		fields=["name", "status", "leads", "opportunities", "skipped"],
		order_by="creation desc",
		limit=1,
	)[0]
	assert run.status == "Completed", run
	assert seen[-1][1] == f"Migration run {run.name} finished."
	story["run"] = run


def test_05_the_page_shows_the_result_and_the_opportunities_exist(sysadmin, world, story):
	need(story, "run")
	run, plan = story["run"], story["plan"]
	admin = sysadmin
	admin.see(
		f"Last run {run.name}: Completed, {plan['counts']['leads']} leads, "
		f"{plan['counts']['opportunities']} opportunities, {plan['counts']['skipped']} skipped.",
		f"{FORM} .sp-last-run",
		"the run's result",
	)
	assert (run.leads, run.opportunities, run.skipped) == (
		plan["counts"]["leads"],
		plan["counts"]["opportunities"],
		plan["counts"]["skipped"],
	)
	# the skipped ones are tried again by the next run: the plan lists them still
	admin.see(
		f"0 leads and 0 opportunities will be migrated; {plan['counts']['skipped']} rows will be skipped.",
		f"{FORM} .sp-migration-summary",
		"the plan after the run",
	)
	admin.shot("result")

	expected = {
		world.open.name: ("Open", story["mapped"]),
		world.by_name.name: ("Open", "需求调研"),
		world.lost.name: ("Lost", stage(is_lost=1)),
		world.won.name: ("Won", stage(is_won=1)),
	}
	for source, (status, stage_name) in expected.items():
		target = target_of("Opportunity", source)
		assert target, f"no Sales Opportunity for {source}"
		o = db().get_value(
			"Sales Opportunity",
			target,
			["status", "stage", "sales_person", "customer", "amount"],
			as_dict=True,
		)
		party = frappe.db.get_value("Opportunity", source, "party_name")
		assert (o.status, o.stage, o.customer) == (status, stage_name, party), (source, o)
		assert o.sales_person == world.rep_sp and float(o.amount) == 10000, o  # the items: 2 x 5000
		logs = frappe.get_all("Opportunity Stage Log", {"opportunity": target}, pluck="action")
		assert logs == ["Import"], logs
	lost = target_of("Opportunity", world.lost.name)
	assert world.lost_reason in frappe.db.get_value("Sales Opportunity", lost, "lost_reason")
	sales_lead = target_of("Lead", world.lead.name)
	assert frappe.db.get_value("Sales Lead", sales_lead, "sales_person") == world.rep_sp
	skipped = dict(
		frappe.get_all(
			crm_migration.MAP,
			{"status": "Skipped", "run": run.name},
			["source_name", "reason"],
			as_list=True,
		)
	)
	assert set(skipped) == {world.no_person.name, world.no_customer.name}, skipped


def test_06_a_sales_user_is_refused_the_page_and_its_methods(open_as, world):
	runs = db().count(crm_migration.RUN)
	rep = open_as("rep")
	rep.open("crm-migration", reload=True)
	rep.see("Not permitted", f"{DIALOG} .modal-title", "the desk's refusal")
	with rep.check("the desk does not show the page to a Sales User"):
		assert rep.page.locator(".sp-migration").count() == 0
	rep.shot("refused")
	with rep.check("close the refusal (the rep's next story starts from here)"):
		rep.page.locator(f"{DIALOG} .btn-modal-close:visible").first.click()
		rep.wait_dialog_closed()
	with rep.check("the page's methods answer 403 with the reason"):
		answers = rep.page.evaluate(
			"""async (api) => {
				const call = async (method, verb, body) => {
					const r = await fetch('/api/method/' + api + method, {
						method: verb,
						headers: { 'X-Frappe-CSRF-Token': frappe.csrf_token, Accept: 'application/json',
							'Content-Type': 'application/json' },
						body: body && JSON.stringify(body),
					});
					return [r.status, await r.text()];
				};
				return [await call('get_plan', 'GET'), await call('start_migration', 'POST', {}),
					await call('save_stage_mapping', 'POST', { mapping: {} })];
			}""",
			API,
		)
		for status, body in answers:
			assert status == 403 and REFUSED in body, (status, body[:300])
	assert db().count(crm_migration.RUN) == runs
