"""Tier 2: the HTTP contract through the Flask test client, every status code."""
from __future__ import annotations

import pytest

from models import Engine
from service import Settings, create_app


def _error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["request_id"] == resp.headers["X-Request-ID"]
    return body["error"]


def _check_bullets(text: str, body: dict, lang: str, n: int = 3) -> None:
    assert body["source_lang"] == lang and body["target_lang"] == lang
    assert len(body["bullets"]) == n
    ceiling = {"en": 210, "ko": 150}[lang]  # 1.5 x the target (140 / 100): SUMMARIZER_CEILING_RATIO
    assert body["max_chars"] == {"en": 140, "ko": 100}[lang]
    for bullet in body["bullets"]:
        assert 0 < len(bullet["text"]) <= ceiling and not bullet["text"].endswith("…")
        assert bullet["sources"]
        for src in bullet["sources"]:
            assert text[src["start"] : src["end"]] == src["sentence"]


@pytest.mark.parametrize("fixture", ["ko_article", "ko_article_no_periods"])
def test_summarize_korean(client, request, fixture: str) -> None:
    text = request.getfixturevalue(fixture)
    resp = client.post("/v1/summarize", json={"text": text})
    assert resp.status_code == 200
    body = resp.get_json()
    _check_bullets(text, body, "ko")
    assert body["detected"]["lang"] == "ko" and body["detected"]["confidence"] > 0.9
    assert body["method"] == "extractive"
    assert body["models"] == {"summarize": "builtin/extractive-textrank"}
    assert {"detect", "split", "summarize", "shape"} <= set(body["timings_ms"])
    joined = " ".join(b["text"] for b in body["bullets"])
    assert "기자" not in joined and "@" not in joined
    assert "전기버스" in joined
    if fixture == "ko_article_no_periods":  # headlines are not bullets
        assert not any(b["text"].startswith("서울시 전기버스 전면") for b in body["bullets"])


def test_summarize_english(client, en_article: str) -> None:
    resp = client.post("/v1/summarize", json={"text": en_article, "source_lang": "en"})
    body = resp.get_json()
    assert resp.status_code == 200
    _check_bullets(en_article, body, "en")
    assert "detected" not in body  # only reported when the language was detected
    joined = " ".join(b["text"] for b in body["bullets"])
    assert "Scroll down" not in joined and "Jane Doe" not in joined and "pictured" not in joined


@pytest.mark.parametrize("lang_fixture", ["ko_article", "en_article"])
def test_style_concise(client, request, lang_fixture: str) -> None:
    text = request.getfixturevalue(lang_fixture)
    sentence = client.post("/v1/summarize", json={"text": text}).get_json()
    concise = client.post("/v1/summarize", json={"text": text, "style": "concise"}).get_json()
    assert sentence["style"] == "sentence" and concise["style"] == "concise"
    _check_bullets(text, concise, "ko" if lang_fixture == "ko_article" else "en")
    short = sum(len(b["text"]) for b in concise["bullets"])
    assert short < sum(len(b["text"]) for b in sentence["bullets"])
    if lang_fixture == "ko_article":
        from models.text.sentences import SentenceSplitter
        from models.text.style import is_nominal_ko

        kiwi = SentenceSplitter().kiwi
        assert all(is_nominal_ko(b["text"], kiwi) for b in concise["bullets"])


def test_style_unknown_is_422(client, en_article: str) -> None:
    resp = client.post("/v1/summarize", json={"text": en_article, "style": "poetic"})
    assert resp.status_code == 422 and "style" in resp.get_data(as_text=True)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_max_bullets(client, en_article: str, n: int) -> None:
    body = client.post("/v1/summarize", json={"text": en_article, "max_bullets": n}).get_json()
    assert len(body["bullets"]) == n


