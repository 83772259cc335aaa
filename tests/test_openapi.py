"""The OpenAPI document validates, covers every route, and matches what the service really returns."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

ROUTES = {"/v1/summarize": "post", "/v1/summarize/batch": "post", "/v1/translate": "post", "/v1/models": "get",
          "/healthz": "get", "/readyz": "get", "/metrics": "get", "/openapi.json": "get"}
DOC_URI = "urn:openapi"  # the document as one resource: "#/components/..." refs resolve inside it


@pytest.fixture()
def doc(client) -> dict:
    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_document_is_valid_openapi_31(doc: dict) -> None:
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # openapi-spec-validator picks the 3.1 schema from the "openapi" field
    for path, method in ROUTES.items():
        assert method in doc["paths"][path], path


def test_every_route_of_the_app_is_documented(app, doc: dict) -> None:
    served = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              and not rule.rule.startswith("/docs") and rule.rule != "/"}
    assert served == set(doc["paths"])


def test_schemas_come_from_the_pydantic_types(doc: dict) -> None:
    from service import schemas

    for name in ("SummarizeBody", "SummarizeResponse", "TranslateBody", "TranslateResponse", "ModelsResponse",
                 "ErrorResponse", "ErrorBody", "BulletOut", "SourceSpan"):
        assert name in doc["components"]["schemas"], name
    body = doc["components"]["schemas"]["SummarizeBody"]
    assert body["properties"]["max_bullets"]["maximum"] == schemas.MAX_BULLETS
    assert body["additionalProperties"] is False and "required" not in body
    assert body["oneOf"] == [{"required": ["text"]}, {"required": ["html"]}]  # exactly one of text, html


@pytest.mark.parametrize("path", ["/v1/summarize", "/v1/translate", "/v1/summarize/batch"])
def test_post_routes_document_json_bodies_and_every_error(doc: dict, path: str) -> None:
    op = doc["paths"][path]["post"]
    assert op["requestBody"]["required"] is True and list(op["requestBody"]["content"]) == ["application/json"]
    for status in ("400", "404", "405", "408", "413", "415", "422", "500", "503"):
        response = _resolve(doc, op["responses"][status])
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
        assert response["headers"]["X-Request-ID"]


def _resolve(doc: dict, node: dict) -> dict:
    """Follow a response's "$ref" (e.g. "#/components/responses/Error404") to the response."""
    while "$ref" in node:
        target = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _validator(doc: dict, path: str, method: str, status: str) -> Draft202012Validator:
    """A Draft 2020-12 validator for one documented response body, its $refs resolved into components."""
    response = _resolve(doc, doc["paths"][path][method]["responses"][status])
    schema = response["content"]["application/json"]["schema"]
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(
        {**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    return Draft202012Validator(_rebase(schema), registry=registry)


def _rebase(node):  # noqa: ANN001, ANN202 - "#/components/..." refs point into the whole document
    if isinstance(node, dict):
        return {k: (DOC_URI + v if k == "$ref" and v.startswith("#/") else _rebase(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


CASES = [
    ("post", "/v1/summarize", {"json": {"text": "The council approved the plan on Monday. Work starts in May."}},
     "200"),
    ("post", "/v1/summarize", {"json": {"text": "정부는 새 정책을 발표했다.", "source_lang": "ko"}}, "200"),
    ("post", "/v1/summarize", {"json": {"text": ""}}, "422"),
    ("post", "/v1/summarize", {"json": {"text": "hi", "max_bullets": 99, "extra": 1}}, "422"),
    ("post", "/v1/summarize", {"json": {"text": "hi", "target_lang": "ko"}}, "503"),
    ("post", "/v1/summarize", {"data": "x" * 70_000, "content_type": "application/json"}, "413"),
    ("post", "/v1/summarize", {"data": "{}", "content_type": "text/plain"}, "415"),
    ("post", "/v1/summarize", {"data": "{oops", "content_type": "application/json"}, "400"),
    ("get", "/v1/summarize", {}, "405"),
    ("post", "/v1/summarize/batch", {"json": {"items": [{"text": "The plan starts."}, {"text": ""}]}}, "200"),
    ("post", "/v1/translate", {"json": {"text": "The plan starts.", "target_lang": "ko"}}, "503"),
    ("post", "/v1/translate", {"json": {"text": "The plan starts."}}, "422"),
    ("get", "/v1/models", {}, "200"),
    ("post", "/v1/models", {}, "405"),
    ("get", "/healthz", {}, "200"),
    ("get", "/readyz", {}, "200"),
    ("get", "/openapi.json", {}, "200"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), CASES)
def test_real_responses_match_the_document(client, doc: dict, method: str, path: str, kwargs: dict,
                                           status: str) -> None:
    resp = getattr(client, method)(path, **kwargs)
    assert str(resp.status_code) == status, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/json"
    documented = method if method in doc["paths"][path] else next(iter(doc["paths"][path]))  # 405: the real one
    errors = sorted(_validator(doc, path, documented, status).iter_errors(resp.get_json()), key=str)
    assert not errors, [e.message for e in errors]


def test_not_found_matches_the_documented_404(client, doc: dict) -> None:
    resp = client.get("/no/such/route")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert not list(_validator(doc, "/v1/summarize", "post", "404").iter_errors(resp.get_json()))


def test_readyz_while_loading_matches_its_503(app, doc: dict) -> None:
    from service.runtime import EngineHolder

    app.extensions["summarizer"] = EngineHolder(lambda: None)  # type: ignore[arg-type,return-value] - never loads
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert not list(_validator(doc, "/readyz", "get", "503").iter_errors(resp.get_json()))


def test_docs_page_is_offline(client) -> None:
    assert client.get("/docs").status_code in (301, 308)  # to /docs/
    page = client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '"url": "/openapi.json"' in html and '"validatorUrl": null' in html
    absolute = re.findall(r"https?://[^\s\"'<>]+", html)
    assert all(url.startswith("http://localhost/docs/") for url in absolute), absolute  # nothing from elsewhere
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        resp = client.get(f"/docs/{asset}")
        assert resp.status_code == 200 and len(resp.data) > 10_000, asset


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def test_docs_page_renders_the_document_in_a_browser(app, doc: dict) -> None:
    """Swagger UI must understand OpenAPI 3.1 (version 4 does not): every operation is drawn."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are not installed (scripts/system-deps.sh installs them)")
        pytest.skip("chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={profile}", "--window-size=1280,1400"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(30)
        driver.get(f"http://127.0.0.1:{server.server_port}/docs/")
        operations = sum(len(ops) for ops in doc["paths"].values())
        WebDriverWait(driver, 20).until(
            lambda d: len(d.find_elements("css selector", ".opblock")) >= operations
            or d.find_elements("css selector", ".errors-wrapper"))
        assert not driver.find_elements("css selector", ".errors-wrapper")
        assert len(driver.find_elements("css selector", ".opblock")) == operations
        assert "Bullets" in driver.find_element("css selector", ".info .title").text
        assert "OAS 3.1" in driver.find_element("css selector", ".info").text
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
