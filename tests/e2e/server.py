"""The desk for a browser: gunicorn on 127.0.0.1 (a free port) serving the test site *with* its
static files (/assets, /files), as `scripts/dev up` serves the development site.

tests/integration/rest.py's Server runs plain `frappe.app:application`, which has no /assets: enough
for REST calls, not for the desk. Here gunicorn runs `application_with_statics()` and a pre_request
hook names the site on every request, so http://127.0.0.1:PORT needs no DNS name."""

import os
import subprocess
import tempfile
import time

import requests

from tests.conftest import BENCH_DIR, TEST_SITE
from tests.integration.rest import free_port


class DeskServer:
	def __init__(self, workers: int = 3):
		self.port = free_port()
		self.base = f"http://127.0.0.1:{self.port}"
		self.log_path = os.path.join(BENCH_DIR, "logs", f"pytest-e2e-gunicorn-{self.port}.log")
		self._conf = tempfile.NamedTemporaryFile("w", prefix="sp-e2e-gunicorn-", suffix=".py", delete=False)
		self._conf.write(
			"def pre_request(worker, req):\n"
			f"    req.headers.append(('X-FRAPPE-SITE-NAME', {TEST_SITE!r}))\n"
		)
		self._conf.close()
		with open(self.log_path, "w") as log:
			self.proc = subprocess.Popen(
				[
					os.path.join(BENCH_DIR, "env", "bin", "gunicorn"),
					"-c",
					self._conf.name,
					"-b",
					f"127.0.0.1:{self.port}",
					"-w",
					str(workers),
					"-t",
					"120",
					"--preload",
					"frappe.app:application_with_statics()",
				],
				cwd=os.path.join(BENCH_DIR, "sites"),
				stdout=log,
				stderr=subprocess.STDOUT,
			)
		self._wait()

	def _wait(self):
		deadline = time.time() + 90
		while time.time() < deadline:
			try:
				if requests.get(f"{self.base}/api/method/ping", timeout=2).ok:
					return
			except requests.ConnectionError:
				pass
			if self.proc.poll() is not None:
				break
			time.sleep(0.3)
		self.stop()
		raise RuntimeError(f"the desk server did not start; see {self.log_path}")

	def stop(self):
		if self.proc.poll() is None:
			self.proc.terminate()
			try:
				self.proc.wait(15)
			except subprocess.TimeoutExpired:
				self.proc.kill()
				self.proc.wait(5)
		if os.path.exists(self._conf.name):
			os.unlink(self._conf.name)
