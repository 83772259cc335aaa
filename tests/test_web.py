"""The page's route and assets through the Flask test client."""
from __future__ import annotations


def test_page_has_labelled_controls(client) -> None:
    resp = client.get("/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    for control in ("text", "source_lang", "target_lang", "style", "max_bullets", "max_chars"):
        assert f'<label for="{control}">' in html and f'id="{control}"' in html
    assert 'name="viewport"' in html and "aria-live" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere


def test_assets_are_served(client) -> None:
    js = client.get("/static/app.js")
    css = client.get("/static/app.css")
    assert js.status_code == 200 and "Array.from(text)" in js.get_data(as_text=True)
    assert 'style: $("style").value' in js.get_data(as_text=True)  # the chosen style is sent
    assert 'payload.max_chars = Number($("max_chars").value)' in js.get_data(as_text=True)  # and the length
    assert css.status_code == 200 and "Noto Sans CJK KR" in css.get_data(as_text=True)
    assert "X-Request-ID" in js.headers


def test_page_has_its_own_icon(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
