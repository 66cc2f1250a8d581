"""Soak and fault harness (issue 22; docs/reliability.md): a seeded mix of the app's real traffic from
a team of 22 people through gunicorn (behind `sales_process.wsgi`), with an RQ worker and Frappe's
scheduler running, while the harness breaks what is underneath: MariaDB, Redis, a gunicorn worker,
an RQ worker mid-job, the scheduler. Loopback only; every loop is bounded in count and time.

Used by tests/integration/test_soak.py (the short variant, in every test run) and benchmarks/soak.py
(the long one, ≥ 10,000 requests, writing benchmarks/results/soak.md).

A client retries what the server did not acknowledge (no answer, 502, 503, and 409 "try again" or
"still being processed") with the same Idempotency-Key, as a phone on a bad network would; any other
answer is final. The checks at the end of each phase compare what the server said with what it
stored: every accepted write exactly once (by returned name and by a unique token), no refused one,
the hash chains, the stage history against its opportunities and the funnel against plain SQL."""

import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import requests

import frappe

from sales_process.domain import daily_log, stage_history
from sales_process.setup.org import default_company, make_person
from tests.conftest import BENCH_DIR, TEST_SITE
from tests.integration.rest import Server
from tests.integration.world import World, remove_committed

DL, OPP, LEAD, ALERT = "Sales Daily Log", "Sales Opportunity", "Sales Lead", "Help Alert"
API = "sales_process.api"
PATH = ["线索确认", "需求调研", "方案/演示", "报价"]  # the open stages the traffic moves through
ACTIVITIES = ["电话沟通", "微信/邮件跟进", "提交方案", "资料整理"]
REASONS = ["客户预算不足", "决策人难以接触", "竞争对手低价", "技术方案不满足"]
# kind → weight in the mix (a salesperson's day: mostly logging and looking, some moves)
MIX = {
	"add_log": 30,
	"workbench": 18,
	"report": 8,
	"advance_stage": 10,
	"claim_lead": 9,
	"release_lead": 7,
	"raise_alert": 8,
	"respond": 10,
}
WRITES = ("add_log", "advance_stage", "claim_lead", "release_lead", "raise_alert", "respond")
RETRY_WINDOW = 90  # seconds a client keeps retrying one unacknowledged request
RETRYABLE_409 = {"KeyInProgress", "TryAgain"}
ROOT_PASSWORD = os.environ.get("SP_DB_ROOT_PASSWORD", "sales-process-root")


# --- the team -----------------------------------------------------------------------------------------


class Team:
	"""head ─ 3 team leads ─ 6 reps each: 22 people with logins, each rep with three customers (two
	with an open opportunity), plus a pool of leads. Committed (the server has its own connections)
	and removed by `teardown`."""

	LEADS, REPS = 3, 6

	def __init__(self, server: Server, seed: int):
		self.server, self.seed = server, seed
		self.tag = frappe.generate_hash(length=6)
		self.started = frappe.utils.now_datetime()
		self.company = default_company()
		self.sp, self.users, self.employees, self.sessions = {}, {}, [], {}
		self.customers: dict[str, list[str]] = {}
		self.opportunities: dict[str, list[str]] = {}
		self.leads: list[str] = []
		self.extra_opportunities: list[str] = []  # made by faults (overdue, bulk)
		self.care_customers: list[str] = []  # bulk, due for a revisit (the care job's work)
		self.crm_leads: list[str] = []  # ERPNext Leads (the migration's work)
		self.migration_runs: set[str] = set()
		self.customer_pool: list[str] = []
		world = World.__new__(World)  # only for its customer() helper
		world.fake, world.tag, world.customers = _faker(seed), self.tag, self.customer_pool
		self._world = world
		self._add("head", None, True)
		for i in range(self.LEADS):
			self._add(f"lead{i}", "head", True)
			for j in range(self.REPS):
				self._add(f"rep{i}{j}", f"lead{i}", False)
		for key in self.sp:
			if key.startswith("rep"):
				self.customers[key] = [world.customer() for _ in range(3)]
		self.reps = [k for k in self.sp if k.startswith("rep")]
		frappe.db.commit()
		for key in self.reps:
			self.opportunities[key] = [self._opportunity(key, c) for c in self.customers[key][:2]]
		for i in range(len(self.reps) * 2):
			doc = frappe.get_doc(
				{"doctype": LEAD, "company_name": f"{world.fake.company()} soak {self.tag} {i}"}
			).insert(ignore_permissions=True)
			self.leads.append(doc.name)
		frappe.db.commit()
		for key, user in self.users.items():
			api_key, secret = World._api_keys(user)
			s = requests.Session()
			s.headers.update({**server.headers(), "Authorization": f"token {api_key}:{secret}"})
			s.headers["Accept-Language"] = "en"
			self.sessions[key] = s
		frappe.db.commit()

	def _add(self, key, parent, is_group):
		email = f"{key}.{self.tag}@soak.example.com"
		sp = make_person(
			f"soak {key} {self.tag}", email, self.company, parent=self.sp.get(parent), is_group=is_group
		)
		self.sp[key], self.users[key] = sp.name, email
		self.employees.append(sp.employee)

	def _opportunity(self, key, customer) -> str:
		previous = frappe.session.user
		frappe.set_user(self.users[key])
		try:
			doc = frappe.get_doc(
				{
					"doctype": OPP,
					"customer": customer,
					"company": self.company,
					"amount": 1000 * (1 + len(self.customers[key][0]) % 9),
					"expected_close_date": frappe.utils.add_days(frappe.utils.today(), 30),
				}
			).insert()
		finally:
			frappe.set_user(previous)
		return doc.name

	def _remove_migrated(self):
		"""What the migration runs made, for the soak's ERPNext Leads and any other source they took
		(the runs, their map rows and targets), and the soak's ERPNext Leads."""
		m = frappe.qb.DocType("CRM Migration Map")
		if self.migration_runs:
			mapped = frappe.get_all(
				"CRM Migration Map",
				{"run": ("in", list(self.migration_runs)), "status": "Migrated"},
				["source_doctype", "target_name"],
				limit_page_length=0,
			)
			leads = [r.target_name for r in mapped if r.source_doctype == "Lead"]
			opps = [r.target_name for r in mapped if r.source_doctype == "Opportunity"]
			if opps:
				frappe.db.delete("Opportunity Stage Log", {"opportunity": ("in", opps)})
				stage_history.forget(opps)
				frappe.db.delete(OPP, {"name": ("in", opps)})
			self.leads += leads
			frappe.qb.from_(m).delete().where(m.run.isin(list(self.migration_runs))).run()
			frappe.db.delete("CRM Migration Run", {"name": ("in", list(self.migration_runs))})
		if self.crm_leads:
			frappe.qb.from_(m).delete().where(m.source_name.isin(self.crm_leads)).run()
			frappe.db.delete("Lead", {"name": ("in", self.crm_leads)})

	def all_opportunities(self) -> list[str]:
		return [n for names in self.opportunities.values() for n in names] + self.extra_opportunities

	def teardown(self):
		frappe.db.rollback()
		self._remove_migrated()
		if self.care_customers:
			# plain deletes: delete_doc per bulk customer would take minutes
			frappe.db.delete(
				"ToDo", {"reference_type": "Customer", "reference_name": ("in", self.care_customers)}
			)
			frappe.db.delete("Sales Team", {"parenttype": "Customer", "parent": ("in", self.care_customers)})
			frappe.db.delete("Customer", {"name": ("in", self.care_customers)})
		if self.leads:
			frappe.db.delete("Sales Lead Log", {"lead": ("in", self.leads)})
			frappe.db.delete("Version", {"docname": ("in", self.leads)})
			frappe.db.delete(LEAD, {"name": ("in", self.leads)})
		users = list(self.users.values())
		frappe.db.delete("ToDo", {"allocated_to": ("in", users)})
		frappe.db.commit()
		remove_committed(
			self.customer_pool,
			[self.sp[k] for k in reversed(list(self.sp))],
			self.employees,
			users,
		)


