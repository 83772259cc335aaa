"use strict";
// The try-it page: POST /v1/summarize, list the bullets, highlight each bullet's source sentences.
// Offsets from the API count Unicode code points (Python str indices); JavaScript strings count
// UTF-16 units, so the article is handled as an array of code points.
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("form"), button = $("submit"), progress = $("progress");
  const errorBox = $("error"), result = $("result"), list = $("bullets"), meta = $("meta"), article = $("article");
  const pageTitle = $("page_title"), articleHeading = $("article_heading");
  let busy = false;

  // HTML source: it starts like a document, or it is full of tags a pasted page never shows.
  function looksLikeHtml(value) {
    if (/^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body|\?xml)\b/i.test(value)) return true;
    const tags = value.match(/<\/?(?:p|div|span|a|article|section|br|li|ul|h[1-6]|img|script|meta|table)\b[^>]*>/gi);
    return !!tags && tags.length >= 5;
  }

  const HINTS = {
    model_unavailable: "This server has no model for that. Choose “Same as the article” for the bullet language, or ask the operator to configure one.",
    validation_error: "Check the fields above.",
    unsupported_language: "Choose the article language (Korean or English) instead of “Detect”.",
    payload_too_large: "The article or page is too large for this server; send a shorter text or a smaller page.",
    unprocessable_text: "No article sentences were found: only page chrome (menus, bylines, captions, prompts), or a page without an article.",
    overloaded: "The server is busy; try again in a moment.",
    not_ready: "The server is still starting; try again in a moment.",
    rate_limited: "Too many requests; wait a little and try again.",
    deadline_exceeded: "The article took too long; try a shorter text.",
  };

  function showError(message, hint) {
    errorBox.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = "Could not summarize: ";
    errorBox.append(strong, document.createTextNode(message));
    if (hint) {
      const p = document.createElement("p");
      p.textContent = hint;
      errorBox.append(p);
    }
    errorBox.hidden = false;
  }

  function setBusy(on) {
    busy = on;
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    progress.hidden = !on;
  }

  function renderArticle(text, bullets) {
    const cps = Array.from(text);
    const spans = new Map();  // "start:end" -> {start, end, owners: [bullet indexes]}
    bullets.forEach((b, i) => b.sources.forEach((s) => {
      const key = s.start + ":" + s.end;
      if (!spans.has(key)) spans.set(key, { start: s.start, end: s.end, owners: [] });
      spans.get(key).owners.push(i);
    }));
    const ordered = [...spans.values()].sort((a, b) => a.start - b.start);
    article.textContent = "";
    let at = 0;
    for (const span of ordered) {
      if (span.start < at) continue;  // overlapping spans: keep the first
      article.append(document.createTextNode(cps.slice(at, span.start).join("")));
      const mark = document.createElement("mark");
      mark.textContent = cps.slice(span.start, span.end).join("");
      mark.dataset.owners = span.owners.join(" ");
      article.append(mark);
      at = span.end;
    }
    article.append(document.createTextNode(cps.slice(at).join("")));
  }

  function activate(index, scroll) {
    list.querySelectorAll("li").forEach((li) => li.classList.toggle("active", Number(li.dataset.index) === index));
    let first = null;
    article.querySelectorAll("mark").forEach((m) => {
      const on = m.dataset.owners.split(" ").map(Number).includes(index);
      m.classList.toggle("active", on);
      if (on && !first) first = m;
    });
    if (scroll && first) first.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function render(text, body, kind) {
    list.textContent = "";
    body.bullets.forEach((b, i) => {
      const li = document.createElement("li");
      li.textContent = b.text;
      li.tabIndex = 0;
      li.dataset.index = String(i);
      li.lang = body.target_lang;
      li.setAttribute("aria-label", b.text + " (source: sentence" + (b.sources.length > 1 ? "s" : "") + " highlighted in the article)");
      li.addEventListener("mouseenter", () => activate(i, false));
      li.addEventListener("focus", () => activate(i, false));
      li.addEventListener("click", () => activate(i, true));
      li.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); activate(i, true); }
      });
      list.append(li);
    });
    // for html the sources point into the extracted article text the response carries
    renderArticle(body.text !== undefined ? body.text : text, body.bullets);
    article.lang = body.source_lang;
    articleHeading.textContent = kind === "html" ? "Article text extracted from the HTML" : "Article";
    pageTitle.hidden = !body.title;
    pageTitle.textContent = body.title ? "Title: " + body.title : "";
    const total = Object.values(body.timings_ms).reduce((a, b) => a + b, 0);
    const models = Object.entries(body.models).map(([task, id]) => task + ": " + id).join(", ");
    const detected = body.detected ? " (detected, confidence " + body.detected.confidence + ")" : "";
    meta.textContent = body.source_lang + detected + " → " + body.target_lang + " · method: " + body.method +
      " · style: " + body.style + " · length: " + body.max_chars + " · models: " + (models || "none") + " · input: " + (kind === "html" ? "HTML" : "text") + " · " +
      total.toFixed(0) + " ms" + (body.cached ? " (cached)" : "");
    result.hidden = false;
    // on a phone the form fills the screen: bring the bullets into view (no animation for readers
    // who asked for reduced motion)
    const still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    result.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;  // no double submission
    errorBox.hidden = true;
    const text = $("text").value;
    const choice = $("input_kind").value;
    const kind = choice === "auto" ? (looksLikeHtml(text) ? "html" : "text") : choice;
    const payload = {
      source_lang: $("source_lang").value, max_bullets: Number($("max_bullets").value), style: $("style").value,
    };
    payload[kind] = text;
    if ($("target_lang").value) payload.target_lang = $("target_lang").value;
    if ($("max_chars").value) payload.max_chars = Number($("max_chars").value);
    setBusy(true);
    let resp;
    try {
      resp = await fetch("/v1/summarize", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
      });
    } catch (e) {
      showError("the server could not be reached. Check your connection and try again.");
      setBusy(false);
      return;
    }
    try {
      let body = null;
      try { body = await resp.json(); } catch (e) { body = null; }
      if (!resp.ok) {
        const err = body && body.error;
        if (err) {
          const ref = body.request_id ? " (reference " + body.request_id + ")" : "";
          showError(err.message + ref, HINTS[err.code]);
        } else {
          showError("the server answered " + resp.status + " " + resp.statusText + ".");
        }
        result.hidden = true;
        return;
      }
      render(text, body, kind);
    } catch (e) {
      showError("the page could not show the answer (" + e + ").");
      console.error(e);
    } finally {
      setBusy(false);
    }
  });
})();
