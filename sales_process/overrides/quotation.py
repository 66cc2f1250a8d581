"""doc_events on Quotation (O5): a quotation marked Lost offers its opportunity's owner the lost
request (ERPNext's declare_enquiry_lost sets the status with db_set, which runs on_change only)."""

from frappe import _

from sales_process.overrides.transaction import linked_opportunity, tell_owner, validate_opportunity_link


def validate(doc, method=None):
	validate_opportunity_link(doc)


def offer_lost_request(doc, method=None):
	"""on_change: once, when the status becomes Lost (declare_enquiry_lost calls db_set several
	times and then saves; the status before the first of them is the one that counts)."""
	before = doc.get_doc_before_save()
	if doc.status != "Lost" or not before or before.status == "Lost" or doc.flags.sales_process_lost_offered:
		return
	doc.flags.sales_process_lost_offered = True
	opp = linked_opportunity(doc)
	if not opp or opp.status != "Open" or opp.lost_requested:
		return
	tell_owner(
		opp,
		_("Quotation {0} was marked lost: if {1} is lost too, request to close it as lost.").format(
			doc.name, opp.name
		),
	)
