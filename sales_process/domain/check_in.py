"""Visit check-in (F2): the browser's location attached to a visit in a daily log.

A check-in is four fields of the Sales Daily Log entry, given by the client: `check_in_latitude`,
`check_in_longitude`, `check_in_accuracy` (metres) and `check_in_at` (when the browser took the
position). Two more are the server's alone and overwrite whatever a client sends: the customer's
nearest Address with coordinates (`check_in_address`) and the great-circle distance to it
(`check_in_distance`, metres). All six are part of the entry's hash (chain version 3), so a moved
check-in reads as an altered entry.

The position comes from the user's browser: it proves what the phone reported, not where the
phone was. What it adds is that a claimed visit now has to state a place and a time, and that a
place far from the customer is flagged (`reports.daily_logs`, rules visit_without_check_in and
check_in_far).
"""

import math
from datetime import datetime, timedelta

import frappe
from frappe import _
from frappe.utils import convert_utc_to_system_timezone, flt, get_datetime, getdate, now_datetime

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG); the error against the ellipsoid is < 0.5 %
# stored and hashed at these decimals: 7 decimals of a degree are about a centimetre
COORDINATE_DECIMALS = 7
METRE_DECIMALS = 1
# a phone's clock may run a little ahead of the server's
CLOCK_SKEW = timedelta(minutes=5)
CLIENT_FIELDS = ("check_in_latitude", "check_in_longitude", "check_in_accuracy", "check_in_at")
# entries written under this chain version or later could carry a check-in (daily_log.canonical_v3)
SINCE_CHAIN_VERSION = 3
# what chain version 3 hashes beyond version 2: the client's four and the server's two
HASHED = (*CLIENT_FIELDS, "check_in_address", "check_in_distance")


class CheckInError(frappe.ValidationError):
	pass


# --- pure ----------------------------------------------------------------------------------------------


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
	"""Great-circle distance in metres (haversine)."""
	phi1, phi2 = math.radians(lat1), math.radians(lat2)
	d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
	a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
	return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _number(value) -> float | None:
	"""A finite float, or None (bool, text, inf and nan are not coordinates)."""
	if isinstance(value, bool):
		return None
	try:
		number = float(value)
	except (TypeError, ValueError):
		return None
	return number if math.isfinite(number) else None


def valid_coordinates(latitude, longitude) -> bool:
	lat, lon = _number(latitude), _number(longitude)
	return lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180


def from_browser(payload: dict | None) -> dict:
	"""The Geolocation API's position as the entry's fields: {"latitude", "longitude", "accuracy",
	"timestamp" (milliseconds since the epoch, UTC)} → check_in_* values (not yet validated)."""
	if not payload:
		return {}
	if not isinstance(payload, dict):
		frappe.throw(
			_("The check-in must be an object with latitude, longitude, accuracy and timestamp."),
			CheckInError,
		)
	stamp = _number(payload.get("timestamp"))
	at = None
	if stamp is not None and 0 < stamp < 32_503_680_000_000:  # before the year 3000
		at = convert_utc_to_system_timezone(datetime.utcfromtimestamp(stamp / 1000)).replace(tzinfo=None)
	elif payload.get("timestamp") not in (None, ""):
		frappe.throw(_("The check-in's timestamp must be milliseconds since 1970."), CheckInError)
	return {
		"check_in_latitude": payload.get("latitude"),
		"check_in_longitude": payload.get("longitude"),
		"check_in_accuracy": payload.get("accuracy"),
		"check_in_at": at,
	}


def legs(stops: list[dict]) -> list[dict]:
	"""The day's route: each stop (oldest first, with latitude and longitude) gets `leg`, the whole
	metres from the stop before it (None for the first)."""
	previous = None
	for stop in stops:
		leg = None
		if previous:
			leg = round(
				distance_m(previous["latitude"], previous["longitude"], stop["latitude"], stop["longitude"])
			)
		stop["leg"] = leg
		previous = stop
	return stops


# --- on the entry ----------------------------------------------------------------------------------------


def has_check_in(doc) -> bool:
	"""A time, or any non-zero number: the desk's form may send its empty Float fields as 0."""
	return doc.get("check_in_at") not in (None, "") or any(
		doc.get(f) not in (None, "", 0) for f in CLIENT_FIELDS if f != "check_in_at"
	)


def validate(doc, has_visit: bool):
	"""Called from daily_log.validate_new: check the client's four fields and derive the server's
	two. An entry without a check-in keeps all six empty (whatever a client sent for the derived
	ones)."""
	doc.check_in_address, doc.check_in_distance = None, None
	if not has_check_in(doc):
		for field in CLIENT_FIELDS:
			doc.set(field, None)
		return
	if not has_visit:
		frappe.throw(
			_("A check-in belongs to a visit: tick a visit activity, or leave the check-in out."),
			CheckInError,
		)
	if any(doc.get(f) in (None, "") for f in CLIENT_FIELDS):
		frappe.throw(_("A check-in needs a latitude, a longitude, an accuracy and a time."), CheckInError)
	if not valid_coordinates(doc.check_in_latitude, doc.check_in_longitude):
		frappe.throw(
			_("The check-in's latitude must lie between -90 and 90 and its longitude between -180 and 180."),
			CheckInError,
		)
	accuracy = _number(doc.check_in_accuracy)
	if accuracy is None or accuracy < 0:
		frappe.throw(_("The check-in's accuracy must be a number of metres, 0 or more."), CheckInError)
	try:
		at = get_datetime(doc.check_in_at)
	except (TypeError, ValueError, OverflowError):
		at = None
	if not at:
		frappe.throw(_("The check-in's time is not a valid date and time."), CheckInError)
	if at > now_datetime() + CLOCK_SKEW:
		frappe.throw(
			_("The check-in's time {0} is in the future.").format(frappe.format(at, "Datetime")), CheckInError
		)
	if getdate(at) != getdate(doc.log_date):
		frappe.throw(
			_("A check-in taken on {0} cannot be attached to a daily log of {1}.").format(
				frappe.format(getdate(at), "Date"), frappe.format(getdate(doc.log_date), "Date")
			),
			CheckInError,
		)
	# stored exactly as hashed
	doc.check_in_latitude = flt(doc.check_in_latitude, COORDINATE_DECIMALS)
	doc.check_in_longitude = flt(doc.check_in_longitude, COORDINATE_DECIMALS)
	doc.check_in_accuracy = flt(accuracy, METRE_DECIMALS)
	doc.check_in_at = at
	if doc.customer:
		nearest = nearest_address(doc.customer, doc.check_in_latitude, doc.check_in_longitude)
		if nearest:
			doc.check_in_address, doc.check_in_distance = nearest