def test_request_id_is_echoed(client, en_article: str) -> None:
    resp = client.post("/v1/summarize", json={"text": en_article}, headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    assert resp.get_json()["request_id"] == "abc-123"
    bad = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert bad.headers["X-Request-ID"] != "x" * 500


def test_health_ready_models(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    models = client.get("/v1/models").get_json()["models"]
    assert {(m["task"], tuple(m["languages"])) for m in models} >= {("summarize", ("ko",)), ("summarize", ("en",))}
    assert all(m["licence"] for m in models)


def test_readyz_is_503_until_loaded(settings: Settings, engine: Engine) -> None:
    import threading

    gate = threading.Event()

    def slow_engine() -> Engine:
        gate.wait(10)
        return engine

    from service.runtime import EngineHolder

    app = create_app(settings, engine=engine)
    holder = EngineHolder(slow_engine)
    app.extensions["summarizer"] = holder
    thread = holder.load_in_background()
    client = app.test_client()
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    _error(client.post("/v1/summarize", json={"text": "hello world."}), 503, "not_ready")
    assert client.get("/healthz").status_code == 200
    gate.set()
    thread.join(10)
    assert client.get("/readyz").status_code == 200


# --- error cases -------------------------------------------------------------------------


def test_400_malformed_json(client) -> None:
    _error(client.post("/v1/summarize", data="{not json", content_type="application/json"), 400, "bad_request")


def test_400_invalid_utf8(client) -> None:
    _error(client.post("/v1/summarize", data=b'{"text": "\xff\xfe"}', content_type="application/json"),
           400, "bad_request")


def test_400_duplicate_keys(client) -> None:
    _error(client.post("/v1/summarize", data='{"text": "a", "text": "b"}', content_type="application/json"),
           400, "bad_request")


def test_400_deeply_nested(client) -> None:
    data = "[" * 50_000 + "]" * 50_000
    _error(client.post("/v1/summarize", data=data, content_type="application/json"), 413, "payload_too_large")
    data = "[" * 20_000 + "]" * 20_000
    _error(client.post("/v1/summarize", data=data, content_type="application/json"), 400, "bad_request")


def test_404(client) -> None:
    _error(client.get("/v2/nothing"), 404, "not_found")


def test_405(client) -> None:
    err = _error(client.get("/v1/summarize"), 405, "method_not_allowed")
    assert "POST" in err["details"]["allowed"]


def test_413_checked_before_parsing(client, settings: Settings) -> None:
    # not even valid JSON: the size is checked first
    err = _error(client.post("/v1/summarize", data="x" * (settings.max_body_bytes + 1),
                             content_type="application/json"), 413, "payload_too_large")
    assert err["details"]["limit_bytes"] == settings.max_body_bytes


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_415_not_json(client, content_type) -> None:
    kwargs = {"content_type": content_type} if content_type else {}
    _error(client.post("/v1/summarize", data='{"text": "hello"}', **kwargs), 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "text", "required"),
        ({"text": ""}, "text", "empty"),
        ({"text": "   \n\t "}, "text", "whitespace"),
        ({"text": 42}, "text", "string"),
        ({"text": "a" * 20_001}, "text", "20000"),
        ({"text": "hi", "source_lang": "fr"}, "source_lang", "'auto', 'ko' or 'en'"),
        ({"text": "hi", "target_lang": "de"}, "target_lang", "'ko' or 'en'"),
        ({"text": "hi", "max_bullets": 0}, "max_bullets", "greater than or equal to 1"),
        ({"text": "hi", "max_bullets": 11}, "max_bullets", "less than or equal to 10"),
        ({"text": "hi", "max_bullets": "3"}, "max_bullets", "integer"),
        ({"text": "hi", "max_bullets": 2.5}, "max_bullets", "integer"),
        ({"text": "hi", "max_bullets": True}, "max_bullets", "integer"),
        ({"text": "hi", "method": "magic"}, "method", "'auto', 'extractive' or 'abstractive'"),
        ({"text": "hi", "title": ["x"]}, "title", "string"),
        ({"text": "hi", "colour": "red"}, "colour", "not permitted"),
    ],
)
def test_422_validation(client, body: dict, field: str, words: str) -> None:
    err = _error(client.post("/v1/summarize", json=body), 422, "validation_error")
    assert field in err["message"] and words in err["message"]


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "3", "null"])
def test_422_non_object(client, body: str) -> None:
    _error(client.post("/v1/summarize", data=body, content_type="application/json"), 422, "validation_error")


def test_422_undetectable_language(client) -> None:
    err = _error(client.post("/v1/summarize", json={"text": "12345 67890 !!!"}), 422, "unsupported_language")
    assert "source_lang" in err["message"]


def test_422_only_noise(client) -> None:
    _error(client.post("/v1/summarize", json={"text": "Scroll down for video\nBy Jane Doe"}), 422,
           "unprocessable_text")


@pytest.mark.parametrize(
    ("text", "target"), [("정부는 새 정책을 발표했다.", "en"), ("The plan starts next year.", "ko")]
)
def test_503_cross_lingual_without_translation_model(client, text: str, target: str) -> None:
    err = _error(client.post("/v1/summarize", json={"text": text, "target_lang": target}), 503, "model_unavailable")
    assert "SUMMARIZER_MODEL_TRANSLATE_" in err["message"]
    assert err["details"]["task"] == "translate"


def test_503_translate_without_model(client) -> None:
    err = _error(client.post("/v1/translate", json={"text": "정부는 새 정책을 발표했다.", "target_lang": "en"}),
                 503, "model_unavailable")
    assert "SUMMARIZER_MODEL_TRANSLATE_KO_EN" in err["message"] and "download" in err["message"]


def test_503_abstractive_without_model(client) -> None:
    err = _error(client.post("/v1/summarize", json={"text": "The plan starts next year.", "method": "abstractive"}),
                 503, "model_unavailable")
    assert "SUMMARIZER_MODEL_SUMMARIZE_EN" in err["message"]


def test_500_never_echoes_internals(settings: Settings, engine: Engine, caplog) -> None:
    app = create_app(settings, engine=engine)

    class Boom(Engine):
        def summarize(self, req):  # noqa: ANN001, ANN201
            raise RuntimeError("secret internal detail /etc/passwd")

    broken = Boom.__new__(Boom)
    broken.__dict__.update(engine.__dict__)
    app.extensions["summarizer"]._engine = broken
    with caplog.at_level("ERROR"):
        resp = app.test_client().post("/v1/summarize", json={"text": "hello there."})
    err = _error(resp, 500, "internal_error")
    assert "secret" not in resp.get_data(as_text=True)
    assert "request_id" in err["message"]
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)
