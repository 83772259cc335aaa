"""The OpenAPI document validates and matches what the service really returns."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource


@pytest.fixture()
def doc(client) -> dict:
    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_document_is_valid_openapi_31(doc: dict) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert {"/v1/summarize", "/v1/summarize/batch", "/v1/translate", "/v1/models", "/healthz", "/readyz",
            "/metrics"} <= set(doc["paths"])


def _validator(doc: dict, path: str, method: str, status: str) -> Draft202012Validator:
    schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(
        {**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    rewritten = _rebase(schema)
    return Draft202012Validator(rewritten, registry=registry)


def _rebase(node):  # noqa: ANN001, ANN202 - "#/components/..." refs point into the whole document
    if isinstance(node, dict):
        return {k: ("urn:openapi" + v if k == "$ref" and v.startswith("#/") else _rebase(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


CASES = [
    ("post", "/v1/summarize", {"json": {"text": "The council approved the plan on Monday. Work starts in May."}},
     "200"),
    ("post", "/v1/summarize", {"json": {"text": "정부는 새 정책을 발표했다.", "source_lang": "ko"}}, "200"),
    ("post", "/v1/summarize", {"json": {"text": ""}}, "422"),
    ("post", "/v1/summarize", {"json": {"text": "hi", "target_lang": "ko"}}, "503"),
    ("post", "/v1/summarize", {"data": "x" * 70_000, "content_type": "application/json"}, "413"),
    ("post", "/v1/summarize", {"data": "{}", "content_type": "text/plain"}, "415"),
    ("post", "/v1/summarize", {"data": "{oops", "content_type": "application/json"}, "400"),
    ("post", "/v1/summarize/batch", {"json": {"items": [{"text": "The plan starts."}, {"text": ""}]}}, "200"),
    ("post", "/v1/translate", {"json": {"text": "The plan starts.", "target_lang": "ko"}}, "503"),
    ("get", "/v1/models", {}, "200"),
    ("get", "/healthz", {}, "200"),
    ("get", "/readyz", {}, "200"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), CASES)
def test_real_responses_match_the_document(client, doc: dict, method: str, path: str, kwargs: dict,
                                           status: str) -> None:
    resp = getattr(client, method)(path, **kwargs)
    assert str(resp.status_code) == status, resp.get_data(as_text=True)[:300]
    errors = sorted(_validator(doc, path, method, status).iter_errors(resp.get_json()), key=str)
    assert not errors, [e.message for e in errors]


def test_error_pages_match_the_error_schema(client, doc: dict) -> None:
    validator = _validator(doc, "/v1/summarize", "post", "422")
    for resp in (client.get("/nowhere"), client.get("/v1/summarize")):
        assert resp.status_code in (404, 405)
        assert not list(validator.iter_errors(resp.get_json()))


def test_docs_page_is_offline(client) -> None:
    page = client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert client.get("/docs/swagger-ui-bundle.js").status_code == 200