def addresses_with_coordinates(customers: list[str]) -> dict[str, list[tuple[str, float, float]]]:
	"""customer → its enabled Addresses with coordinates, as (name, latitude, longitude) by name, in
	one query: what a check-in is measured against."""
	address = frappe.qb.DocType("Address")
	link = frappe.qb.DocType("Dynamic Link")
	rows = (
		frappe.qb.from_(address)
		.join(link)
		.on((link.parent == address.name) & (link.parenttype == "Address"))
		.select(link.link_name, address.name, address.sp_latitude, address.sp_longitude)
		.where(
			(link.link_doctype == "Customer")
			& link.link_name.isin(customers or [""])
			& (address.disabled == 0)
			# 0, 0 is what an empty Float column holds: an address without coordinates
			& ((address.sp_latitude != 0) | (address.sp_longitude != 0))
		)
		.orderby(address.name)
		.run()
	)
	places: dict[str, list] = {}
	for customer, name, lat, lon in rows:
		places.setdefault(customer, []).append((name, flt(lat), flt(lon)))
	return places


def nearest(
	latitude: float, longitude: float, places: list[tuple[str, float, float]]
) -> tuple[str, float] | None:
	"""(address, metres at the stored decimals) of the place nearest to the point, or None."""
	best = min(
		((name, distance_m(latitude, longitude, lat, lon)) for name, lat, lon in places),
		key=lambda pair: pair[1],
		default=None,
	)
	return (best[0], flt(best[1], METRE_DECIMALS)) if best else None


def nearest_address(customer: str, latitude: float, longitude: float) -> tuple[str, float] | None:
	"""(address, metres) of the customer's enabled Address with coordinates nearest to the point."""
	return nearest(latitude, longitude, addresses_with_coordinates([customer]).get(customer, []))


def validate_address(doc, method=None):
	"""Address validate hook: coordinates are both given or both empty, and within range."""
	lat, lon = doc.get("sp_latitude"), doc.get("sp_longitude")
	if not flt(lat) and not flt(lon):
		return
	if not valid_coordinates(lat, lon):
		frappe.throw(
			_("Latitude must lie between -90 and 90 and longitude between -180 and 180."), CheckInError
		)
	if not flt(lat) or not flt(lon):
		frappe.throw(_("Enter both the latitude and the longitude, or neither."), CheckInError)


def route(sales_person: str | None, day) -> list[dict]:
	"""The day's check-ins of one salesperson, oldest first, with the leg from the stop before."""
	if not sales_person:
		return []
	log = frappe.qb.DocType("Sales Daily Log")
	customer = frappe.qb.DocType("Customer")
	stops = (
		frappe.qb.from_(log)
		.left_join(customer)
		.on(customer.name == log.customer)
		.select(
			log.name.as_("entry"),
			log.customer,
			customer.customer_name,
			log.lead,
			log.check_in_at,
			log.check_in_latitude.as_("latitude"),
			log.check_in_longitude.as_("longitude"),
			log.check_in_accuracy.as_("accuracy"),
			log.check_in_distance.as_("distance"),
			log.check_in_address.as_("address"),
		)
		.where((log.sales_person == sales_person) & (log.log_date == day) & log.check_in_at.isnotnull())
		.orderby(log.check_in_at)
		.orderby(log.chain_seq)
		.run(as_dict=True)
	)
	for stop in stops:
		stop.entry = str(stop.entry)
		for key in ("latitude", "longitude", "accuracy"):
			stop[key] = flt(stop[key])
		# no address with coordinates: no distance (a stored 0 is the column's empty value)
		stop.distance = flt(stop.distance) if stop.address else None
	return legs(stops)


def hash_parts(entry: dict) -> list[str]:
	"""The check-in's part of the canonical text (chain version 3): always six fields, empty or
	zero when there is no check-in, formatted at their stored decimals."""
	at = entry.get("check_in_at")
	return [
		get_datetime(at).strftime("%Y-%m-%d %H:%M:%S.%f") if at else "",
		f"{flt(entry.get('check_in_latitude')):.{COORDINATE_DECIMALS}f}",
		f"{flt(entry.get('check_in_longitude')):.{COORDINATE_DECIMALS}f}",
		f"{flt(entry.get('check_in_accuracy')):.{METRE_DECIMALS}f}",
		entry.get("check_in_address") or "",
		f"{flt(entry.get('check_in_distance')):.{METRE_DECIMALS}f}",
	]
