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
