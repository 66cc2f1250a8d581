app_name = "sales_process"
app_title = "Sales Process"
app_publisher = "sales_process developers"
app_description = "Sales business-process control for ERPNext: staged opportunities, confiscation, \
immutable daily logs, help alerts and an experience pool"
app_email = "dev@localhost"
app_license = "GPL-3.0-or-later"
app_icon = "octicon octicon-graph"
app_color = "#2490ef"

# the org/repo form: frappe 15's installer looks a bare name up on GitHub (offline it fails)
required_apps = ["frappe/erpnext"]

# ---------------------------------------------------------------------------------------------
# Install / migrate
after_install = "sales_process.setup.install.after_install"
after_migrate = "sales_process.setup.install.after_migrate"

# Our own masters only, each named: never unfiltered core doctypes (they would capture other
# apps' records). Custom fields on core doctypes are created in code (sales_process/setup/).
fixtures = [
	{"dt": "Sales Process Stage"},
	{"dt": "Sales Activity Type"},
	{"dt": "Help Alert Reason"},
	{"dt": "Sales Lost Reason"},
	{"dt": "Sales Lead Source"},
]
before_uninstall = "sales_process.setup.install.before_uninstall"

# ---------------------------------------------------------------------------------------------
# Data scope (A1): one condition for lists and single documents
permission_query_conditions = {
	"Sales Opportunity": "sales_process.permissions.opportunity_query",
	"Opportunity Stage Log": "sales_process.permissions.stage_log_query",
	"Sales Daily Log": "sales_process.permissions.daily_log_query",
	"Help Alert": "sales_process.permissions.help_alert_query",
	"Experience Entry": "sales_process.permissions.experience_query",
	"Sales Lead": "sales_process.permissions.lead_query",
	"Sales Lead Log": "sales_process.permissions.lead_log_query",
	"Sales Pipeline Snapshot": "sales_process.permissions.snapshot_query",
}
has_permission = {
	"Sales Opportunity": "sales_process.permissions.opportunity_has_permission",
	"Opportunity Stage Log": "sales_process.permissions.stage_log_has_permission",
	"Sales Daily Log": "sales_process.permissions.daily_log_has_permission",
	"Help Alert": "sales_process.permissions.help_alert_has_permission",
	"Experience Entry": "sales_process.permissions.experience_has_permission",
	"Sales Lead": "sales_process.permissions.lead_has_permission",
	"Sales Lead Log": "sales_process.permissions.lead_log_has_permission",
	"Sales Pipeline Snapshot": "sales_process.permissions.snapshot_has_permission",
}

doc_events = {
	"Customer": {
		"validate": [
			"sales_process.overrides.customer.set_normalized_identity",
			"sales_process.overrides.customer.validate_referral",
		]
	},
	"Sales Person": {
		"validate": "sales_process.overrides.sales_person.keep_chain_head",
		"before_rename": "sales_process.overrides.sales_person.refuse_chain_merge",
		"after_rename": "sales_process.overrides.sales_person.recount_stage_totals",
	},
	# O5: one module per core doctype, shared parts in overrides/transaction.py
	"Quotation": {
		"validate": "sales_process.overrides.quotation.validate",
		"on_change": "sales_process.overrides.quotation.offer_lost_request",
	},
	"Contract": {"validate": "sales_process.overrides.contract.validate"},
	"Sales Order": {
		"validate": "sales_process.overrides.sales_order.validate",
		"on_submit": "sales_process.overrides.sales_order.offer_won_stage",
		"on_cancel": "sales_process.overrides.sales_order.notify_cancelled",
	},
	# G6 score on every insert and save (after the controller placed the lead); G4 Frappe's
	# Assignment Rules on a new lead, and a rule's ToDo making the holder
	"Sales Lead": {
		"validate": "sales_process.domain.lead_scoring.apply",
		"after_insert": "sales_process.domain.lead_assignment.apply_rules",
		"on_change": "sales_process.domain.lead_assignment.inserted",
	},
	"ToDo": {"after_insert": "sales_process.domain.lead_assignment.on_todo_insert"},
	"Address": {"validate": "sales_process.domain.check_in.validate_address"},
}

# shared desk helpers (plain file, no build step: the app's public folder is served as /assets)
app_include_js = ["/assets/sales_process/js/sales_process.js"]
# K8: raise a help alert on a customer from its form
doctype_js = {"Customer": "public/js/customer.js"}

# list requests on the app's doctypes sort and group by column names only (Frappe v15 lets
# `(select sleep(3))` through its own order_by check)
before_request = [
	"sales_process.overrides.request_guard.refuse_expressions_in_sorting",
]

# run by Frappe once it knows the caller, in this order: the caller's language (Frappe picks it
# before it knows an API-key caller), then the argument (417) and print/export (K4) guards
auth_hooks = [
	"sales_process.overrides.request_guard.answer_in_callers_language",
	"sales_process.overrides.request_guard.refuse_bad_arguments",
	"sales_process.overrides.request_guard.refuse_printing_and_exporting_lists",
]

override_whitelisted_methods = {
	# permission-aware counts for the app's scoped doctypes (A1)
	"frappe.client.get_count": "sales_process.overrides.client.get_count",
	# G2: the hourly per-client limit and no word about other leads on web forms for Sales Lead
	"frappe.website.doctype.web_form.web_form.accept": "sales_process.overrides.web_form.accept",
}

# ---------------------------------------------------------------------------------------------
# Scheduler (D2–D4): every 15 minutes the cron entry puts confiscation on the long queue (it can
# touch thousands of rows; deduplicated so runs never overlap); reminders hourly on the long queue.
scheduler_events = {
	# every tick: a run whose worker died must not block the jobs below (domain/jobs.py)
	"all": [
		"sales_process.domain.jobs.revive_dead_scheduled_jobs",
		# a digest queued as the previous flush job ended (domain/notify.py)
		"sales_process.domain.notify.queue_pending_digests",
	],
	"cron": {
		"*/15 * * * *": ["sales_process.scheduled.deadlines.enqueue_confiscation"],
	},
	"hourly_long": [
		"sales_process.scheduled.deadlines.send_reminders",
		# K3: undecided lost requests go to the next superior
		"sales_process.scheduled.deadlines.escalate_lost_requests",
		# G5: held leads without contact for their pool's follow-up period return to the pool
		"sales_process.scheduled.pool.return_stale_leads",
	],
	# C1/C2: revisit, anniversary and birthday ToDos, once a day
	"daily_long": [
		"sales_process.scheduled.care.send_care_reminders",
		# K7: today's person and team pipeline snapshot (set-based, replaces the day)
		"sales_process.scheduled.pipeline.take_snapshot",
		# issue 22: idempotency keys older than 24 hours, in batches
		"sales_process.domain.idempotency.remove_expired",
	],
}