def _faker(seed):
	from faker import Faker

	fake = Faker("en_US")
	fake.seed_instance(seed)
	return fake


# --- processes ------------------------------------------------------------------------------------------


class Processes:
	"""gunicorn (3 workers, behind sales_process.wsgi), two RQ workers and the scheduler for the test
	site, each in a process of its own that the faults can kill."""

	def __init__(self, duration: float = 1800):
		self.duration = duration
		self.server = Server(workers=3, name="soak", wsgi="sales_process.wsgi")
		self.worker = self.short_worker = self.scheduler = None
		self.start_worker()
		self.start_short_worker()
		self.start_scheduler()

	def _spawn(self, name, *command):
		log = open(os.path.join(BENCH_DIR, "logs", f"soak-{name}.log"), "a")
		# under `timeout`: a harness that dies itself leaves no worker behind for long
		return subprocess.Popen(
			["timeout", str(int(self.duration)), os.path.join(BENCH_DIR, "env", "bin", "python"), *command],
			cwd=os.path.join(BENCH_DIR, "sites"),
			stdout=log,
			stderr=subprocess.STDOUT,
			start_new_session=True,  # its own process group: SIGKILL reaches the work-horse too
		)

	def start_worker(self):
		"""The long queue's worker (the batch jobs), the one the rq_worker fault kills. As in the
		supervisor configuration `bench setup supervisor` writes for Frappe 15 (multi-queue
		consumption), it takes default and then short jobs while the long queue is empty, and the
		short and default queues have a worker of their own."""
		self.worker = self._spawn(
			"worker", "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "long,default,short"
		)

	def start_short_worker(self):
		self.short_worker = self._spawn(
			"short-worker", "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "short,default"
		)

	def restart_dead_workers(self):
		"""An RQ worker exits when its Redis goes away: start it again, as supervisor would."""
		if self.worker.poll() is not None:
			self.start_worker()
		if self.short_worker.poll() is not None:
			self.start_short_worker()

	def start_scheduler(self):
		runner = os.path.join(os.path.dirname(__file__), "scheduler_runner.py")
		self.scheduler = self._spawn(
			"scheduler", runner, TEST_SITE, "--tick", "2", "--for", str(self.duration)
		)

	def gunicorn_workers(self) -> list[int]:
		return _children(self.server.proc.pid)

	def kill_worker(self) -> int:
		"""SIGKILL the worker and its work-horse (RQ forks the horse into a session of its own, so the
		process group alone would leave it running); → the number of processes killed."""
		horses = [h for pid in _children(self.worker.pid) for h in _children(pid)]
		os.killpg(self.worker.pid, signal.SIGKILL)
		for pid in horses:
			try:
				os.kill(pid, signal.SIGKILL)
			except ProcessLookupError:
				pass
		self.worker.wait(10)
		return len(horses)

	def stop(self):
		for proc in (self.worker, self.short_worker, self.scheduler):
			if proc and proc.poll() is None:
				os.killpg(proc.pid, signal.SIGTERM)
				try:
					proc.wait(15)
				except subprocess.TimeoutExpired:
					os.killpg(proc.pid, signal.SIGKILL)
		self.server.stop()


def _children(parent: int) -> list[int]:
	"""The processes whose parent is `parent` (from /proc)."""
	found = []
	for pid in os.listdir("/proc"):
		if pid.isdigit():
			try:
				with open(f"/proc/{pid}/stat") as f:
					if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
						found.append(int(pid))
			except (OSError, IndexError, ValueError):
				pass
	return found


