"""Frappe's scheduler for one site, with a short tick, for the soak and fault harness:

    python tests/integration/scheduler_runner.py SITE [--tick SECONDS] [--for SECONDS]

Each tick calls Frappe's own `enqueue_events_for_site(site)` (what `bench schedule` does for every
site of the bench once a minute), so the due Scheduled Job Types of that site are enqueued for the
RQ workers exactly as in production. Only the site under test, and only for `--for` seconds: the
process stops by itself. Prints "tick N" after each tick (the harness pauses it with SIGSTOP)."""

import argparse
import os
import time

from frappe.utils.scheduler import enqueue_events_for_site


def main():
	p = argparse.ArgumentParser()
	p.add_argument("site")
	p.add_argument("--tick", type=float, default=2.0)
	p.add_argument("--for", dest="duration", type=float, default=900.0)
	args = p.parse_args()
	deadline = time.monotonic() + args.duration
	n = 0
	while time.monotonic() < deadline:
		time.sleep(args.tick)
		enqueue_events_for_site(site=args.site)
		n += 1
		print(f"tick {n}", flush=True)


if __name__ == "__main__":
	os.environ.setdefault("PYTHONUNBUFFERED", "1")
	main()
