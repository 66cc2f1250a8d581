"""Shared plumbing for benchmarks: connect to a site of the dev bench, time things, print tables.

Run a benchmark with the bench's Python: `scripts/dev run benchmarks/<name>.py [options]`."""

import json
import os
import statistics
import sys
import time
from contextlib import contextmanager

BENCH_DIR = os.path.expanduser(os.environ.get("SP_BENCH_DIR", "~/sales-process-bench"))
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results")


def connect(site: str | None = None):
	import frappe

	site = (
		site
		or os.environ.get("SP_BENCH_SITE")
		or os.environ.get("SP_TEST_SITE", "test-sales-process.localhost")
	)
	os.chdir(os.path.join(BENCH_DIR, "sites"))
	if REPO not in sys.path:
		sys.path.insert(0, REPO)
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	return site


@contextmanager
def timer(store: list):
	start = time.perf_counter()
	yield
	store.append(time.perf_counter() - start)


def summary(samples: list[float]) -> dict:
	return {
		"runs": len(samples),
		"min_ms": round(min(samples) * 1000, 1),
		"median_ms": round(statistics.median(samples) * 1000, 1),
		"max_ms": round(max(samples) * 1000, 1),
	}


def markdown_table(rows: list[dict]) -> str:
	headers = list(rows[0])
	lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
	lines += ["| " + " | ".join(str(r.get(h, "")) for h in headers) + " |" for r in rows]
	return "\n".join(lines)


def save_results(name: str, payload: dict):
	os.makedirs(RESULTS, exist_ok=True)
	with open(os.path.join(RESULTS, f"{name}.json"), "w") as f:
		json.dump(payload, f, indent=1, ensure_ascii=False, default=str)
	with open(os.path.join(RESULTS, f"{name}.md"), "w") as f:
		f.write(payload["markdown"] + "\n")


@contextmanager
def digest_captured():
	"""A job's digest (domain/notify.py) taken instead of put in the outbox when the block's work is
	handed over as a commit would hand it, so the benchmark times the emails apart from the job:
	→ {"subject": …, "lines": …} after the block. The job runs with commit=False."""
	import frappe

	from sales_process.domain import notify

	captured, real = {}, notify.queue_digest
	notify.queue_digest = lambda subject, lines: captured.update(subject=subject, lines=lines)
	try:
		yield captured
		frappe.db.after_commit.run()  # what commit() runs once the work is in
	finally:
		notify.queue_digest = real