def scheduler_as_if_running(saved: dict | None = None) -> dict:
	"""Every Scheduled Job Type as if it had just run (a test site's never have, so all of ERPNext's
	daily and weekly jobs would start at the first tick, amid the traffic and on the other tests'
	data); → the previous last runs, which `scheduler_as_if_running(saved)` puts back."""
	t = frappe.qb.DocType("Scheduled Job Type")
	if saved is None:
		saved = dict(frappe.qb.from_(t).select(t.name, t.last_execution).run())
		frappe.qb.update(t).set(t.last_execution, frappe.utils.now_datetime()).run()
	else:
		for name, last in saved.items():
			frappe.qb.update(t).set(t.last_execution, last).where(t.name == name).run()
	frappe.db.commit()
	return saved


def scheduler_enabled(on: bool) -> int:
	"""Frappe's own switch (System Settings), so the scheduler runner enqueues for the test site;
	returns the previous value."""
	before = frappe.db.get_single_value("System Settings", "enable_scheduler")
	frappe.db.set_single_value("System Settings", "enable_scheduler", 1 if on else 0)
	frappe.db.commit()
	frappe.clear_cache(doctype="System Settings")
	return before


# --- traffic ------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
	kind: str
	who: str
	status: int | None  # the final answer; None: never acknowledged within the retry window
	reason: str = ""  # exc_type of a refusal
	value: object = None  # what an accepted write returned
	token: str = ""
	target: str = ""  # the opportunity, lead or alert acted on
	to_stage: str = ""
	attempts: int = 1


@dataclass
class Run:
	team: Team
	seed: int
	tag: str = field(default_factory=lambda: frappe.generate_hash(length=8))
	outcomes: list[Outcome] = field(default_factory=list)
	latencies: dict = field(default_factory=lambda: defaultdict(list))
	answers: Counter = field(default_factory=Counter)  # HTTP status (or "no answer") per attempt
	tracebacks: int = 0  # error answers (4xx/5xx) carrying a traceback
	server_errors: list = field(default_factory=list)  # 500-599 other than 503
	lock: threading.Lock = field(default_factory=threading.Lock)
	sent: int = 0
	alerts: list = field(default_factory=list)  # (alert, raised by)
	stages: dict = field(default_factory=dict)  # opportunity → the stage we believe it is in
	held: dict = field(default_factory=lambda: defaultdict(set))  # rep → leads they hold

	def count(self) -> int:
		with self.lock:
			self.sent += 1
			return self.sent


def _exc_type(response) -> str:
	try:
		return response.json().get("exc_type") or ""
	except ValueError:
		return ""


def _has_traceback(response) -> bool:
	text = response.text
	return "Traceback (most recent call last)" in text or '"exc":' in text


def call(run: Run, who: str, kind: str, method: str, payload: dict, key: str | None, get=False):
	"""One user action: the request, retried while unacknowledged; → (status | None, response)."""
	session = run.team.sessions[who]
	url = f"{run.team.server.base}/api/method/{method}"
	headers = {"Idempotency-Key": key} if key else {}
	give_up = time.monotonic() + RETRY_WINDOW
	attempts, delay = 0, 0.2
	while True:
		attempts += 1
		t0 = time.monotonic()
		try:
			if get:
				r = session.get(url, params=payload, timeout=60)
			else:
				r = session.post(url, json=payload, headers=headers, timeout=60)
		except requests.RequestException:
			r = None
		elapsed = time.monotonic() - t0
		with run.lock:
			run.latencies[kind].append(elapsed)
			run.answers["no answer" if r is None else r.status_code] += 1
			if r is not None and r.status_code >= 500 and _has_traceback(r):
				run.tracebacks += 1
			if r is not None and r.status_code >= 500 and r.status_code != 503:
				run.server_errors.append((kind, r.status_code, r.text[:300]))
		retry = (
			r is None
			or r.status_code in (502, 503, 504)
			or (r.status_code == 409 and _exc_type(r) in RETRYABLE_409)
		)
		if not retry:
			return r.status_code, r, attempts
		if time.monotonic() + delay > give_up:
			return None, r, attempts
		time.sleep(delay)
		delay = min(delay * 2, 3.0)


