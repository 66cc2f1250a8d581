# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

from frappe.model.document import Document


class SalesProcessSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		backdate_window_days: DF.Int
		celebration_window_days: DF.Int
		confiscation_grace_hours: DF.Int
		confiscation_pool: DF.Link | None
		experience_visibility: DF.Literal["Company", "Hierarchy"]
		help_alert_scope: DF.Literal["Company", "Hierarchy"]
		leaderboard_visibility: DF.Literal["Company", "Hierarchy"]
		max_minutes_per_day: DF.Int
		reminder_days_before: DF.Int
		restart_deadline_on_confiscation: DF.Check
	# end: auto-generated types

	pass
