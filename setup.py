from setuptools import find_packages, setup

from sales_process import __version__

setup(
	name="sales_process",
	version=__version__,
	description="Sales business-process control for ERPNext: staged opportunities, confiscation, "
	"immutable daily logs, help alerts and an experience pool",
	author="sales_process developers",
	license="GPL-3.0-or-later",
	packages=find_packages(exclude=["tests", "tests.*", "benchmarks", "benchmarks.*"]),
	zip_safe=False,
	include_package_data=True,
	python_requires=">=3.10,<3.13",
	# frappe and erpnext are bench apps, not PyPI packages: they are declared in hooks.py
	# (required_apps) and in pyproject.toml ([tool.bench.frappe-dependencies]).
	install_requires=["Faker>=25"],  # the demo-data command
)
