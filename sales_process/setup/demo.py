"""The demo company (X3): fixed seed, zh_CN and en data, idempotent.

Run with `bench --site SITE sales-process-demo`; scripts/dev up calls it. It builds, in one
transaction (the command commits afterwards):

- the Sales Person tree of HIERARCHY, each person with a user (password DEMO_PASSWORD);
- customers (Chinese and English names) with founding dates, referral chains, revisit intervals
  and contacts (decision makers, birthdays; some anniversaries and birthdays in the next days),
  each with an Address with coordinates in its salesperson's city (F2);
- opportunities in every stage, entered by their owners and moved through the real process
  (exit criteria answered), some won, some lost (requested by the owner, approved by the
  superior), some overdue and confiscated by the real job;
- about three months of daily logs per salesperson (bulk-inserted with a valid hash chain; one
  person's effort falls in the last two weeks), plus today's entries through the real API; most
  visits carry a check-in near the customer's address, a few far from it and a few none (F2), and
  each salesperson but the declining one has a route today;
- help alerts with colleagues' answers, some marked effective (→ experience pool), and one on a
  won customer with no open opportunity, whose anniversary and birthday are in the next days (K8);
- contracts, sales orders, invoices and part payments for a few won opportunities.

`scale` shrinks or grows the volumes (tests use a small one).
"""

import math
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from faker import Faker

import frappe
from frappe.utils import add_days, add_to_date, flt, get_system_timezone, getdate, now_datetime, today

from sales_process.domain import check_in
from sales_process.setup.org import default_company, make_person

DEMO_MARKER = "销售总监 王强"  # the root of the demo hierarchy; present = demo already loaded
DEMO_PASSWORD = "demo-Sales-2026"
PIPELINE_DAYS = 41  # K7: earlier days of pipeline snapshots, six weeks with today's

# (name, email, parent, is_group, roles, language)
HIERARCHY = [
	(DEMO_MARKER, "director@demo.example.com", None, True, ("Sales Manager", "Sales User"), "zh"),
	("华东经理 李娜", "east.manager@demo.example.com", DEMO_MARKER, True, ("Sales User",), "zh"),
	("华南经理 Mark Chen", "south.manager@demo.example.com", DEMO_MARKER, True, ("Sales User",), "en"),
	("上海组长 张伟", "sh.lead@demo.example.com", "华东经理 李娜", True, ("Sales User",), "zh"),
	("销售 刘洋", "liu.yang@demo.example.com", "上海组长 张伟", False, ("Sales User",), "zh"),
	("销售 陈静", "chen.jing@demo.example.com", "上海组长 张伟", False, ("Sales User",), "zh"),
	("销售 赵磊", "zhao.lei@demo.example.com", "华东经理 李娜", False, ("Sales User",), "zh"),
	("Sales Amy Wong", "amy.wong@demo.example.com", "华南经理 Mark Chen", False, ("Sales User",), "en"),
	("销售 孙鹏", "sun.peng@demo.example.com", "华南经理 Mark Chen", False, ("Sales User",), "zh"),
]
DECLINING = "销售 赵磊"  # whose effort falls in the last two weeks (early warning)
SERVICE_ITEM = "实施服务"
LOG_DAYS = 91
HOLIDAY_LIST = "演示公司 周末"  # the company's weekly offs (K6: weekends are not working days)
QUIET_OPPORTUNITIES = 2  # open opportunities nobody logs on in the last QUIET_DAYS days (K9) …
QUIET_CANDIDATES = 8  # … out of this many, as the deadline and decision steps may take some
QUIET_DAYS = 12

# F2: each salesperson's customers lie in one city (the team's region), up to about 7 km from its
# centre; a visit's check-in is a few tens to a few hundred metres from the customer's address,
# a few are 1–5 km away (check_in_far) and a few visits have none (visit_without_check_in)
CITIES = {  # city → (latitude, longitude) of its centre
	"上海": (31.2304161, 121.4737010),
	"杭州": (30.2741499, 120.1551441),
	"深圳": (22.5431, 114.0579),
	"广州": (23.1291, 113.2644),
	"北京": (39.9042, 116.4074),
	"苏州": (31.2989, 120.5853),
}
CITY_OF = {
	"销售 刘洋": "上海",
	"销售 陈静": "上海",
	"销售 赵磊": "杭州",
	"Sales Amy Wong": "深圳",
	"销售 孙鹏": "广州",
}
ROADS = [
	"人民路",
	"中山路",
	"解放路",
	"建设路",
	"科技路",
	"创业路",
	"长江路",
	"世纪大道",
	"滨江大道",
	"高新路",
]
CITY_SPREAD_DEG = 0.06  # customers within ± this many degrees of the city centre
NEAR_M = (20, 350)  # a check-in at the customer: metres from its address
FAR_M = (1000, 5000)  # a check-in far from it (beyond check_in_max_distance_m)
NO_CHECK_IN_SHARE = 0.03  # of the visits written in bulk: left without a check-in …
FAR_SHARE = 0.025  # … and checked in far from the customer

TODAY_VISITS = ["拜访客户", "产品演示"]
VISIT_NOTES = ["上门拜访，和 IT 主管过了一遍上线计划", "Demo at the customer's office, the CFO joined"]

