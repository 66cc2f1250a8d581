# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

from frappe.model.document import Document


class SalesProcessStageCriterion(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		criterion: DF.Data
		hint: DF.SmallText | None
		mandatory: DF.Check
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
	# end: auto-generated types

	pass