def _key(rng) -> str:
	return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def act(run: Run, who: str, rng: random.Random):
	"""One action of `who`, chosen by the mix from what they can do now."""
	team = run.team
	is_rep = who in team.reps
	kinds = [k for k in MIX if is_rep or k in ("workbench", "report", "respond")]
	kind = rng.choices(kinds, weights=[MIX[k] for k in kinds])[0]
	token = f"soak-{run.tag}-{who}-{run.count()}"
	key = _key(rng)
	target, to_stage = "", ""
	if kind == "workbench":
		status, r, n = call(run, who, kind, f"{API}.workbench.get_workbench", {}, None, get=True)
	elif kind == "report":
		filters = {"sales_person": team.sp[who]}
		status, r, n = call(
			run,
			who,
			kind,
			"frappe.desk.query_report.run",
			{"report_name": "Sales Funnel", "filters": json.dumps(filters)},
			None,
			get=True,
		)
	elif kind == "add_log":
		bad = rng.random() < 0.08  # a mistake a person makes: no minutes
		other = rng.random() < 0.05  # a customer another rep holds (L3)
		customers = team.customers[rng.choice(team.reps) if other else who]
		payload = {
			"customer": rng.choice(customers),
			"activities": rng.sample(ACTIVITIES, rng.randint(1, 2)),
			"minutes": 0 if bad else rng.randint(1, 5),  # a call: a long day stays under 1,440 minutes
			"note": token,
		}
		status, r, n = call(run, who, kind, f"{API}.daily_log.add_log", payload, key)
	elif kind == "advance_stage":
		mine = [o for o in team.opportunities[who] if run.stages.get(o, PATH[0]) != PATH[-1]]
		if not mine:
			return
		target = rng.choice(mine)
		current = run.stages.get(target, PATH[0])
		to_stage = PATH[PATH.index(current) + 1]
		payload = {"name": target, "to_stage": to_stage, "evidence": _evidence(current, token)}
		status, r, n = call(run, who, kind, f"{API}.opportunity.advance_stage", payload, key)
		if status == 200:
			run.stages[target] = to_stage
	elif kind == "claim_lead":
		target = rng.choice(team.leads)
		status, r, n = call(run, who, kind, f"{API}.lead.claim_lead", {"name": target}, key)
		if status == 200:
			run.held[who].add(target)
	elif kind == "release_lead":
		if not run.held[who]:
			return
		target = rng.choice(sorted(run.held[who]))
		payload = {"name": target, "reason": token}
		status, r, n = call(run, who, kind, f"{API}.lead.release_lead", payload, key)
		if status == 200 or (status and status < 500):
			run.held[who].discard(target)
	elif kind == "raise_alert":
		target = rng.choice(team.opportunities[who])
		payload = {"opportunity": target, "reason": rng.choice(REASONS), "description": token}
		status, r, n = call(run, who, kind, f"{API}.help_alert.raise_alert", payload, key)
		if status == 200:
			with run.lock:
				run.alerts.append((r.json()["message"], who))
	else:  # respond
		with run.lock:
			others = [a for a, raiser in run.alerts if raiser != who]
		if not others:
			return
		target = rng.choice(others)
		payload = {"alert": target, "analysis": token, "countermeasure": "soak"}
		status, r, n = call(run, who, kind, f"{API}.help_alert.respond", payload, key)
	value = None
	reason = ""
	if status == 200 and kind in WRITES:
		value = r.json().get("message")
	elif status and status >= 400:
		reason = _exc_type(r) or str(status)
	with run.lock:
		run.outcomes.append(Outcome(kind, who, status, reason, value, token, target, to_stage, n))


_CRITERIA: dict[str, list[str]] = {}


def _evidence(stage: str, token: str) -> dict:
	"""Evidence for each mandatory exit criterion of the stage (read once from the configuration)."""
	if stage not in _CRITERIA:
		_CRITERIA[stage] = frappe.get_all(
			"Sales Process Stage Criterion",
			{"parent": stage, "parenttype": "Sales Process Stage", "mandatory": 1},
			pluck="criterion",
		)
	return {criterion: token for criterion in _CRITERIA[stage]}


def traffic(run: Run, requests_budget: int, time_limit: float, during=None):
	"""Every person of the team acts in a thread of their own until `requests_budget` actions were
	sent or `time_limit` seconds passed; `during(run)` (a fault) runs meanwhile in this thread."""
	stop_at = time.monotonic() + time_limit
	start = len(run.outcomes)
	team = run.team
	people = list(team.sp)

	def person(i, who):
		rng = random.Random(run.seed * 1000 + i + len(run.outcomes) * 7919)
		while time.monotonic() < stop_at and len(run.outcomes) - start < requests_budget:
			act(run, who, rng)

	for stage in PATH:
		_evidence(stage, "")  # read before the faults start
	threads = [threading.Thread(target=person, args=(i, who), daemon=True) for i, who in enumerate(people)]
	for t in threads:
		t.start()
	try:
		if during:  # in this thread: the fault reads and writes through this process's site connection
			during(run)
	finally:
		for t in threads:
			t.join(time_limit + RETRY_WINDOW + 30)
	return len(run.outcomes) - start


def wait_for(run: Run, done: int, timeout: float = 120):
	"""Until `done` more actions have finished (a fault starts part-way through a phase)."""
	target = len(run.outcomes) + done
	deadline = time.monotonic() + timeout
	while len(run.outcomes) < target and time.monotonic() < deadline:
		time.sleep(0.05)


# --- faults ----------------------------------------------------------------------------------------------


def mariadb_up() -> bool:
	return (
		subprocess.run(
			["mariadb-admin", "-uroot", f"-p{ROOT_PASSWORD}", "-h127.0.0.1", "ping", "--silent"],
			capture_output=True,
		).returncode
		== 0
	)


