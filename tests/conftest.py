"""Shared pytest configuration. Site fixtures live in tests/integration/conftest.py so that
tests/unit runs without a database."""

import os

BENCH_DIR = os.path.expanduser(os.environ.get("SP_BENCH_DIR", "~/sales-process-bench"))
TEST_SITE = os.environ.get("SP_TEST_SITE", "test-sales-process.localhost")
