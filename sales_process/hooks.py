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
]