def restart_mariadb(down_seconds: float = 4) -> float:
	"""mysqld killed (SIGKILL: a crash, no clean shutdown, InnoDB recovers on start), held down, then
	started again the way `scripts/dev services` starts it; → seconds until it answered again."""
	subprocess.run(["pkill", "-9", "-f", "mysqld_safe"], check=False)
	subprocess.run(["pkill", "-9", "-x", "mariadbd"], check=False)
	subprocess.run(["pkill", "-9", "-x", "mysqld"], check=False)
	t0 = time.monotonic()
	time.sleep(down_seconds)
	subprocess.Popen(
		["mysqld_safe"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
	)
	deadline = time.monotonic() + 120
	while not mariadb_up() and time.monotonic() < deadline:
		time.sleep(0.5)
	assert mariadb_up(), "MariaDB did not come back"
	return time.monotonic() - t0


def reconnect(timeout: float = 120):
	"""This process's own connection died with the server: a new one (waiting for the server)."""
	deadline = time.monotonic() + timeout
	while True:
		try:
			frappe.db.sql("select 1")
			return
		except Exception:
			if time.monotonic() > deadline:
				raise
			time.sleep(1)
			try:
				frappe.db.connect()
			except Exception:
				pass


REDIS = ("redis_cache", "redis_queue")


def restart_redis(down_seconds: float = 3) -> float:
	"""Both Redis servers (cache and queue) shut down (saving, as a service stop does), held down,
	started again from the bench's configuration as `scripts/dev` does."""
	config = os.path.join(BENCH_DIR, "config")
	ports = {}
	for name in REDIS:
		with open(os.path.join(config, f"{name}.conf")) as f:
			ports[name] = next(line.split()[1] for line in f if line.startswith("port"))
		subprocess.run(["redis-cli", "-p", ports[name], "shutdown"], capture_output=True)
	t0 = time.monotonic()
	time.sleep(down_seconds)
	for name in REDIS:
		subprocess.run(
			["redis-server", f"{name}.conf", "--daemonize", "yes", "--bind", "127.0.0.1"],
			cwd=config,
			capture_output=True,
			check=True,
		)
	for name in REDIS:
		deadline = time.monotonic() + 30
		while time.monotonic() < deadline:
			if (
				subprocess.run(["redis-cli", "-p", ports[name], "ping"], capture_output=True).stdout.strip()
				== b"PONG"
			):
				break
			time.sleep(0.2)
	return time.monotonic() - t0


def kill_gunicorn_workers(procs: Processes, times: int = 3, gap: float = 1.5) -> int:
	"""SIGKILL a gunicorn worker `times` times (with 22 clients one is almost always mid-request);
	the master starts a new one each time."""
	killed = 0
	for _ in range(times):
		workers = procs.gunicorn_workers()
		if workers:
			os.kill(random.Random(killed).choice(workers), signal.SIGKILL)
			killed += 1
		time.sleep(gap)
	return killed


CONFISCATION = "sales_process.scheduled.deadlines.enqueue_confiscation"
POOL = "sales_process.scheduled.pool.return_stale_leads"
CARE = "sales_process.scheduled.care.send_care_reminders"
REVIVER = "sales_process.domain.jobs.revive_dead_scheduled_jobs"


def stale_leads(team: Team, n: int) -> list[str]:
	"""n leads the team's reps hold without contact for more than a year (the pool job's work)."""
	from sales_process.domain.lead import default_pool

	now, old = frappe.utils.now_datetime(), frappe.utils.get_datetime("2001-01-01 00:00:00")
	names = [f"SOAK-{team.tag}-L{len(team.leads) + i:05d}" for i in range(n)]
	pool = default_pool()
	rows = [
		(
			name,
			now,
			now,
			"Administrator",
			"Administrator",
			f"Stale soak {team.tag} {i}",
			"Contacted",
			team.sp[team.reps[i % len(team.reps)]],
			pool,
			old + frappe.utils.datetime.timedelta(seconds=i),
		)
		for i, name in enumerate(names)
	]
	frappe.db.bulk_insert(
		LEAD,
		[
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"company_name",
			"status",
			"sales_person",
			"pool",
			"held_since",
		],
		rows,
	)
	frappe.db.commit()
	team.leads += names
	return names


def returned(names: list[str]) -> Counter:
	return _logged("Sales Lead Log", "lead", "Return", names)


def _logged(doctype: str, link: str, action: str, names: list[str]) -> Counter:
	"""How many `action` rows each of `names` has in a history doctype, as committed (rollback first)."""
	frappe.db.rollback()
	rows = frappe.get_all(doctype, {link: ("in", names), "action": action}, pluck=link, limit_page_length=0)
	return Counter(rows)


def overdue_opportunities(team: Team, n: int) -> list[str]:
	"""n opportunities of the team's reps whose stage time ran out long ago (confiscation's work)."""
	from tests.factories import bulk_opportunities

	old = frappe.utils.get_datetime("2001-01-01 00:00:00")
	names = [f"SOAK-{team.tag}-{len(team.extra_opportunities) + i:05d}" for i in range(n)]
	rows = []
	for i, name in enumerate(names):
		rep = team.reps[i % len(team.reps)]
		rows.append(
			{
				"name": name,
				"customer": team.customers[rep][2],
				"sales_person": team.sp[rep],
				"stage": PATH[0],
				"stage_entered_at": old,
				"stage_due_at": old + frappe.utils.datetime.timedelta(seconds=i),
				"amount": 1,
			}
		)
	bulk_opportunities(rows)
	frappe.db.commit()
	team.extra_opportunities += names
	return names


def confiscated(names: list[str]) -> Counter:
	return _logged("Opportunity Stage Log", "opportunity", "Confiscate", names)


def care_due(team: Team, n: int) -> list[str]:
	"""n customers of the team's reps (on their ERPNext Sales Team) due for a revisit: never logged,
	added long ago (the care job's work, one ToDo each for the rep)."""
	now, old = frappe.utils.now_datetime(), frappe.utils.get_datetime("2001-01-01 00:00:00")
	group = frappe.db.get_value("Customer Group", {"is_group": 0}, "name")
	territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
	names = [f"SOAK-{team.tag}-C{len(team.care_customers) + i:05d}" for i in range(n)]
	frappe.db.bulk_insert(
		"Customer",
		["name", "creation", "modified", "owner", "modified_by", "customer_name", "customer_type"]
		+ ["customer_group", "territory", "revisit_interval_days"],
		[
			(name, old, now, "Administrator", "Administrator", name, "Company", group, territory, 30)
			for name in names
		],
	)
	frappe.db.bulk_insert(
		"Sales Team",
		["name", "creation", "modified", "owner", "modified_by", "parent", "parenttype", "parentfield"]
		+ ["idx", "sales_person", "allocated_percentage"],
		[
			(frappe.generate_hash(length=12), now, now, "Administrator", "Administrator", name)
			+ ("Customer", "sales_team", 1, team.sp[team.reps[i % len(team.reps)]], 100)
			for i, name in enumerate(names)
		],
	)
	frappe.db.commit()
	team.care_customers += names
	return names


def care_reminded(names: list[str]) -> Counter:
	"""Revisit ToDos per customer, as committed."""
	from sales_process.domain.care_reminders import KEY_FIELD

	frappe.db.rollback()
	return Counter(
		frappe.get_all(
			"ToDo",
			{"reference_type": "Customer", "reference_name": ("in", names), KEY_FIELD: ("like", "revisit:%")},
			pluck="reference_name",
			limit_page_length=0,
		)
	)


def crm_leads(team: Team, n: int) -> list[str]:
	"""n open ERPNext Leads owned by the team's reps, each its own company (the migration's work)."""
	now = frappe.utils.now_datetime()
	names = [f"SOAK-{team.tag}-E{len(team.crm_leads) + i:05d}" for i in range(n)]
	frappe.db.bulk_insert(
		"Lead",
		["name", "creation", "modified", "owner", "modified_by", "naming_series", "lead_name"]
		+ ["company_name", "status", "lead_owner", "company"],
		[
			(name, now, now, "Administrator", "Administrator", "CRM-LEAD-.YYYY.-", f"联系人 {name}")
			+ (f"迁移公司 {name}", "Open", team.users[team.reps[i % len(team.reps)]], team.company)
			for i, name in enumerate(names)
		],
	)
	frappe.db.commit()
	team.crm_leads += names
	return names


def migrated(names: list[str]) -> Counter:
	"""Sales Leads per ERPNext Lead, as committed (by the company name the migration copies)."""
	frappe.db.rollback()
	companies = {f"迁移公司 {n}": n for n in names}
	return Counter(
		companies[c]
		for c in frappe.get_all(
			LEAD, {"company_name": ("in", list(companies))}, pluck="company_name", limit_page_length=0
		)
	)


@dataclass
class KilledJob:
	"""One batch job the rq_worker fault kills: its work, how many of its names are done, how it is
	set off (and set off again after the kill) and whether it is part-way."""

	label: str
	make: object  # () → the names of its work
	done: object  # names → Counter of how often each was done
	start: object  # () → None
	part_way: object  # (names, set off at) → bool


def _scheduled(method: str, minutes: int):
	"""Set off by the scheduler: due now, as is the reviver (for the run after a kill)."""

	def start():
		make_due(method, minutes)
		make_due(REVIVER, 61)

	return start


def _some_done(done):
	return lambda names, since: 0 < sum(done(names).values()) < len(names)


def _started(method: str):
	"""Part-way for a job that commits once, at its end: Frappe's Scheduled Job Log has said "Start"
	for two seconds (a run logged since the job was set off)."""
	first_seen = {}
	job_type = frappe.db.get_value("Scheduled Job Type", {"method": method})

	def part_way(names, since) -> bool:
		frappe.db.rollback()
		log = frappe.db.get_value(
			"Scheduled Job Log",
			{"scheduled_job_type": job_type, "status": "Start", "creation": (">=", since)},
			"name",
		)
		return bool(log) and time.monotonic() - first_seen.setdefault(log, time.monotonic()) >= 2

	return part_way


def _migration_start(team: Team):
	def start():
		from sales_process.api.crm_migration import start_migration

		frappe.db.rollback()
		start_migration(batch_size=300)  # as the System Manager presses Start (again)
		frappe.db.commit()
		team.migration_runs.update(
			frappe.get_all("CRM Migration Run", {"started_at": (">=", team.started)}, pluck="name")
		)

	return start


def killed_jobs(team: Team, n: int) -> list[KilledJob]:
	"""The four batch jobs of the issue, each with n items of work."""
	return [
		KilledJob(
			"confiscation",
			lambda: overdue_opportunities(team, n),
			confiscated,
			_scheduled(CONFISCATION, 61),
			_some_done(confiscated),
		),
		KilledJob(
			"stale-lead return",
			lambda: stale_leads(team, 4 * n),  # a quicker job
			returned,
			_scheduled(POOL, 61),
			_some_done(returned),
		),
		KilledJob(
			"care reminders",
			lambda: care_due(team, n),
			care_reminded,
			_scheduled(CARE, 25 * 60),  # a daily job
			_started(CARE),
		),
		KilledJob(
			"CRM migration",
			lambda: crm_leads(team, n),
			migrated,
			_migration_start(team),
			_some_done(migrated),
		),
	]


def make_due(method: str, minutes: int = 61):
	"""As if the scheduler's clock had moved on: the job type last ran `minutes` ago (and logs each
	run in Scheduled Job Log, Frappe's own record, so the runs can be counted)."""
	name = frappe.db.get_value("Scheduled Job Type", {"method": method})
	frappe.db.set_value(
		"Scheduled Job Type",
		name,
		{
			"last_execution": frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-minutes),
			"create_log": 1,
		},
		update_modified=False,
	)
	frappe.db.commit()


