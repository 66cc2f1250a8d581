"""Bad input reaching Python: every whitelisted method of the app, called through REST without its
required arguments or with an argument of the wrong type, answers a translated 4xx naming the
argument, never a 500 (`raise_alert` without `opportunity` used to raise a TypeError). The methods
are found in the source, like the permission matrix's completeness test, so a new one is covered."""

import ast
import importlib
import inspect
import pathlib
import typing

import pytest

import frappe

from tests.integration.rest import message


def _whitelisted():
	root = pathlib.Path(frappe.get_app_path("sales_process"))
	found = {}
	for path in sorted(root.rglob("*.py")):
		module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
		for node in ast.walk(ast.parse(path.read_text())):
			if isinstance(node, ast.FunctionDef) and any(
				"whitelist" in ast.unparse(d) for d in node.decorator_list
			):
				found[f"{module}.{node.name}"] = None
	# sales_process.overrides.client.get_count is served as frappe.client.get_count (override_whitelisted_methods)
	return sorted(found)


METHODS = _whitelisted()


def _function(method):
	module, name = method.rsplit(".", 1)
	fn = getattr(importlib.import_module(module), name)
	return fn, inspect.unwrap(fn)


def _verb(fn):
	allowed = frappe.allowed_http_methods_for_whitelisted_func[fn]
	return "POST" if "POST" in allowed else "GET"


def _accepted(annotation) -> set:
	return {typing.get_origin(a) or a for a in typing.get_args(annotation) or (annotation,)}


def _wrong_value(annotation, verb):
	"""A value the annotation does not accept: in a GET query string everything is text, so a
	non-number; in a POST's JSON body an object, or a list where objects are fine."""
	if verb == "GET":
		return "not a number"
	return [1, 2] if dict in _accepted(annotation) else {"not": ["a", "value", "of", "this", "type"]}


def _typed_arguments():
	"""(method, argument) for every annotated argument that a request can get wrong: any, in a JSON
	body; in a GET query string (text) only those that do not take text."""
	for m in METHODS:
		fn, raw = _function(m)
		for name, p in inspect.signature(raw).parameters.items():
			if p.annotation is p.empty:
				continue
			if _verb(fn) == "GET" and str in _accepted(p.annotation):
				continue
			yield m, name


def _call(world, fn, method, **kwargs):
	verb = _verb(fn)
	if verb == "GET":
		import json

		kwargs = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in kwargs.items()}
	# the most privileged caller: no permission check stops the call before Python
	return world["admin"].call(method, http=verb, **kwargs)


def _required(raw):
	return [
		name
		for name, p in inspect.signature(raw).parameters.items()
		if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
	]


def test_the_methods_are_found():
	assert "sales_process.api.help_alert.raise_alert" in METHODS and len(METHODS) > 20


@pytest.mark.parametrize("method", [m for m in METHODS if _required(_function(m)[1])])
def test_a_missing_required_argument_is_a_translated_4xx(world, method, tally):
	fn, raw = _function(method)
	r = _call(world, fn, method)
	assert 400 <= r.status_code < 500, (method, r.status_code, r.text[:300])
	assert f"{_required(raw)[0]} is missing" in message(r), (method, message(r))
	tally("bad arguments refused")


@pytest.mark.parametrize("method,arg", list(_typed_arguments()))
def test_an_argument_of_the_wrong_type_is_a_translated_4xx(world, method, arg, tally):
	fn, raw = _function(method)
	params = inspect.signature(raw).parameters
	# the other required arguments are present (and well typed), so only `arg` is wrong
	kwargs = {name: "x" for name in _required(raw) if name != arg}
	kwargs[arg] = _wrong_value(params[arg].annotation, _verb(fn))
	r = _call(world, fn, method, **kwargs)
	assert 400 <= r.status_code < 500, (method, arg, r.status_code, r.text[:300])
	assert f"{arg} has the wrong type" in message(r), (method, arg, message(r))
	tally("bad arguments refused")


def test_the_message_is_translated():
	"""The guard's messages go through _(): for a Chinese user they are Chinese."""
	from werkzeug.test import EnvironBuilder
	from werkzeug.wrappers import Request

	from sales_process.overrides import request_guard

	path = "/api/method/sales_process.api.help_alert.respond"
	frappe.local.request = Request(EnvironBuilder(path=path, method="POST").get_environ())
	frappe.local.form_dict = frappe._dict(analysis="x")
	frappe.local.lang = "zh"
	try:
		with pytest.raises(frappe.MandatoryError, match="缺少 alert"):
			request_guard.refuse_bad_arguments()
	finally:
		frappe.local.lang = "en"
		del frappe.local.request


@pytest.mark.parametrize("login", ["token", "basic", "session"])
def test_the_message_is_in_the_callers_language_however_they_log_in(world, zh_logins, login, tally):
	"""Through a real server, for a zh user whose request asks for English: Frappe sets the
	language of a token or Basic caller before it knows who they are (from the request, as for a
	guest), so the refusal was English for them and Chinese only for a session cookie."""
	# respond's `alert` is required (raise_alert's opportunity is optional since K8)
	url = f"{world.server.base}/api/method/sales_process.api.help_alert.respond"
	r = zh_logins[login].post(url, json={"analysis": "x"}, timeout=30)
	assert r.status_code == 417, (login, r.status_code, r.text[:300])
	assert "缺少 alert：respond 需要它。" in message(r), (login, message(r))
	tally("bad arguments refused")
