"""Normalised customer identity for duplicate-claim protection (O2). Pure functions."""

import re
import unicodedata

# Legal-form words that do not tell two companies apart ("上海某某有限公司" = "上海某某").
# Chinese ones are cut from the end of the string; Latin ones only as whole trailing words
# ("Tesco" keeps its "co").
_ZH_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司")
_LATIN_SUFFIX = re.compile(
	r"(?:[\s,.&]+(?:co|ltd|inc|llc|corp|corporation|company|limited|gmbh|plc)\.?)+\s*$"
)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def company_name(name: str | None) -> str:
	"""Case, width, spacing, punctuation and trailing legal forms removed."""
	if not name:
		return ""
	text = unicodedata.normalize("NFKC", name).casefold().strip()
	text = _LATIN_SUFFIX.sub("", text)
	text = _NON_WORD.sub("", text)
	changed = True
	while changed:
		changed = False
		for suffix in _ZH_SUFFIXES:
			if text.endswith(suffix) and len(text) > len(suffix):
				text = text[: -len(suffix)]
				changed = True
	return text


def phone(number: str | None) -> str:
	"""Digits only, without a +86 / 0086 country prefix; too short to identify anyone → ""."""
	if not number:
		return ""
	digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", number))
	for prefix in ("0086", "86"):
		if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
			digits = digits[len(prefix) :]
			break
	return digits if len(digits) >= 7 else ""


def email(address: str | None) -> str:
	address = unicodedata.normalize("NFKC", address or "").strip().casefold()
	return address if "@" in address else ""


def tax_id(value: str | None) -> str:
	text = re.sub(r"[^0-9A-Za-z]", "", unicodedata.normalize("NFKC", value or "")).upper()
	return text if len(text) >= 5 else ""


# --- one identity, for customers and leads alike --------------------------------------------------

_NORMALISERS = {"name": company_name, "tax_id": tax_id, "phone": phone, "email": email}
KEYS = tuple(_NORMALISERS)
# the indexed Customer columns holding each key (setup/custom_fields.py, kept by overrides/customer.py)
CUSTOMER_COLUMNS = {key: f"sp_normalized_{key}" for key in KEYS}


def identity(
	name: str | None = None, tax_id: str | None = None, phone: str | None = None, email: str | None = None
) -> dict[str, str]:
	"""The normalised keys {"name", "tax_id", "phone", "email"} of a company's raw values; a key
	is "" where its value identifies nobody (blank, too short, no @). Two records are the same
	company when any non-empty key is equal (O2; leads use the same matching)."""
	raw = {"name": name, "tax_id": tax_id, "phone": phone, "email": email}
	return {key: _NORMALISERS[key](value) for key, value in raw.items()}


def customer_identity(customer) -> dict[str, str]:
	"""`identity()` of a Customer row or document (customer_name, tax_id, mobile_no, email_id)."""
	return identity(
		name=customer.get("customer_name"),
		tax_id=customer.get("tax_id"),
		phone=customer.get("mobile_no"),
		email=customer.get("email_id"),
	)


def customer_columns(customer) -> dict[str, str]:
	"""{Customer column: normalised key} to store on the customer."""
	return {CUSTOMER_COLUMNS[key]: value for key, value in customer_identity(customer).items()}


def matches(table, keys: dict[str, str], columns: dict[str, str] = CUSTOMER_COLUMNS):
	"""SQL (frappe.qb criterion): a row of `table` that stores one of the non-empty `keys` in its
	column for that key (`columns`: key → column, the Customer's by default); None when every key
	is empty, so that nothing matches by an empty key."""
	criterion = None
	for key, value in keys.items():
		if value:
			term = table[columns[key]] == value
			criterion = term if criterion is None else criterion | term
	return criterion