def runs_of(method: str, since) -> int:
	frappe.db.rollback()
	name = frappe.db.get_value("Scheduled Job Type", {"method": method})
	return frappe.db.count("Scheduled Job Log", {"scheduled_job_type": name, "creation": (">=", since)})


def wait_until(predicate, timeout: float, step: float = 0.5) -> bool:
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if predicate():
			return True
		time.sleep(step)
	return predicate()


# --- the checks -------------------------------------------------------------------------------------------


def check(run: Run) -> list[str]:
	"""What the server said against what it stored; [] when everything agrees."""
	from sales_process.reports import pipeline
	from tests.integration.test_pipeline_reports import assert_funnel, sql_current

	frappe.db.rollback()
	team, problems = run.team, []
	like = f"soak-{run.tag}-%"

	def by_token(doctype, token_field, value_field, **extra):
		found = defaultdict(list)
		for row in frappe.get_all(
			doctype, {token_field: ("like", like), **extra}, [token_field, value_field], limit_page_length=0
		):
			found[row[token_field]].append(str(row[value_field]))
		return found

	stored = {
		"add_log": by_token(DL, "note", "name"),
		"raise_alert": by_token(ALERT, "description", "name"),
		"respond": by_token("Help Alert Response", "analysis", "parent"),
		"release_lead": by_token("Sales Lead Log", "reason", "lead", action="Release"),
	}
	expected_value = {
		"add_log": lambda o: str(o.value),
		"raise_alert": lambda o: str(o.value),
		"respond": lambda o: o.target,
		"release_lead": lambda o: o.target,
	}
	for o in run.outcomes:
		if o.kind not in stored:
			continue
		rows = stored[o.kind].get(o.token, [])
		if o.status == 200 and rows != [expected_value[o.kind](o)]:
			problems.append(f"{o.kind} {o.token}: accepted ({o.value}) but stored {rows}")
		elif o.status and o.status >= 400 and rows:
			problems.append(f"{o.kind} {o.token}: refused ({o.status} {o.reason}) but stored {rows}")
		elif o.status is None and len(rows) > 1:
			problems.append(f"{o.kind} {o.token}: unacknowledged and stored {len(rows)} times")
	# claims: one Claim row per accepted claim of a lead by a person
	claims = Counter(
		(r.lead, r.to_sales_person)
		for r in frappe.get_all(
			"Sales Lead Log",
			{"lead": ("in", team.leads), "action": "Claim"},
			["lead", "to_sales_person"],
			limit_page_length=0,
		)
	)
	accepted_claims = Counter(
		(o.target, team.sp[o.who]) for o in run.outcomes if o.kind == "claim_lead" and o.status == 200
	)
	unacknowledged = {
		(o.target, team.sp[o.who]) for o in run.outcomes if o.kind == "claim_lead" and o.status is None
	}
	for pair in set(claims) | set(accepted_claims):
		if claims[pair] != accepted_claims[pair] and not (
			pair in unacknowledged and claims[pair] == accepted_claims[pair] + 1
		):
			problems.append(f"claim {pair}: {accepted_claims[pair]} accepted, {claims[pair]} stored")
	# stage moves: one Advance row per accepted move, and the opportunity where the moves left it
	opps = [n for names in team.opportunities.values() for n in names]
	advances = Counter(
		frappe.get_all(
			"Opportunity Stage Log",
			{"opportunity": ("in", opps), "action": "Advance"},
			pluck="opportunity",
			limit_page_length=0,
		)
	)
	accepted_moves = Counter(o.target for o in run.outcomes if o.kind == "advance_stage" and o.status == 200)
	for name in opps:
		if advances[name] != accepted_moves[name]:
			problems.append(f"advance {name}: {accepted_moves[name]} accepted, {advances[name]} stored")
	stages = dict(frappe.get_all(OPP, {"name": ("in", opps)}, ["name", "stage"], as_list=True))
	for name, stage in run.stages.items():
		if stages.get(name) != stage:
			problems.append(f"opportunity {name} is in {stages.get(name)}, the accepted moves say {stage}")
	everything = team.all_opportunities()
	if d := stage_history.differences(everything):
		problems.append(f"stage summary ≠ stage log: {d[:3]}")
	if d := stage_history.totals_differences():
		problems.append(f"stage totals ≠ summary: {d[:3]}")
	chains = daily_log.verify(list(team.sp.values()))
	if not chains["ok"]:
		problems.append(f"hash chains: {chains['problems'][:3]}")
	under_head = frappe.get_all(OPP, {"name": ("in", everything)}, pluck="name", limit_page_length=0)
	rows = pipeline.funnel({"sales_person": team.sp["head"]})
	try:
		assert_funnel(rows, under_head)
	except AssertionError as e:
		stage = str(e).split("\n")[0]
		funnel_row = [r for r in rows if r["stage"] == stage]
		problems.append(
			f"funnel ≠ independent SQL at {stage}: {funnel_row} vs {sql_current(under_head).get(stage)}"
		)
	if run.server_errors:
		problems.append(f"{len(run.server_errors)} server errors, e.g. {run.server_errors[:2]}")
	if run.tracebacks:
		problems.append(f"{run.tracebacks} answers carried a traceback")
	return problems


