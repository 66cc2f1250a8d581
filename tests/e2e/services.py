"""A desk with Frappe's realtime server and background workers of its own, for browser tests of a
background job's realtime progress.

The desk of the e2e suite (tests/e2e/conftest.py `desk`) is gunicorn alone: no socket.io, no
worker. `Realtime` starts, for one test module, on 127.0.0.1 only:

- a Redis of its own as the queue (`FRAPPE_REDIS_QUEUE`): the bench's queue is shared by every
  site of the bench and may hold a backlog of other sites' scheduled jobs, which a worker started
  here must neither wait behind nor run;
- a gunicorn desk (rest.Server) and Frappe's own socket.io server (apps/frappe/socketio.js, node),
  both on that queue, which is also the channel Python publishes realtime events on;
- in front of both a small proxy that sends `/socket.io/` to node and everything else to gunicorn,
  as bench's nginx template does in production, so that the browser opens the desk and its
  realtime connection on one origin; node authenticates each socket against the desk with the
  user's `sid` cookie;
- on demand, `Worker`: `bench worker --queue long --burst` on that queue, which runs what is queued
  and exits (stopped after a time limit if it has not).

Everything is stopped by `stop()`.
"""

import asyncio
import itertools
import os
import subprocess
import threading
import time

import requests

from tests.conftest import BENCH_DIR, TEST_SITE
from tests.integration.rest import Server, free_port

PYTHON = os.path.join(BENCH_DIR, "env", "bin", "python")
WORKERS = itertools.count(1)


def _stop(proc: subprocess.Popen, grace: float = 10):
	if proc.poll() is None:
		proc.terminate()
		try:
			proc.wait(grace)
		except subprocess.TimeoutExpired:
			proc.kill()
			proc.wait(5)


def _log(name: str, port) -> str:
	return os.path.join(BENCH_DIR, "logs", f"pytest-e2e-{name}-{port}.log")


class Realtime:
	"""`base` is the origin the browser uses; `redis_url` the queue's Redis."""

	def __init__(self):
		self.procs: list[subprocess.Popen] = []
		self.desk = self.proxy = None
		try:
			self._start()
		except Exception:
			self.stop()
			raise

	def _start(self):
		redis_port = free_port()
		self.redis_url = f"redis://127.0.0.1:{redis_port}"
		self._spawn(
			"redis",
			redis_port,
			[
				"redis-server",
				"--port",
				str(redis_port),
				"--bind",
				"127.0.0.1",
				"--save",
				"",
				"--appendonly",
				"no",
			],
			{},
		)
		self.env = {"FRAPPE_REDIS_QUEUE": self.redis_url}
		self.desk = Server(workers=2, statics=True, name="pytest-e2e-realtime", env=self.env)
		socketio_port = free_port()
		self.socketio_log = _log("socketio", socketio_port)
		node = self._spawn(
			"socketio",
			socketio_port,
			["node", os.path.join(BENCH_DIR, "apps", "frappe", "socketio.js")],
			{**self.env, "FRAPPE_SOCKETIO_PORT": str(socketio_port)},
		)
		self.proxy = Proxy(self.desk.port, socketio_port)
		self.base = f"http://127.0.0.1:{self.proxy.port}"
		deadline = time.time() + 30
		while time.time() < deadline:
			try:
				# engine.io's handshake answers once node listens
				if requests.get(f"{self.base}/socket.io/?EIO=4&transport=polling", timeout=2).ok:
					return
			except requests.ConnectionError:
				pass
			if node.poll() is not None:
				break
			time.sleep(0.3)
		raise RuntimeError(f"the realtime server did not start; see {self.socketio_log}")

	def _spawn(self, name: str, port: int, command: list[str], env: dict) -> subprocess.Popen:
		with open(_log(name, port), "w") as log:
			proc = subprocess.Popen(
				command,
				cwd=BENCH_DIR,
				env={**os.environ, **env},
				stdout=log,
				stderr=subprocess.STDOUT,
			)
		self.procs.append(proc)
		return proc

	def worker(self) -> "Worker":
		return Worker(self.env)

	def stop(self):
		if self.proxy:
			self.proxy.stop()
		if self.desk:
			self.desk.stop()
		for proc in reversed(self.procs):
			_stop(proc)