LOST_REASONS = [  # (Sales Lost Reason, the owner's detail), K8
	("No Budget", "客户预算被砍，项目取消"),
	("Competitor", "竞争对手报价低30%，客户选择了对方"),
	("Timing", "Customer postponed the project indefinitely"),
	("Lost Contact", "决策人离职，新负责人不认可方案"),
	("Price", "报价超出客户预期 40%，对方只接受分期"),
	("Product Fit", "客户要求私有化部署并对接 SAP，标准方案不支持"),
]
ALERT_TEXTS = [
	("竞争对手低价", "竞争对手报价比我们低 25%，客户要求我们跟价，怎么守住价格？"),
	("决策人难以接触", "一直只能对接到 IT 主管，采购总监约不到，如何突破？"),
	("客户内部流程慢", "Customer's procurement review has been stuck for three weeks, how to speed it up?"),
	("技术方案不满足", "客户要求私有化部署并对接 SAP，我们的标准方案不支持，怎么回应？"),
	("商务条款分歧", "客户坚持 90 天账期且无预付款，财务不同意，有什么折中方案？"),
	("客户预算不足", "今年预算只剩一半，客户想分期上线，报价怎么拆分？"),
	("回款困难", "首付款已逾期 20 天，客户说在走流程，如何催收又不伤关系？"),
	("其他", "客户要求提供三家同行业成功案例并安排参观，我们案例不够怎么办？"),
	("竞争对手低价", "The incumbent vendor offered a free year of support; how do we respond?"),
	("决策人难以接触", "新来的 CIO 不接电话，之前的对接人已经没有话语权了。"),
	("客户内部流程慢", "法务审合同已经两周没有反馈，签约阶段快到期了。"),
	("技术方案不满足", "客户要求国产化数据库适配，需要研发评估排期。"),
]
ANSWERS = [
	("价格战不可跟，强调总拥有成本和实施风险。", "做一份三年 TCO 对比表，约对方财务一起过一遍。"),
	("通过已经合作的部门做内部引荐最有效。", "请 IT 主管安排一次由我方总监参加的高层交流会。"),
	("Find out who owns the approval step and what they need.", "Offer to prepare the review pack for them."),
	("先确认硬性需求和可以分期满足的需求。", "拉上售前出一份分阶段的实施路线图。"),
	("账期可以谈，但要换取更大的合同额或更长的服务期。", "提议 30% 预付 + 60 天账期，同时签两年服务。"),
	("把项目拆成一期和二期，一期控制在预算内。", "一期只上核心模块，二期写进合同作为可选项。"),
	("催款要找对人，先和客户财务确认付款节点。", "发正式对账函，同时请客户对接人内部推动。"),
	("用已有案例做线上分享会代替现场参观。", "整理两个最相近的案例，请老客户做一次电话推荐。"),
]
LEAD_NOTES = [
	"展会上留下名片，对移动端报表感兴趣",
	"官网留言咨询价格",
	"老客户推荐，计划明年上 ERP",
	"Asked for a demo of the approval workflow",
	"电话咨询实施周期",
]
LEAD_CALL_NOTES = ["首次电话沟通，约了下周演示", "确认了联系人和预算范围", "Intro call, sent the brochure"]
DISQUALIFY_REASONS = ["联系方式无效", "同行打探价格", "Student project, no budget"]
NOTES = [
	"电话沟通项目进度，客户反馈积极",
	"拜访客户 IT 部门，了解现有系统",
	"发送产品资料和报价单",
	"和客户采购确认合同条款",
	"Demo for the operations team, good questions on reporting",
	"整理客户需求清单",
	"微信跟进上次会议的待办事项",
	"Follow-up call with the procurement manager",
	"陪同售前做方案演示",
	"内部评审报价",
]


def make_demo(seed: int = 20261122, scale: float = 1.0):
	"""Fill the site with the demo company; does nothing when its root Sales Person exists. A demo
	company made before leads existed gets its leads (and nothing else) added."""
	demo = _Demo(seed, scale)
	if frappe.db.exists("Sales Person", DEMO_MARKER):
		if has_demo_leads():
			print("Demo data already present; nothing to do.")
			return None
		steps = (demo.known_people, demo.leads)
	else:
		steps = (demo.run,)
	previous_user = frappe.session.user
	try:
		for step in steps:
			step()
	finally:
		frappe.set_user(previous_user)
	print(f"Demo users' password: {DEMO_PASSWORD}")
	return demo.summary


def has_demo_leads() -> bool:
	"""The demo's leads are entered by its sales director (HIERARCHY's root)."""
	return bool(frappe.db.exists("Sales Lead Log", {"action": "Create", "by_user": HIERARCHY[0][1]}))


def _scaled(n: int, scale: float, minimum: int) -> int:
	return max(minimum, round(n * scale))