# --- the table ------------------------------------------------------------------------------------------------


def _pct(values, q) -> float:
	if not values:
		return 0.0
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def table(run: Run, phases: list[dict]) -> str:
	"""Markdown: the phases (fault, what it did, requests, checks) and the traffic by kind."""
	lines = [
		"| phase | fault injected | actions | unacknowledged | checks |",
		"|---|---|---:|---:|---|",
	]
	for p in phases:
		lines.append(
			f"| {p['phase']} | {p['fault']} | {p['actions']} | {p['unacknowledged']} | "
			f"{'pass' if not p['problems'] else 'FAIL: ' + '; '.join(p['problems'])[:300]} |"
		)
	by_kind = defaultdict(list)
	for o in run.outcomes:
		by_kind[o.kind].append(o)
	lines += [
		"",
		"| kind | actions | accepted | refused (by reason) | retried | p50 ms | p99 ms |",
		"|---|---:|---:|---|---:|---:|---:|",
	]
	for kind in MIX:
		done = by_kind.get(kind, [])
		refused = Counter(o.reason for o in done if o.status and o.status >= 400)
		lines.append(
			f"| {kind} | {len(done)} | {sum(1 for o in done if o.status == 200)} | "
			f"{', '.join(f'{r} {n}' for r, n in refused.most_common()) or '–'} | "
			f"{sum(1 for o in done if o.attempts > 1)} | "
			f"{_pct(run.latencies[kind], 0.5):.0f} | {_pct(run.latencies[kind], 0.99):.0f} |"
		)
	answers = ", ".join(f"{k}: {v}" for k, v in sorted(run.answers.items(), key=lambda kv: str(kv[0])))
	five = sum(v for k, v in run.answers.items() if isinstance(k, int) and k >= 500 and k != 503)
	lines += [
		"",
		f'HTTP answers per attempt: {answers}. Errors 5xx other than 503 "try again": **{five}**. '
		f"Answers carrying a traceback: **{run.tracebacks}**.",
	]
	return "\n".join(lines)


