"""sales_process.wsgi: which failures become a translated "try again" (503/409) and which stay 500s.
The soak (tests/integration/test_soak.py) shows it through gunicorn with the servers really down."""

import json

import pymysql
import redis

import frappe

from sales_process import wsgi


def test_connection_failures_are_503_and_lock_conflicts_409():
	assert wsgi.status_of(pymysql.err.OperationalError(2003, "Can't connect")) == 503
	assert wsgi.status_of(pymysql.err.InterfaceError(0, "")) == 503
	assert wsgi.status_of(redis.exceptions.ConnectionError("refused")) == 503
	assert wsgi.status_of(frappe.QueryDeadlockError("deadlock")) == 409
	assert wsgi.status_of(frappe.QueryTimeoutError("lock wait")) == 409


def test_a_real_bug_stays_a_500():
	assert wsgi.status_of(ValueError("bug")) is None
	assert wsgi.status_of(KeyError("x")) is None
	assert wsgi.status_of(ConnectionError("not ours")) is None  # builtins: not the database or Redis
	assert wsgi._status_of_body(json.dumps({"exc_type": "AttributeError"}).encode()) is None
	assert wsgi._status_of_body(b"<html>") is None
	assert wsgi._status_of_body(json.dumps({"exc_type": "OperationalError"}).encode()) == 503


def test_the_answer_is_translated_and_says_when_to_retry():
	seen = {}

	def start_response(status, headers):
		seen.update(status=status, headers=dict(headers))

	body = wsgi._answer({"PATH_INFO": "/api/method/x"}, start_response, 503, "zh")
	assert seen["status"] == "503 Service Unavailable" and seen["headers"]["Retry-After"] == "5"
	message = json.loads(json.loads(json.loads(body[0])["_server_messages"])[0])
	assert message["message"] == "服务器暂时不可用，请稍后重试。"
	assert "Traceback" not in body[0].decode()
	html = wsgi._answer({"PATH_INFO": "/app/home"}, start_response, 409, "en")[0].decode()
	assert seen["status"] == "409 Conflict" and "The server is busy with the same records" in html


def test_the_language_is_the_users_else_the_browsers():
	had = getattr(frappe.local, "lang", None)
	try:
		frappe.local.lang = "en"  # what frappe.init starts every request with: not an answer
		assert wsgi._language({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}) == "zh"
		assert wsgi._language({"HTTP_ACCEPT_LANGUAGE": "xx"}) == "en"
		frappe.local.lang = "zh"  # the user's setting, once Frappe got that far
		assert wsgi._language({"HTTP_ACCEPT_LANGUAGE": "en-US"}) == "zh"
	finally:
		frappe.local.lang = had