def _progress(label: str, i: int, total: int):
	step = max(1, total // 10)
	if total >= 20 and (i + 1) % step == 0:
		print(f"  {label}: {round((i + 1) * 100 / total)}%", flush=True)


class _Demo:
	def __init__(self, seed: int, scale: float):
		self.rng = random.Random(seed)
		self.fake_zh, self.fake_en = Faker("zh_CN"), Faker("en_US")
		self.fake_zh.seed_instance(seed)
		self.fake_en.seed_instance(seed)
		self.scale = scale
		# F2's places and check-ins draw from their own generator: the rest of the demo stays as it was
		self.place_rng = random.Random(f"{seed}-places")
		self.check_ins = dict.fromkeys(("checked_in", "far", "without"), 0)
		self.company = default_company()
		self.today = getdate(today())
		self.now = now_datetime()
		self.users: dict[str, str] = {}  # sales person → user
		self.parent: dict[str, str | None] = {}
		self.leaves: list[str] = []
		self.customers: list[str] = []
		self.customers_of: dict[str, list[str]] = {}
		self.opportunities: list[str] = []
		self.quiet: set[str] = set()
		self.summary: dict = {}

	def run(self):
		self.people()
		self.holidays()
		self.make_customers()
		self.addresses()
		self.make_opportunities()
		self.daily_logs()
		self.help_alerts()
		self.after_the_win()
		self.money()
		self.decisions()
		self.deadlines()
		self.silence()
		self.care()
		self.pipeline_history()
		self.leads()

	def as_user(self, sales_person: str):
		frappe.set_user(self.users[sales_person])

	def admin(self):
		frappe.set_user("Administrator")

	# --- people ------------------------------------------------------------------------------------

	def people(self):
		self.admin()
		for name, email, parent, is_group, roles, language in HIERARCHY:
			make_person(
				name,
				email,
				self.company,
				parent=parent,
				roles=roles,
				is_group=is_group,
				language=language,
				password=DEMO_PASSWORD,
				joined=add_days(self.today, -self.rng.randint(200, 1500)),
			)
			self.users[name] = email
			self.parent[name] = parent
			if not is_group:
				self.leaves.append(name)
		self.summary["sales_persons"] = len(HIERARCHY)
		print(f"Demo: {len(HIERARCHY)} sales people ({len(self.leaves)} salespeople at the leaves)")

	def holidays(self):
		"""Weekends off in an ERPNext Holiday List, the company's default unless it has one: the
		minimum daily standard (K6) counts working days only."""
		if frappe.db.get_value("Company", self.company, "default_holiday_list"):
			return
		if not frappe.db.exists("Holiday List", HOLIDAY_LIST):
			holidays = frappe.get_doc(
				{
					"doctype": "Holiday List",
					"holiday_list_name": HOLIDAY_LIST,
					"from_date": add_days(self.today, -(LOG_DAYS + 30)),
					"to_date": add_days(self.today, 365),
				}
			)
			for day in ("Saturday", "Sunday"):
				holidays.weekly_off = day
				holidays.get_weekly_off_dates()
			holidays.insert(ignore_permissions=True)
		frappe.db.set_value("Company", self.company, "default_holiday_list", HOLIDAY_LIST)

	def known_people(self):
		"""The demo hierarchy as `people` built it, for a run that only adds what is missing."""
		for name, email, parent, is_group, _roles, _language in HIERARCHY:
			self.users[name] = email
			self.parent[name] = parent
			if not is_group:
				self.leaves.append(name)

	# --- customers and contacts ------------------------------------------------------------------

	def company_name(self, i: int, seen: set[str]) -> str:
		from sales_process.domain.normalize import company_name

		while True:
			fake = self.fake_en if i % 4 == 0 else self.fake_zh
			name = fake.company()
			key = company_name(name)
			if key not in seen and not frappe.db.exists("Customer", {"sp_normalized_name": key}):
				seen.add(key)
				return name

	def make_customers(self):
		n = _scaled(60, self.scale, 12)
		group = frappe.db.get_value("Customer Group", {"is_group": 0}, "name")
		territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
		referral_count = min(15, n // 3)
		roots = (0, referral_count // 2) if referral_count >= 6 else (0,)
		anniversaries = _scaled(6, self.scale, 2)
		seen: set[str] = set()
		contacts = 0
		for leaf in self.leaves:
			self.customers_of[leaf] = []
		for i in range(n):
			if i < anniversaries:  # founding anniversary within the next three days
				soon = add_days(self.today, i % 4)
				founding = _on_day(soon, self.today.year - self.rng.randint(3, 30))
			else:
				founding = self.fake_zh.date_between(start_date="-40y", end_date="-1y")
			referred_by = None
			if i < referral_count and i not in roots:  # two branching trees: each brings in two
				base = max(r for r in roots if r < i)
				referred_by = self.customers[base + (i - base - 1) // 2]
			doc = frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": self.company_name(i, seen),
					"customer_type": "Company",
					"customer_group": group,
					"territory": territory,
					"founding_date": founding,
					"referred_by": referred_by,
					"revisit_interval_days": self.rng.choice([0, 14, 30, 30, 60, 90]),
				}
			).insert(ignore_permissions=True)
			self.customers.append(doc.name)
			self.customers_of[self.leaves[i % len(self.leaves)]].append(doc.name)
			contacts += self.make_contacts(doc, i)
			_progress("customers", i, n)
		self.summary.update(customers=n, contacts=contacts, referred=max(referral_count - len(roots), 0))
		print(
			f"Demo: {n} customers ({self.summary['referred']} referred, {anniversaries} anniversaries soon), "
			f"{contacts} contacts"
		)

	def addresses(self):
		"""F2: an Address with coordinates for each demo customer that has none yet, in its
		salesperson's city (CITY_OF), so check-ins have a place to be measured against."""
		link = frappe.qb.DocType("Dynamic Link")
		linked = set(
			frappe.qb.from_(link)
			.select(link.link_name)
			.where(
				(link.parenttype == "Address")
				& (link.link_doctype == "Customer")
				& link.link_name.isin(self.customers or [""])
			)
			.run(pluck=True)
		)
		titles = dict(
			frappe.get_all(
				"Customer", {"name": ("in", self.customers or [""])}, ["name", "customer_name"], as_list=True
			)
		)
		cities = list(CITIES)
		made = 0
		for p, leaf in enumerate(self.leaves):
			city = CITY_OF.get(leaf) or cities[p % len(cities)]
			lat0, lon0 = CITIES[city]
			for customer in self.customers_of.get(leaf, []):
				if customer in linked:
					continue
				rng = self.place_rng
				frappe.get_doc(
					{
						"doctype": "Address",
						"address_title": titles[customer],
						"address_type": "Office",
						"address_line1": f"{rng.choice(ROADS)}{rng.randint(1, 999)}号",
						"city": city,
						"country": "China",
						"is_primary_address": 1,
						"sp_latitude": flt(lat0 + rng.uniform(-1, 1) * CITY_SPREAD_DEG, 7),
						"sp_longitude": flt(lon0 + rng.uniform(-1, 1) * CITY_SPREAD_DEG, 7),
						"links": [{"link_doctype": "Customer", "link_name": customer}],
					}
				).insert(ignore_permissions=True)
				made += 1
		self.summary.update(addresses=made)
		print(f"Demo: {made} customer addresses with coordinates")

	def position(self, place: tuple[str, float, float], far: bool = False) -> tuple[float, float]:
		"""A phone's reported position a seeded distance (NEAR_M, or FAR_M when `far`) and bearing from
		an address, at the stored decimals."""
		metres = self.place_rng.uniform(*(FAR_M if far else NEAR_M))
		bearing = self.place_rng.uniform(0, 2 * math.pi)
		_name, lat, lon = place
		d_lat = math.degrees(metres * math.cos(bearing) / check_in.EARTH_RADIUS_M)
		d_lon = math.degrees(
			metres * math.sin(bearing) / (check_in.EARTH_RADIUS_M * math.cos(math.radians(lat)))
		)
		return (
			flt(lat + d_lat, check_in.COORDINATE_DECIMALS),
			flt(lon + d_lon, check_in.COORDINATE_DECIMALS),
		)

	def bulk_check_in(
		self, customer: str, acts: list[str], entered: datetime, places: dict, visits: set
	) -> dict:
		"""The six check-in columns of a row written in bulk, as check_in.validate would store them:
		most visits checked in near the customer's address, a few far from it (FAR_SHARE), a few not
		at all (NO_CHECK_IN_SHARE); entries without a visit, or on a customer without coordinates
		(nowhere to place the phone), have none."""
		none = dict.fromkeys(check_in.HASHED, None)
		none.update(check_in_latitude=0, check_in_longitude=0, check_in_accuracy=0, check_in_distance=0)
		if not visits.intersection(acts):
			return none
		rng = self.place_rng
		pick = rng.random()
		if not places.get(customer) or pick < NO_CHECK_IN_SHARE:
			self.check_ins["without"] += 1
			return none
		far = pick < NO_CHECK_IN_SHARE + FAR_SHARE
		fields = self.check_in_near(customer, places, far)
		fields["check_in_at"] = entered - timedelta(minutes=rng.randint(5, 50))
		return fields

	def check_in_near(self, customer: str, places: dict, far: bool) -> dict:
		"""A position near (or, `far`, 1–5 km from) the customer's first address with its accuracy,
		and the nearest address and distance derived as check_in.validate derives them."""
		latitude, longitude = self.position(places[customer][0], far)
		nearest, metres = check_in.nearest(latitude, longitude, places[customer])
		self.check_ins["checked_in"] += 1
		self.check_ins["far"] += far
		return {
			"check_in_latitude": latitude,
			"check_in_longitude": longitude,
			"check_in_accuracy": flt(self.place_rng.uniform(4, 65), check_in.METRE_DECIMALS),
			"check_in_address": nearest,
			"check_in_distance": metres,
		}

	def make_contacts(self, customer, i: int) -> int:
		count = 1 + (i % 3 == 0)
		english = i % 4 == 0
		for k in range(count):
			fake = self.fake_en if english else self.fake_zh
			if i < 4 and k == 0:
				birthday = _on_day(add_days(self.today, i), self.rng.randint(1970, 1995))
			elif i == 5 and k == 0:
				birthday = date(1988, 2, 29)
			else:
				birthday = fake.date_of_birth(minimum_age=25, maximum_age=60)
			first, last = fake.first_name(), fake.last_name()
			frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": first,
					"last_name": last,
					"designation": self.rng.choice(["CEO", "CIO", "采购经理", "IT 主管", "财务总监"]),
					"birthday": birthday,
					"is_decision_maker": 1 if k == 0 else 0,
					"email_ids": [
						{
							"email_id": f"{frappe.generate_hash(length=8)}@{self.fake_en.domain_name()}",
							"is_primary": 1,
						}
					],
					"phone_nos": [{"phone": self.fake_zh.phone_number(), "is_primary_mobile_no": 1}],
					"links": [{"link_doctype": "Customer", "link_name": customer.name}],
				}
			).insert(ignore_permissions=True)
		return count

	# --- opportunities ---------------------------------------------------------------------------------

	def make_opportunities(self):
		from sales_process.domain import opportunity as opp

		stages = opp.process_stages()
		open_rows = [s for s in stages if not s.is_terminal]
		won = next(s for s in stages if s.is_won)
		n = _scaled(80, self.scale, len(open_rows) + 4)
		# every stage first, then a realistic funnel (more early than late)
		# three lost ones at least, so Lost Reason Analysis (K8) has several reasons to show
		plan = [s.name for s in open_rows] + [won.name, "LOST", "LOST-PENDING", won.name, "LOST", "LOST"]
		weights = [14, 12, 10, 8, 6, 4][: len(open_rows)]
		while len(plan) < n:
			pick = self.rng.random()
			if pick < 0.15:
				plan.append(won.name)
			elif pick < 0.2:
				plan.append("LOST")
			else:
				plan.append(self.rng.choices([s.name for s in open_rows], weights=weights)[0])
		self.won, self.lost_pending = [], []
		lost_requests = 0
		counts: dict[str, int] = {}
		for i, target in enumerate(plan):
			leaf = self.leaves[i % len(self.leaves)]
			customer = self.customers_of[leaf][(i // len(self.leaves)) % len(self.customers_of[leaf])]
			self.as_user(leaf)
			fields = {
				"doctype": "Sales Opportunity",
				"customer": customer,
				"company": self.company,
				"amount": self.rng.randint(5, 200) * 10000,
				"expected_close_date": add_days(self.today, self.rng.randint(20, 150)),
				"description": self.rng.choice(
					["ERP 实施", "CRM 升级", "数据中台建设", "Cloud migration", "MES 系统", "年度运维服务"]
				),
			}
			if self.rng.random() < 0.5:
				fields["next_action_date"] = add_days(self.today, self.rng.randint(0, 6))
				fields["next_action"] = self.rng.choice(
					["电话跟进决策人", "发送修订报价", "安排产品演示", "Send the case studies", "约见采购"]
				)
			doc = frappe.get_doc(fields).insert()
			stop = open_rows[-1].name if target == won.name else target  # the last open stage to reach
			if target in ("LOST", "LOST-PENDING"):
				stop = self.rng.choice(open_rows[:4]).name
			while doc.stage != stop:
				doc = opp.advance(doc.name, opp.next_stage(doc.stage).name, self.evidence(doc.stage))
			if target == won.name:
				doc = opp.advance(doc.name, won.name, self.evidence(doc.stage))
				self.won.append(doc.name)
			if target in ("LOST", "LOST-PENDING"):
				opp.request_lost(doc.name, *LOST_REASONS[lost_requests % len(LOST_REASONS)])
				lost_requests += 1
				if target == "LOST":
					self.as_user(self.parent[leaf])
					opp.approve_lost(doc.name)
				else:
					self.lost_pending.append(doc.name)
			status = frappe.db.get_value("Sales Opportunity", doc.name, "stage")
			counts[status] = counts.get(status, 0) + 1
			self.opportunities.append(doc.name)
			_progress("opportunities", i, len(plan))
		self.admin()
		self.summary.update(opportunities=len(plan), by_stage=counts)
		print(
			f"Demo: {len(plan)} opportunities by stage: " + ", ".join(f"{k} {v}" for k, v in counts.items())
		)

	def evidence(self, stage: str) -> dict:
		criteria = frappe.get_cached_doc("Sales Process Stage", stage).exit_criteria
		return {
			c.criterion: self.rng.choice(
				["已完成，见附件", "客户已邮件确认", "Confirmed in the meeting", "已确认"]
			)
			for c in criteria
		}

	# --- daily logs ------------------------------------------------------------------------------------

	def daily_logs(self):
		from sales_process.domain.bulk import CHUNK
		from sales_process.domain.daily_log import chain_in_bulk, reset_chain_heads

		types = frappe.get_all("Sales Activity Type", fields=["name", "score", "is_effective", "is_visit"])
		score = {t.name: flt(t.score) if t.is_effective else 0 for t in types}
		visits = {t.name for t in types if t.is_visit}
		places = check_in.addresses_with_coordinates(
			sorted({c for cs in self.customers_of.values() for c in cs})
		)
		names = sorted(score)
		opps = frappe.get_all(
			"Sales Opportunity",
			filters={"name": ("in", self.opportunities)},
			fields=["name", "customer", "stage"],
		)
		opps_of: dict[str, list] = {}
		for o in opps:
			opps_of.setdefault(o.customer, []).append(o)
		self.quiet = self.quiet_opportunities()
		seq_name = "`sales_daily_log_id_seq`"
		days = _scaled(LOG_DAYS, min(1, self.scale * 2), 42)  # ≥ 6 weeks: the early warning compares 4 + 2
		start = add_days(self.today, -days)
		log_fields = [
			"name", "creation", "modified", "owner", "modified_by", "docstatus", "idx",
			"log_date", "sales_person", "customer", "opportunity", "minutes", "cost", "difficulty",
			"note", "corrects", "effective_score", "stage", "entered_at", "chain_seq",
			"previous_entry", "previous_hash", "content_hash", "chain_version", *check_in.HASHED,
		]  # fmt: skip
		act_fields = [
			"name", "creation", "modified", "owner", "modified_by", "docstatus", "idx",
			"parent", "parenttype", "parentfield", "activity_type",
		]  # fmt: skip
		total = 0
		for p, leaf in enumerate(self.leaves):
			user = self.users[leaf]
			entries = []
			for d in range(days):
				day = add_days(start, d)
				if day.weekday() == 6 or (day.weekday() == 5 and self.rng.random() < 0.7):
					continue
				recent = (self.today - day).days <= 14
				fading = leaf == DECLINING and recent
				count = self.rng.randint(0, 1) if fading else self.rng.randint(2, 4)
				budget = 540
				for k in range(count):
					minutes = self.rng.choice([15, 30, 45, 60, 90, 120, 180])
					if fading:
						minutes = self.rng.choice([15, 20, 30])
					minutes = min(minutes, budget)
					if minutes <= 0:
						break
					budget -= minutes
					customer = self.rng.choice(self.customers_of[leaf])
					o = self.rng.choice(opps_of[customer]) if opps_of.get(customer) and k % 2 == 0 else None
					if o and o.name in self.quiet and (self.today - day).days < QUIET_DAYS:
						o = None  # nobody works on it lately: it falls silent (K9)
					acts = self.rng.sample(names, self.rng.choice([1, 1, 2, 3]))
					if fading:
						acts = [n for n in acts if not score[n]] or ["资料整理"]
					entered = datetime.combine(day, time(9 + 2 * k, self.rng.randint(0, 59)))
					entries.append(
						{
							# nosemgrep: frappe-using-db-sql -- nextval() of the doctype's sequence; no qb equivalent
							"name": frappe.db.sql(f"select nextval({seq_name})")[0][0],
							"creation": entered,
							"modified": entered,
							"owner": user,
							"modified_by": user,
							"docstatus": 0,
							"idx": 0,
							"log_date": day,
							"sales_person": leaf,
							"customer": customer,
							"opportunity": o.name if o else None,
							"activities": acts,
							"minutes": minutes,
							"cost": self.rng.choice([0, 0, 0, 50, 120, 300]),
							"difficulty": 0,
							"note": self.rng.choice(NOTES),
							"corrects": None,
							"effective_score": sum(score[a] for a in acts),
							"stage": o.stage if o else None,
							"entered_at": entered,
							# F2: derived before chain_in_bulk hashes the row
							**self.bulk_check_in(customer, acts, entered, places, visits),
						}
					)
			log_rows, act_rows = [], []
			for row in chain_in_bulk(entries):
				log_rows.append(tuple(row[f] for f in log_fields))
				for idx, a in enumerate(row["activities"], 1):
					entered = row["entered_at"]
					act_rows.append(
						(frappe.generate_hash(length=10), entered, entered, user, user, 0, idx)
						+ (str(row["name"]), "Sales Daily Log", "activities", a)
					)
			frappe.db.bulk_insert("Sales Daily Log", log_fields, log_rows, chunk_size=CHUNK)
			frappe.db.bulk_insert("Sales Daily Log Activity", act_fields, act_rows, chunk_size=CHUNK)
			total += len(log_rows)
			print(f"  daily logs: {round((p + 1) * 100 / len(self.leaves))}% ({leaf}: {len(log_rows)})")
		reset_chain_heads(self.leaves)  # the bulk rows bypassed the controller
		today_logs = self.todays_logs(places)
		self.summary.update(daily_logs=total + today_logs)
		print(f"Demo: {total} daily logs over {days} days, {today_logs} entered today through the API")
		self.summary.update(check_ins=dict(self.check_ins))
		route = ""
		if self.leaves:
			stops = len(check_in.route(self.leaves[0], self.today))
			route = f"; today's route of {self.users[self.leaves[0]]}: {stops} stops"
		print(
			f"Demo: {self.check_ins['checked_in']} visits checked in ({self.check_ins['far']} far from the "
			f"customer), {self.check_ins['without']} without a check-in{route}"
		)

	def todays_logs(self, places: dict) -> int:
		"""Today's entries through the real API: a call for each salesperson (not the declining one)
		and two visits checked in from the phone (F2: today's route), and a visit with a difficulty
		(H1), checked in too."""
		from sales_process.api.daily_log import add_log

		count = 0
		for leaf in self.leaves:
			if leaf == DECLINING:
				continue
			self.as_user(leaf)
			mine = self.customers_of[leaf]
			customer = mine[0]
			add_log(customer, ["电话沟通", "微信/邮件跟进"], 30, note="上午电话跟进，客户本周内给答复")
			count += 1
			for k, visited in enumerate((mine[1:] + mine[:1])[:2]):
				add_log(
					visited,
					[TODAY_VISITS[k % len(TODAY_VISITS)]],
					60,
					cost=self.place_rng.choice([0, 50, 120]),
					note=VISIT_NOTES[k % len(VISIT_NOTES)],
					check_in=self.browser_check_in(visited, places, (k + 1) / 4),
				)
				count += 1
		# a difficulty in a log raises a help alert on its opportunity (H1)
		leaf = self.leaves[0]
		stuck = frappe.get_all(
			"Sales Opportunity",
			filters={"sales_person": leaf, "status": "Open", "lost_requested": 0},
			fields=["name", "customer"],
			order_by="name",
			limit=1,
		)
		if stuck:
			self.as_user(leaf)
			add_log(
				stuck[0].customer,
				["拜访客户"],
				90,
				opportunity=stuck[0].name,
				note="客户技术负责人对数据迁移方案有顾虑，担心停机时间过长，项目推进受阻",
				difficulty=1,
				difficulty_reason="技术方案不满足",
				check_in=self.browser_check_in(stuck[0].customer, places, 0.9),
			)
			count += 1
		self.admin()
		return count

	def browser_check_in(self, customer: str, places: dict, share_of_day: float) -> dict | None:
		"""The check-in as the phone page sends it (the Geolocation API's position, the time in
		milliseconds since 1970, UTC) near the customer's address, `share_of_day` of the way from
		midnight to now; None for a customer without coordinates."""
		if not places.get(customer):
			self.check_ins["without"] += 1
			return None
		fields = self.check_in_near(customer, places, far=False)
		midnight = datetime.combine(self.today, time())
		at = midnight + (self.now - midnight) * share_of_day
		at = at.replace(microsecond=0, tzinfo=ZoneInfo(get_system_timezone()))
		return {
			"latitude": fields["check_in_latitude"],
			"longitude": fields["check_in_longitude"],
			"accuracy": fields["check_in_accuracy"],
			"timestamp": int(at.timestamp()) * 1000,
		}

	# --- help alerts ---------------------------------------------------------------------------------

	def help_alerts(self):
		from sales_process.domain import help_alert

		n = _scaled(10, self.scale, 3)
		resolve = max(1, round(n * 0.6))
		open_opps = frappe.get_all(
			"Sales Opportunity",
			filters={"name": ("in", self.opportunities), "status": "Open", "lost_requested": 0},
			fields=["name", "sales_person"],
			order_by="name",
		)
		users = list(self.users)
		alerts = responses = resolved = 0
		for i, o in enumerate(open_opps[:n]):
			reason, text = ALERT_TEXTS[i % len(ALERT_TEXTS)]
			self.as_user(o.sales_person)
			alert = help_alert.raise_alert(o.name, reason, text)
			alerts += 1
			answered = []
			for responder in self.rng.sample(
				[u for u in users if u != o.sales_person], self.rng.randint(1, 3)
			):
				self.as_user(responder)
				analysis, countermeasure = ANSWERS[(i + len(answered)) % len(ANSWERS)]
				answered.append(help_alert.respond(alert, analysis, countermeasure))
				responses += 1
			if i < resolve:
				self.as_user(o.sales_person)
				help_alert.mark_effective(alert, self.rng.choice(answered))
				resolved += 1
		self.admin()
		self.summary.update(help_alerts=alerts, responses=responses, resolved=resolved)
		print(
			f"Demo: {alerts} help alerts, {responses} responses, {resolved} resolved into the experience pool"
		)

	def after_the_win(self):
		"""K8: a customer won last stage by a salesperson, with no open opportunity: its anniversary
		is tomorrow and its decision maker's birthday the day after (the care job, run later, and the
		workbench show both), and the winner asks for help on it (客服), answered by a colleague."""
		from sales_process.domain import help_alert
		from sales_process.domain import opportunity as opp

		seller = self.leaves[0]
		colleague = next(leaf for leaf in self.leaves if leaf != seller)
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "鼎新精密机械有限公司（已成交）",
				"customer_type": "Company",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
				"founding_date": _on_day(add_days(self.today, 1), self.today.year - 8),
				"revisit_interval_days": 30,
			}
		).insert(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "建国",
				"last_name": "周",
				"designation": "CEO",
				"birthday": _on_day(add_days(self.today, 2), 1972),
				"is_decision_maker": 1,
				"links": [{"link_doctype": "Customer", "link_name": customer.name}],
			}
		).insert(ignore_permissions=True)
		self.as_user(seller)
		doc = frappe.get_doc(
			{
				"doctype": "Sales Opportunity",
				"customer": customer.name,
				"company": self.company,
				"amount": 360000,
				"expected_close_date": add_days(self.today, 30),
				"description": "MES 系统",
			}
		).insert()
		last_open = opp.open_stages()[-1].name
		while doc.stage != last_open:
			doc = opp.advance(doc.name, opp.next_stage(doc.stage).name, self.evidence(doc.stage))
		opp.advance(doc.name, opp.terminal_stage("is_won").name, self.evidence(doc.stage))
		alert = help_alert.raise_alert(
			None,
			"其他",
			"已成交客户要求为新员工做一次系统培训，并询问二期扩容的报价方式。",
			customer=customer.name,
		)
		self.as_user(colleague)
		help_alert.respond(alert, "先做一次上线回访，了解使用情况", "安排两小时线上培训，顺带介绍二期方案")
		self.admin()
		self.summary.update(won_customer=customer.name, won_customer_alert=alert)
		print(f"Demo: won customer {customer.name} with a help alert on it ({alert}) and celebrations soon")

	# --- contracts, orders, invoices, payments ---------------------------------------------------------

	def money(self):
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		self.admin()
		self.service_item()
		n = min(len(self.won), _scaled(5, self.scale, 2))
		invoices = payments = 0
		for i, name in enumerate(self.won[:n]):
			o = frappe.db.get_value("Sales Opportunity", name, ["customer", "amount"], as_dict=True)
			ordered = add_days(self.today, -self.rng.randint(35, 75))
			frappe.get_doc(
				{
					"doctype": "Contract",
					"party_type": "Customer",
					"party_name": o.customer,
					"sales_opportunity": name,
					"contract_amount": o.amount,
					"start_date": ordered,
					"end_date": add_days(ordered, 365),
					"contract_terms": "实施服务合同：分两期付款，验收后支付尾款。",
				}
			).insert(ignore_permissions=True)
			so = frappe.get_doc(
				{
					"doctype": "Sales Order",
					"customer": o.customer,
					"company": self.company,
					"transaction_date": ordered,
					"delivery_date": add_days(ordered, 30),
					"sales_opportunity": name,
					"items": [
						{
							"item_code": SERVICE_ITEM,
							"qty": 1,
							"rate": o.amount,
							"delivery_date": add_days(ordered, 30),
						}
					],
				}
			)
			so.insert(ignore_permissions=True)
			so.submit()
			si = make_sales_invoice(so.name)
			si.set_posting_time = 1
			si.posting_date = add_days(ordered, 5)
			si.payment_terms_template = None
			si.payment_schedule = []
			# the first invoices fell due already (collection is late); the others are due later
			si.due_date = add_days(si.posting_date, 20 if i < 2 else 90)
			si.insert(ignore_permissions=True)
			si.submit()
			invoices += 1
			if i % 2 == 0 or i == n - 1:
				part = flt(si.grand_total) * 0.3
				pe = get_payment_entry("Sales Invoice", si.name, party_amount=part)
				pe.posting_date = add_days(si.posting_date, 10)
				pe.reference_no = f"DEMO-{i + 1:03d}"
				pe.reference_date = pe.posting_date
				pe.insert(ignore_permissions=True)
				pe.submit()
				payments += 1
		self.summary.update(contracts=n, sales_orders=n, invoices=invoices, payments=payments)
		print(f"Demo: {n} contracts and sales orders, {invoices} invoices, {payments} part payments")

	def service_item(self):
		if frappe.db.exists("Item", SERVICE_ITEM):
			return
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": SERVICE_ITEM,
				"item_name": SERVICE_ITEM,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
				"stock_uom": "Nos" if frappe.db.exists("UOM", "Nos") else frappe.db.get_value("UOM", {}),
				"is_stock_item": 0,
				"include_item_in_manufacturing": 0,
				"is_sales_item": 1,
				"description": "软件实施与上线服务",
			}
		).insert(ignore_permissions=True)

	# --- a superior's decisions (K5) -------------------------------------------------------------------

	def decisions(self):
		"""Three confiscations decided by the superior — kept, returned, reassigned — some hours after
		they arrived, and the lost requests of make_opportunities spread over the last day or two, so
		the Manager Responsiveness report has times to show; the deadlines step afterwards leaves other
		confiscations on the superiors' desks (the workbench's Pending Decisions)."""
		from sales_process.domain import opportunity as opp
		from sales_process.scheduled.deadlines import confiscate_overdue

		names = frappe.get_all(
			"Sales Opportunity",
			filters={"name": ("in", self.opportunities), "status": "Open", "lost_requested": 0},
			pluck="name",
			order_by="name asc",
			limit=3,
		)
		for name in names:
			self.set_deadline(name, days_late=self.rng.randint(1, 5))
		confiscate_overdue(commit=False)
		decided = []
		for name, action, hours in zip(names, ("Keep", "Return", "Reassign"), (4, 20, 30), strict=False):
			doc = frappe.get_doc("Sales Opportunity", name)
			self.as_user(doc.sales_person)
			if action == "Return":
				opp.return_opportunity(name, note="再给一次机会")
			elif not (action == "Reassign" and self.reassign_within(doc)):
				action = "Keep"
				opp.keep_opportunity(name, note="由我亲自跟进")
			decided.append((name, action, hours))
		self.admin()
		# the rows were written just now: move them back to when the superior received and decided them
		log = frappe.qb.DocType("Opportunity Stage Log")
		for name, action, hours in decided:
			self.backdate(log, name, "Confiscate", add_to_date(self.now, hours=-(hours + 6)))
			self.backdate(log, name, action, add_to_date(self.now, hours=-6))
		requested = frappe.get_all(
			"Sales Opportunity",
			filters={"name": ("in", self.opportunities), "lost_requested": 1},
			fields=["name", "status"],
		)
		o = frappe.qb.DocType("Sales Opportunity")
		for r in requested:
			at = add_to_date(self.now, hours=-self.rng.randint(3, 40))
			self.backdate(log, r.name, "Lost Requested", at)
			frappe.qb.update(o).set(o.lost_requested_at, at).where(o.name == r.name).run()
		self.summary.update(decided=len(decided), lost_requests=len(requested))
		print(f"Demo: {len(decided)} confiscations decided by the superior, {len(requested)} lost requests")

	def reassign_within(self, doc) -> bool:
		"""Reassign a confiscated opportunity to another salesperson of the superior's team."""
		from sales_process.domain import hierarchy
		from sales_process.domain import opportunity as opp

		for person in self.leaves:
			if person != doc.previous_sales_person and hierarchy.is_within(person, doc.sales_person):
				try:
					opp.reassign(doc.name, person, note="换一位同事跟进")
					return True
				except opp.ClaimConflict:  # O2: this colleague already sells to the customer
					continue
		return False

	@staticmethod
	def backdate(log, opportunity: str, action: str, at):
		(
			frappe.qb.update(log)
			.set(log.at, at)
			.set(log.creation, at)
			.set(log.modified, at)
			.where((log.opportunity == opportunity) & (log.action == action))
			.run()
		)

	# --- overdue and confiscated ------------------------------------------------------------------------

	def deadlines(self):
		from sales_process.scheduled.deadlines import confiscate_overdue

		candidates = frappe.get_all(
			"Sales Opportunity",
			filters={"name": ("in", self.opportunities), "status": "Open", "lost_requested": 0},
			pluck="name",
			order_by="name desc",
		)
		n = _scaled(8, self.scale, 2)
		overdue, later, soon = candidates[:n], candidates[n : n + 2], candidates[n + 2 : n + 5]
		for name in overdue:
			self.set_deadline(name, days_late=self.rng.randint(1, 12))
		result = confiscate_overdue(commit=False)
		for name in later:  # overdue since this morning: the next run will take them
			self.set_deadline(name, days_late=0.2)
		for name in soon:  # due within the reminder window
			self.set_deadline(name, days_late=-self.rng.randint(1, 2))
		self.summary.update(confiscated=result["confiscated"], overdue=len(later), due_soon=len(soon))
		print(
			f"Demo: {len(overdue)} opportunities overdue, {result['confiscated']} confiscated by the job; "
			f"{len(later)} newly overdue, {len(soon)} due within two days"
		)

	def quiet_opportunities(self) -> set[str]:
		"""Open opportunities (not the first salesperson's: today's difficulty log goes on one of
		theirs) in stages long enough to stay within their deadline while silent (K9)."""
		stage = frappe.qb.DocType("Sales Process Stage")
		long_stages = (
			frappe.qb.from_(stage)
			.select(stage.name)
			.where(stage.time_limit_days >= QUIET_DAYS + 2)
			.run(pluck=True)
		)
		return set(
			frappe.get_all(
				"Sales Opportunity",
				filters={
					"name": ("in", self.opportunities),
					"status": "Open",
					"lost_requested": 0,
					"stage": ("in", long_stages or [""]),
					"sales_person": ("!=", self.leaves[0]),
				},
				order_by="name asc",
				limit=QUIET_CANDIDATES,
				pluck="name",
			)
		)

	def silence(self):
		"""The quiet opportunities entered their stage 10 days ago (created a month before) and have
		no daily log since: silent (K9), their deadline still a few days ahead."""
		from sales_process.domain import settings, silence
		from sales_process.domain.deadlines import due_at
		from sales_process.domain.opportunity import stage_row

		moved = frappe.get_all(
			"Opportunity Stage Log",
			filters={
				"opportunity": ("in", list(self.quiet) or [""]),
				"action": ("in", silence.OWNER_CHANGES),
			},
			pluck="opportunity",
		)
		untouched = [
			name
			for name in sorted(self.quiet)
			# not confiscated or decided on meanwhile, nor given a deadline by the deadlines step
			if name not in moved
			and not frappe.db.get_value("Sales Opportunity", name, "previous_sales_person")
			and (frappe.db.get_value("Sales Opportunity", name, "stage_due_at") or self.now)
			> add_to_date(self.now, days=3)
		]
		for name in untouched[:QUIET_OPPORTUNITIES]:
			row = frappe.db.get_value("Sales Opportunity", name, ["stage"], as_dict=True)
			entered = add_to_date(self.now, days=-10)
			frappe.db.set_value(
				"Sales Opportunity",
				name,
				{
					"creation": add_to_date(self.now, days=-40),
					"stage_entered_at": entered,
					"stage_due_at": due_at(entered, stage_row(row.stage).time_limit_days),
					"reminded_for_due": None,
				},
				update_modified=False,
			)
		silent = silence.silent_opportunities(self.now)
		self.summary.update(silent=len(silent))
		print(
			f"Demo: {len(silent)} silent opportunities (no daily log for {settings.get('silence_days')} days)"
		)

	def care(self):
		"""Today's run of the daily customer-care job, so the workbench shows its reminders."""
		from sales_process.scheduled.care import send_care_reminders

		counts = send_care_reminders(self.today)
		self.summary.update(care_reminders=counts["created"])
		print(f"Demo: {counts['created']} customer care reminders (revisits, anniversaries, birthdays)")

	def pipeline_history(self):
		"""Today's pipeline snapshot by the real job (K7), and PIPELINE_DAYS earlier days derived from
		it in one multi-row insert: each person's pipeline smaller the further back, at a growth rate
		of their own with some noise (one person's shrinking), so the forecast's trend shows a line.
		The team rows of each day are rolled up from its person rows as the job does."""
		from sales_process.domain import bulk, pipeline_snapshot

		self.admin()
		pipeline_snapshot.take(self.today, commit=False)
		snap = frappe.qb.DocType(pipeline_snapshot.DOCTYPE)
		fields = ["sales_person", "company", "currency", *pipeline_snapshot.MEASURES]
		today_rows = (
			frappe.qb.from_(snap)
			.select(*(snap[f] for f in fields))
			.where((snap.snapshot_date == self.today) & (snap.is_team == 0))
			.run(as_dict=True)
		)
		growth = {r.sales_person: self.rng.uniform(0.004, 0.015) for r in today_rows}
		if today_rows:
			growth[today_rows[-1].sales_person] = -0.004  # one pipeline shrinking over the weeks
		rows = []
		for back in range(1, PIPELINE_DAYS + 1):
			day = add_days(self.today, -back)
			for r in today_rows:
				factor = max(0.2, 1 - back * growth[r.sales_person] + self.rng.uniform(-0.03, 0.03))
				# won this month: the share of the month gone by on that day (0 in an earlier month)
				won = day.day / self.today.day if day.month == self.today.month else 0
				rows.append(
					(
						day,
						r.sales_person,
						0,
						r.company,
						r.currency,
						max(1, round(r.open_count * factor)),
						flt(r.open_amount * factor, 2),
						flt(r.weighted_amount * factor, 2),
						round(r.won_count * won),
						flt(r.won_amount * won, 2),
					)
				)
		columns = [*pipeline_snapshot.KEY, *pipeline_snapshot.MEASURES]
		bulk.insert_autoincrement(pipeline_snapshot.DOCTYPE, columns, rows)
		for back in range(1, PIPELINE_DAYS + 1):
			pipeline_snapshot.roll_up_teams(add_days(self.today, -back), self.now)
		self.summary.update(pipeline_snapshot_days=PIPELINE_DAYS + 1)
		print(
			f"Demo: pipeline snapshots of the last {PIPELINE_DAYS + 1} days ({len(rows)} earlier person rows)"
		)

	def set_deadline(self, name: str, days_late: float):
		from sales_process.domain.opportunity import stage_row

		stage = frappe.db.get_value("Sales Opportunity", name, "stage")
		limit = stage_row(stage).time_limit_days or 7
		due = add_to_date(self.now, days=-days_late)
		frappe.db.set_value(
			"Sales Opportunity",
			name,
			{
				"stage_entered_at": add_to_date(due, days=-limit),
				"stage_due_at": due,
				"reminded_for_due": None,
			},
			update_modified=False,
		)

	# --- leads and the pool (G) -----------------------------------------------------------------------

	def leads(self):
		"""Leads through the real process: the sales director enters them (a manager's entry goes to
		the pool, G4), salespeople claim most of them (G5); of the claimed ones some get a daily log
		(Contacted), some are converted into a customer and an opportunity (G7), some disqualified,
		one released with a reason, and a few left without contact are returned by the stale-lead
		job. The leads' creation dates are spread over the last three months (the moves and their
		log rows happen now), so Lead Source Analysis has months to compare."""
		from sales_process.api.daily_log import add_log
		from sales_process.domain import lead, lead_conversion
		from sales_process.domain.normalize import company_name
		from sales_process.scheduled.pool import return_stale_leads

		n = _scaled(40, self.scale, 16)
		sources = frappe.get_all("Sales Lead Source", pluck="name", order_by="name")
		territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
		industries = frappe.get_all("Industry Type", pluck="name", order_by="name", limit=8)
		seen = set(frappe.get_all("Sales Lead", pluck="normalized_company"))
		names = []
		frappe.set_user(self.users[DEMO_MARKER])
		for i in range(n):
			fake = self.fake_en if i % 4 == 0 else self.fake_zh
			company = self.company_name(i + 1, seen)
			seen.add(company_name(company))
			doc = frappe.get_doc(
				{
					"doctype": "Sales Lead",
					"company_name": company,
					"lead_name": fake.name(),
					"phone": self.fake_zh.phone_number(),
					"email": f"{frappe.generate_hash(length=8)}@{self.fake_en.domain_name()}",
					"source": sources[i % len(sources)] if sources else None,
					"territory": territory,
					"industry": industries[i % len(industries)] if industries else None,
					"notes": self.rng.choice(LEAD_NOTES),
				}
			).insert()
			names.append(doc.name)
		in_pool = max(4, n // 4)  # the newest quarter waits in the pool
		claimed = names[in_pool:]
		for i, name in enumerate(claimed):
			self.as_user(self.leaves[i % len(self.leaves)])
			lead.claim(name)
		counts = dict.fromkeys(("contacted", "converted", "disqualified", "released", "returned"), 0)
		for i, name in enumerate(claimed):
			holder = frappe.db.get_value("Sales Lead", name, "sales_person")
			self.as_user(holder)
			kind = i % 6
			if kind in (0, 1, 2):  # a call on the lead: Contacted (G7's daily log on a lead)
				add_log(None, ["电话沟通"], 20, note=self.rng.choice(LEAD_CALL_NOTES), lead=name)
				counts["contacted"] += 1
			if kind == 1:
				lead_conversion.convert(name, amount=self.rng.randint(5, 80) * 10000)
				counts["converted"] += 1
			elif kind == 3:
				lead.disqualify(name, self.rng.choice(DISQUALIFY_REASONS))
				counts["disqualified"] += 1
			elif kind == 4 and not counts["released"]:
				lead.release(name, "客户半年内没有采购计划，放回公海")
				counts["released"] += 1
			elif kind in (4, 5):  # held without contact for longer than the follow-up period
				frappe.db.set_value(
					"Sales Lead", name, "held_since", add_days(self.now, -30), update_modified=False
				)
		self.admin()
		counts["returned"] = return_stale_leads(commit=False)["returned"]
		sl = frappe.qb.DocType("Sales Lead")
		for i, name in enumerate(names):
			created = add_to_date(self.now, days=-(n - i) * 90 // n, hours=-self.rng.randint(0, 8))
			frappe.qb.update(sl).set(sl.creation, created).where(sl.name == name).run()
		self.summary.update(leads=n, leads_in_pool=in_pool, **{f"leads_{k}": v for k, v in counts.items()})
		# the calls on leads are daily logs too
		self.summary["daily_logs"] = self.summary.get("daily_logs", 0) + counts["contacted"]
		print(
			f"Demo: {n} leads, {in_pool} waiting in the pool, {len(claimed)} claimed: "
			+ ", ".join(f"{v} {k}" for k, v in counts.items())
		)


def _on_day(day: date, year: int) -> date:
	"""`day`'s month and day in `year` (29 February falls back to a leap year)."""
	try:
		return day.replace(year=year)
	except ValueError:
		return day.replace(year=year - year % 4)