# --- the phases ----------------------------------------------------------------------------------------------


def phases(procs: Processes, overdue: int):
	"""(name, what the fault does, during(run, budget) → (description, extra problems)) in order."""

	def none(run, budget):
		return "none", []

	def gunicorn(run, budget):
		wait_for(run, budget // 3)
		return f"{kill_gunicorn_workers(procs)} gunicorn workers SIGKILLed mid-traffic", []

	def redis(run, budget):
		wait_for(run, budget // 3)
		down = restart_redis()
		procs.restart_dead_workers()
		return f"Redis cache + queue down, back after {down:.1f} s", []

	def mariadb(run, budget):
		wait_for(run, budget // 3)
		down = restart_mariadb()
		reconnect()
		procs.restart_dead_workers()
		return f"mysqld SIGKILLed, restarted after {down:.1f} s (crash recovery)", []

	def rq_worker(run, budget):
		said, problems = [], []
		for job in killed_jobs(run.team, overdue):
			names = job.make()
			since = frappe.utils.now_datetime()
			job.start()  # the scheduler enqueues it on its next tick, or a user starts it
			seen = wait_until(
				lambda job=job, names=names, since=since: job.part_way(names, since), 120, step=0.02
			)
			at_kill = sum(job.done(names).values())
			killed = procs.kill_worker()
			after_kill = sum(job.done(names).values())
			procs.start_worker()
			if after_kill >= len(names):
				problems.append(f"{job.label} had finished when the worker was killed")
			if not killed:
				problems.append(f"no work-horse was running {job.label} when the worker was killed")
			if not seen:
				problems.append(f"{job.label} was never seen mid-run")
			# set off again: the dead run must not block the next one
			t0 = time.monotonic()

			def again_and_done(job=job, names=names) -> bool:
				job.start()
				return len(job.done(names)) == len(names)

			finished = wait_until(again_and_done, 300, step=5)
			counts = job.done(names)
			if not finished:
				problems.append(
					f"{job.label}: after the kill only {len(counts)} of {len(names)} were ever done"
				)
			if twice := [n for n, c in counts.items() if c != 1]:
				problems.append(f"{job.label}: {len(twice)} done more than once, e.g. {twice[:3]}")
			said.append(
				f"{job.label} ({at_kill} of {len(names)} done at the kill; the next run finished in "
				f"{time.monotonic() - t0:.0f} s)"
			)
		return "RQ worker + work-horse SIGKILLed mid-job: " + "; ".join(said), problems

	def scheduler(run, budget):
		wait_for(run, budget // 4)
		os.killpg(procs.scheduler.pid, signal.SIGSTOP)
		time.sleep(4)  # a tick caught mid-way has enqueued its jobs and they ran: the pause is clean
		try:
			# the hour the scheduler missed: deadlines ran out, the quarter-hour job came due 4 times
			names = overdue_opportunities(run.team, 50)
			make_due(CONFISCATION, minutes=61)
			time.sleep(6)
			early = len(confiscated(names))
		finally:
			resumed = frappe.utils.now_datetime()
			os.killpg(procs.scheduler.pid, signal.SIGCONT)
		problems = [f"{early} confiscated while the scheduler was paused"] if early else []
		if not wait_until(lambda: len(confiscated(names)) == len(names), 120, step=1):
			problems.append(f"only {len(confiscated(names))} of {len(names)} confiscated after resuming")
		time.sleep(6)  # three more ticks: the missed hour must not be made up with more runs
		runs = runs_of(CONFISCATION, resumed)
		if runs != 1:
			logs = frappe.get_all(
				"Scheduled Job Log",
				{"creation": (">=", frappe.utils.add_to_date(resumed, minutes=-2))},
				["creation", "scheduled_job_type"],
				order_by="creation desc",
				limit=5,
			)
			problems.append(
				f"the quarter-hour job ran {runs} times after resuming ({resumed}), not once: {logs}"
			)
		if twice := [n for n, c in confiscated(names).items() if c != 1]:
			problems.append(f"{len(twice)} confiscated more than once")
		return (
			f"scheduler SIGSTOPped for a missed hour (job last ran 61 min ago), resumed: {runs} run",
			problems,
		)

	return [
		("steady", none),
		("gunicorn", gunicorn),
		("redis", redis),
		("mariadb", mariadb),
		("rq_worker", rq_worker),
		("scheduler", scheduler),
	]


def soak(
	total: int, seed: int = 22, overdue: int = 1500, time_limit: float = 900, only=None
) -> tuple[Run, list]:
	"""The whole harness: the team, the processes, each phase's traffic with its fault and checks.
	→ (the run, one dict per phase). Stops every process and removes the team."""
	frappe.db.commit()
	last_runs = scheduler_as_if_running()
	previous = scheduler_enabled(True)
	procs = Processes(duration=time_limit * 3 + 600)
	team = None
	try:
		team = Team(procs.server, seed)
		run = Run(team, seed)
		steps = [p for p in phases(procs, overdue) if not only or p[0] in only]
		budget = max(1, total // len(steps))
		results = []
		for name, fault in steps:
			before = len(run.outcomes)
			said = {}

			def during(run, fault=fault, said=said):
				said["fault"], said["problems"] = fault(run, budget)

			traffic(run, budget, time_limit / len(steps), during=during)
			reconnect()
			problems = list(said.get("problems", ["the fault did not finish"])) + check(run)
			done = run.outcomes[before:]
			results.append(
				{
					"phase": name,
					"fault": said.get("fault", "?"),
					"actions": len(done),
					"unacknowledged": sum(1 for o in done if o.status is None),
					"problems": problems,
				}
			)
		return run, results
	finally:
		procs.stop()
		reconnect()
		if team:
			team.teardown()
		scheduler_enabled(bool(previous))
		scheduler_as_if_running(last_runs)