class Proxy:
	"""127.0.0.1:port → `/socket.io/` to node, the rest to the desk; one request per connection
	(gunicorn's sync workers close after each response anyway), WebSockets piped both ways.
	Like bench's nginx template, requests to node name the site and carry an Origin (a browser
	sends none on same-origin GETs; node refuses a socket without one)."""

	def __init__(self, desk_port: int, socketio_port: int):
		self.desk_port, self.socketio_port = desk_port, socketio_port
		self.port = free_port()
		self.loop = asyncio.new_event_loop()
		started = threading.Event()
		self.thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
		self.thread.start()
		started.wait(10)

	def _serve(self, started: threading.Event):
		asyncio.set_event_loop(self.loop)
		self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
		started.set()
		self.loop.run_forever()

	async def _handle(self, client_reader, client_writer):
		upstream = None
		try:
			head = await client_reader.readuntil(b"\r\n\r\n")
			lines = head.split(b"\r\n")
			path = lines[0].split(b" ")[1] if b" " in lines[0] else b"/"
			realtime = path.startswith(b"/socket.io/")
			port = self.socketio_port if realtime else self.desk_port
			if realtime:
				host = next((line[5:].strip() for line in lines if line.lower().startswith(b"host:")), b"")
				lines = [
					lines[0],
					b"X-Frappe-Site-Name: " + TEST_SITE.encode(),
					b"Origin: http://" + host,
				] + [
					line
					for line in lines[1:]
					if not line.lower().startswith((b"origin:", b"x-frappe-site-name:"))
				]
			if not any(line.lower().startswith(b"upgrade:") for line in lines[1:]):
				lines = [lines[0], b"Connection: close"] + [
					line for line in lines[1:] if not line.lower().startswith(b"connection:")
				]
			reader, upstream = await asyncio.open_connection("127.0.0.1", port)
			upstream.write(b"\r\n".join(lines))
			pipes = [
				asyncio.ensure_future(_pipe(client_reader, upstream)),
				asyncio.ensure_future(_pipe(reader, client_writer)),
			]
			try:
				# the response ends when the server closes (Connection: close); a WebSocket when either does
				_done, pending = await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
			finally:
				for task in pipes:
					task.cancel()
		except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError, OSError):
			pass
		finally:
			for writer in (upstream, client_writer):
				if writer is not None:
					writer.close()

	def stop(self):
		asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
		self.loop.call_soon_threadsafe(self.loop.stop)
		self.thread.join(10)
		self.loop.close()

	async def _shutdown(self):
		self.server.close()
		tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
		for task in tasks:
			task.cancel()
		await asyncio.gather(*tasks, return_exceptions=True)


async def _pipe(reader, writer):
	try:
		while chunk := await reader.read(65536):
			writer.write(chunk)
			await writer.drain()
	except OSError:
		pass


class Worker:
	"""`bench worker --queue long --burst` on the given queue: it runs what is queued on the long
	queue and exits."""

	def __init__(self, env: dict):
		self.log_path = _log("worker", f"{os.getpid()}-{next(WORKERS)}")
		with open(self.log_path, "w") as log:
			self.proc = subprocess.Popen(
				[PYTHON, "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "long", "--burst"],
				cwd=os.path.join(BENCH_DIR, "sites"),
				env={**os.environ, **env},
				stdout=log,
				stderr=subprocess.STDOUT,
			)

	def wait(self, timeout: float) -> int | None:
		"""The exit code, or None if it was still running after `timeout` seconds (then stopped)."""
		try:
			return self.proc.wait(timeout)
		except subprocess.TimeoutExpired:
			_stop(self.proc)
			return None

	def stop(self):
		_stop(self.proc)
