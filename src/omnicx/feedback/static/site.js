/* omnicx site surveys. Add beside the tracking snippet (analytics.js or RudderStack), with the same write key:
 *   <script src="https://YOUR-OMNICX/feedback/site/survey.js" data-omnicx-survey="WRITE_KEY" async></script>
 * Optional: data-delay="8" (seconds on the page before asking; default 5).
 * Once per browsing session it asks omnicx whether this visitor has a survey to answer (the surveys turned on
 * for the site, at most one per visitor within each survey's throttle) and shows it in a small card: the score
 * buttons, an optional comment, "Not now". Hand-written, no dependencies. The visitor is the device analytics.js
 * already identifies (its anonymous id); nothing else about them is sent.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-omnicx-survey]");
  if (!script || window.__omnicxSurvey) return;
  window.__omnicxSurvey = true;
  var key = script.getAttribute("data-omnicx-survey");
  var base = new URL(script.src, window.location.href).origin + "/feedback/site/" + encodeURIComponent(key);
  var delay = parseFloat(script.getAttribute("data-delay") || "5") * 1000;
  var askedKey = "omnicx_survey_asked_" + key;
  var TRIES = 5;          // analytics.js may set the anonymous id after this script runs
  var TRY_EVERY_MS = 2000;

  function asked() {
    try { return window.sessionStorage.getItem(askedKey) === "1"; } catch (e) { return false; }
  }
  function markAsked() {
    try { window.sessionStorage.setItem(askedKey, "1"); } catch (e) { /* private mode */ }
  }
  function anonymousId() {
    try {
      if (window.analytics && typeof window.analytics.user === "function") {
        var id = window.analytics.user().anonymousId();
        if (id) return id;
      }
      var raw = window.localStorage.getItem("ajs_anonymous_id");
      if (raw) return raw.replace(/^"|"$/g, "");
    } catch (e) { /* ignore */ }
    var match = document.cookie.match(/(?:^|; )ajs_anonymous_id=([^;]+)/);
    return match ? decodeURIComponent(match[1]).replace(/^"|"$/g, "") : null;
  }
  function post(path, body) {
    // text/plain keeps the request "simple": no CORS preflight.
    return fetch(base + path, { method: "POST", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body) });
  }

  var css = [
    ".omx-survey{position:fixed;left:16px;bottom:16px;z-index:2147483000;width:min(380px,calc(100vw - 32px));background:#fff;color:#1f2330;",
    "border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);padding:16px;font:15px/1.4 system-ui,sans-serif}",
    ".omx-survey button{font:inherit;cursor:pointer}",
    ".omx-survey p{margin:0 24px 12px 0}",
    ".omx-close{position:absolute;top:8px;right:10px;border:0;background:none;font-size:20px;color:#5c6370}",
    ".omx-scores{display:flex;gap:4px}",
    ".omx-scores button{flex:1;min-width:0;padding:8px 0;border:1px solid #c9cfdb;border-radius:6px;background:#f5f6fa}",
    ".omx-scores button[aria-pressed=true]{background:#3b5bdb;border-color:#3b5bdb;color:#fff}",
    ".omx-ends{display:flex;justify-content:space-between;font-size:12px;color:#5c6370;margin:4px 0 10px}",
    ".omx-survey textarea{box-sizing:border-box;width:100%;min-height:60px;border:1px solid #c9cfdb;border-radius:6px;padding:6px;font:inherit}",
    ".omx-actions{display:flex;justify-content:flex-end;gap:8px;margin-top:8px}",
    ".omx-send{border:0;border-radius:6px;padding:8px 16px;background:#3b5bdb;color:#fff}",
    ".omx-send:disabled{opacity:.5;cursor:default}",
    ".omx-later{border:0;background:none;color:#5c6370}"
  ].join("");

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function show(survey) {
    var style = element("style");
    style.textContent = css;
    document.head.appendChild(style);
    var card = element("div", { "class": "omx-survey", role: "dialog", "aria-label": survey.question, lang: survey.language });
    var close = element("button", { "class": "omx-close", type: "button", "aria-label": survey.dismiss }, "×");
    var question = element("p", {}, survey.question);
    var scores = element("div", { "class": "omx-scores", role: "group", "aria-label": survey.question });
    var ends = element("div", { "class": "omx-ends" });
    ends.appendChild(element("span", {}, survey.low_label));
    ends.appendChild(element("span", {}, survey.high_label));
    var comment = element("textarea", { "aria-label": survey.comment_prompt, placeholder: survey.comment_prompt, maxlength: "2000" });
    var actions = element("div", { "class": "omx-actions" });
    var later = element("button", { "class": "omx-later", type: "button" }, survey.dismiss);
    var send = element("button", { "class": "omx-send", type: "button", disabled: "" }, survey.send);
    var chosen = null;
    for (var n = survey.low; n <= survey.high; n++) {
      (function (score) {
        var button = element("button", { type: "button", "aria-pressed": "false", "data-score": String(score) }, String(score));
        button.addEventListener("click", function () {
          chosen = score;
          Array.prototype.forEach.call(scores.children, function (b) { b.setAttribute("aria-pressed", String(b === button)); });
          send.removeAttribute("disabled");
        });
        scores.appendChild(button);
      })(n);
    }
    function remove() { if (card.parentNode) card.parentNode.removeChild(card); }
    close.addEventListener("click", remove);
    later.addEventListener("click", remove);
    send.addEventListener("click", function () {
      if (chosen === null) return;
      send.setAttribute("disabled", "");
      post("/answer", { token: survey.token, score: chosen, comment: comment.value })
        .then(function (response) {
          if (!response.ok && response.status !== 409) throw new Error("omnicx survey: " + response.status);
          card.textContent = "";
          card.appendChild(element("p", { role: "status" }, survey.thanks));
          window.setTimeout(remove, 4000);
        })
        .catch(function () { send.removeAttribute("disabled"); });
    });
    actions.appendChild(later);
    actions.appendChild(send);
    [close, question, scores, ends, comment, actions].forEach(function (node) { card.appendChild(node); });
    document.body.appendChild(card);
  }

  function ask(tries) {
    var id = anonymousId();
    if (!id) {
      if (tries > 1) window.setTimeout(function () { ask(tries - 1); }, TRY_EVERY_MS);
      return;
    }
    var language = document.documentElement.lang || navigator.language || "";
    post("/ask", { anonymous_id: id, language: language })
      .then(function (response) {
        if (response.status === 204 || response.ok) markAsked();
        return response.status === 200 ? response.json() : null;
      })
      .then(function (survey) { if (survey) show(survey); })
      .catch(function () { /* no survey this time */ });
  }

  if (!key || asked()) return;
  window.setTimeout(function () { ask(TRIES); }, delay);
})();
