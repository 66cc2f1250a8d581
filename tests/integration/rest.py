"""A real HTTP server for REST tests: gunicorn on 127.0.0.1 (a free port) serving the test site,
and a small client that authenticates with API tokens. Data a REST test needs must be committed
(the server has its own connections); tests/integration/world.py builds and removes it."""

import os
import socket
import subprocess
import tempfile
import time

import requests

from tests.conftest import BENCH_DIR, TEST_SITE


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class Server:
	"""gunicorn on 127.0.0.1 (a free port) serving the test site. Plain `frappe.app:application` is
	enough for REST calls (`wsgi="sales_process.wsgi"` serves it behind the app's translated "try
	again" for database and Redis outages); `statics=True` serves /assets and /files too (the desk, for a browser),
	as `scripts/dev up` does, with a pre_request hook naming the site on every request so that
	http://127.0.0.1:PORT needs no DNS name."""

	def __init__(
		self,
		workers: int = 2,
		statics: bool = False,
		site: str = TEST_SITE,
		name: str = "pytest",
		env: dict | None = None,
		wsgi: str = "frappe.app",
	):
		self.site, self.statics = site, statics
		self.port = free_port()
		self.base = f"http://127.0.0.1:{self.port}"
		self.log_path = os.path.join(BENCH_DIR, "logs", f"{name}-gunicorn-{self.port}.log")
		self._conf = None
		command = [os.path.join(BENCH_DIR, "env", "bin", "gunicorn")]
		if statics:
			self._conf = tempfile.NamedTemporaryFile("w", prefix="sp-gunicorn-", suffix=".py", delete=False)
			self._conf.write(
				f"def pre_request(worker, req):\n    req.headers.append(('X-FRAPPE-SITE-NAME', {site!r}))\n"
			)
			self._conf.close()
			command += ["-c", self._conf.name]
		command += ["-b", f"127.0.0.1:{self.port}", "-w", str(workers), "-t", "120", "--preload"]
		# wsgi="sales_process.wsgi": the app's "try again" wrapper, as production should serve it
		command.append(f"{wsgi}:application_with_statics()" if statics else f"{wsgi}:application")
		with open(self.log_path, "w") as log:
			self.proc = subprocess.Popen(
				command,
				cwd=os.path.join(BENCH_DIR, "sites"),
				env={**os.environ, **(env or {})},  # e.g. FRAPPE_REDIS_QUEUE: a queue of its own
				stdout=log,
				stderr=subprocess.STDOUT,
			)
		deadline = time.time() + 90
		while time.time() < deadline:
			try:
				if requests.get(f"{self.base}/api/method/ping", headers=self.headers(), timeout=2).ok:
					return
			except requests.ConnectionError:
				pass
			if self.proc.poll() is not None:
				break
			time.sleep(0.3)
		self.stop()
		raise RuntimeError(f"the test server did not start; see {self.log_path}")

	def headers(self) -> dict:
		# with statics the hook names the site; a second X-Frappe-Site-Name would be joined to the
		# first ("a,b") and match no site
		site = {} if self.statics else {"X-Frappe-Site-Name": self.site}
		return {**site, "Accept": "application/json"}

	def stop(self):
		if self.proc.poll() is None:
			self.proc.terminate()
			try:
				self.proc.wait(15)
			except subprocess.TimeoutExpired:
				self.proc.kill()
				self.proc.wait(5)
		if self._conf and os.path.exists(self._conf.name):
			os.unlink(self._conf.name)


class Client:
	"""Requests as one user (token auth), against one server."""

	def __init__(self, server: Server, user: str, api_key: str, api_secret: str):
		self.server, self.user = server, user
		self.session = requests.Session()
		self.session.headers.update(server.headers())
		self.session.headers["Authorization"] = f"token {api_key}:{api_secret}"

	def url(self, path: str) -> str:
		return f"{self.server.base}{path}"

	def get_doc(self, doctype: str, name: str) -> requests.Response:
		return self.session.get(self.url(f"/api/resource/{doctype}/{name}"), timeout=30)

	def list(self, doctype: str, **params) -> requests.Response:
		return self.session.get(self.url(f"/api/resource/{doctype}"), params=params, timeout=30)

	def insert(self, doctype: str, doc: dict) -> requests.Response:
		return self.session.post(self.url(f"/api/resource/{doctype}"), json=doc, timeout=30)

	def update(self, doctype: str, name: str, changes: dict) -> requests.Response:
		return self.session.put(self.url(f"/api/resource/{doctype}/{name}"), json=changes, timeout=30)

	def delete(self, doctype: str, name: str) -> requests.Response:
		return self.session.delete(self.url(f"/api/resource/{doctype}/{name}"), timeout=30)

	def call(self, method: str, http: str = "POST", **kwargs) -> requests.Response:
		if http == "GET":
			return self.session.get(self.url(f"/api/method/{method}"), params=kwargs, timeout=30)
		return self.session.post(self.url(f"/api/method/{method}"), json=kwargs, timeout=30)


def message(response: requests.Response) -> str:
	"""The user-facing error text of a failed call (Frappe puts it in _server_messages)."""
	import json

	try:
		body = response.json()
	except ValueError:
		return response.text
	texts = []
	for raw in json.loads(body.get("_server_messages") or "[]"):
		try:
			texts.append(json.loads(raw).get("message", ""))
		except (ValueError, AttributeError):
			texts.append(str(raw))
	return " ".join(texts) or body.get("exception", "") or response.text


def logins(server: Server, user: str, password: str, api_key: str, api_secret: str) -> dict:
	"""A requests session of `user` per way Frappe authenticates a REST caller: an API token
	(`Authorization: token key:secret`), the same pair as HTTP Basic, and a session cookie from
	/api/method/login. Each asks for English (Accept-Language), so an answer in another language
	can only come from the user's own setting."""
	import base64

	made = {}
	for kind in ("token", "basic", "session"):
		s = requests.Session()
		s.headers.update({**server.headers(), "Accept-Language": "en"})
		if kind == "token":
			s.headers["Authorization"] = f"token {api_key}:{api_secret}"
		elif kind == "basic":
			s.headers["Authorization"] = (
				"Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()
			)
		else:
			r = s.post(f"{server.base}/api/method/login", json={"usr": user, "pwd": password}, timeout=30)
			assert r.ok and s.cookies.get("sid") not in (None, "Guest"), r.text[:300]
		made[kind] = s
	return made
