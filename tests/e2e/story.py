"""Helpers shared by the browser stories: each story is a module of ordered steps that share a dict."""

import csv
from pathlib import Path

import pytest

import frappe

EN = {}
with open(Path(__file__).parents[2] / "sales_process" / "translations" / "en.csv", encoding="utf-8") as f:
	for row in csv.reader(f):
		if len(row) >= 2:
			EN[row[0]] = row[1]


def en(text: str) -> str:
	"""What an English-speaking user sees for Chinese master data (translations/en.csv)."""
	return EN.get(text, text)


def need(story: dict, *keys):
	"""Skip a step whose earlier steps failed to leave what it needs in the story."""
	missing = [k for k in keys if k not in story]
	if missing:
		pytest.skip(f"an earlier step failed (no {', '.join(missing)})")


def db():
	"""A fresh snapshot: the browser's requests (and any worker) committed on other connections."""
	frappe.db.rollback()
	return frappe.db
