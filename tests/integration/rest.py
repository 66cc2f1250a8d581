"""A real HTTP server for REST tests: gunicorn on 127.0.0.1 (a free port) serving the test site,
and a small client that authenticates with API tokens. Data a REST test needs must be committed
(the server has its own connections); tests/integration/world.py builds and removes it."""

import os
import socket
import subprocess
import sys
import time

import requests

from tests.conftest import BENCH_DIR, TEST_SITE


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class Server:
	def __init__(self, workers: int = 2):
		self.port = free_port()
		self.base = f"http://127.0.0.1:{self.port}"
		log = open(os.path.join(BENCH_DIR, "logs", f"pytest-gunicorn-{self.port}.log"), "w")
		self.proc = subprocess.Popen(
			[
				os.path.join(BENCH_DIR, "env", "bin", "gunicorn"),
				"-b",
				f"127.0.0.1:{self.port}",
				"-w",
				str(workers),
				"-t",
				"120",
				"--preload",
				"frappe.app:application",
			],
			cwd=os.path.join(BENCH_DIR, "sites"),
			stdout=log,
			stderr=subprocess.STDOUT,
		)
		deadline = time.time() + 60
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
		sys.exit(f"the test server did not start; see {log.name}")

	@staticmethod
	def headers() -> dict:
		return {"X-Frappe-Site-Name": TEST_SITE, "Accept": "application/json"}

	def stop(self):
		if self.proc.poll() is None:
			self.proc.terminate()
			try:
				self.proc.wait(10)
			except subprocess.TimeoutExpired:
				self.proc.kill()


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
