/* omnicx live chat widget. Embed with:
 *   <script src="https://YOUR-OMNICX/chat/widget.js" data-omnicx-chat="WIDGET_TOKEN" async></script>
 * and, on pages of a signed-in user, their identity signed by the site's server (identity verification):
 *   data-user-id="42" data-user-name="Alice" data-user-hash="HMAC-SHA256(inbox identity secret, '42') in hex"
 * (or `window.omnicxChatUser = {user_id, email, name, user_hash}` before sending, for single-page apps).
 * Hand-written, no dependencies. The visitor's id and signature live in localStorage, bound to the signed-in
 * user: another user (or none) on the same browser starts a conversation of their own. The tracking anonymous
 * id (analytics.js's ajs_anonymous_id) is sent along so the conversation joins the visitor's device profile.
 * What the visitor types (an email) is a claim: it never links them to the customer of that address.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-omnicx-chat]");
  if (!script || window.__omnicxChat) return;
  window.__omnicxChat = true;
  var token = script.getAttribute("data-omnicx-chat");
  var base = new URL(script.src, window.location.href).origin + "/chat/" + encodeURIComponent(token);
  var storeKey = "omnicx_chat_" + token;
  var state = { visitor: null, open: false, source: null, seen: {} };
  var T = {
    title: script.getAttribute("data-title") || "Chat with us",
    placeholder: script.getAttribute("data-placeholder") || "Write a message…",
    send: script.getAttribute("data-send") || "Send",
    close: script.getAttribute("data-close") || "Close",
    typing: script.getAttribute("data-typing") || "typing…",
    away: script.getAttribute("data-away") || "Nobody is online right now. Leave your email and we will reply there.",
    email: script.getAttribute("data-email") || "Your email",
    rate: script.getAttribute("data-rate") || "Rate this conversation",
    rated: script.getAttribute("data-rated") || "Thank you for your rating"
  };
  var TYPING_EVERY_MS = 2000;   // at most one "visitor typing" call per 2 s
  var TYPING_SHOWN_MS = 4000;   // hide the agent's typing indicator this long after their last keystroke

  function load() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }
  function save(value) {
    try { window.localStorage.setItem(storeKey, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function user() {
    var given = window.omnicxChatUser || {};
    function pick(key, attribute) { return given[key] || script.getAttribute(attribute) || null; }
    return {
      user_id: pick("user_id", "data-user-id"), email: pick("email", "data-user-email"),
      name: pick("name", "data-user-name"), user_hash: pick("user_hash", "data-user-hash")
    };
  }
  function identityKey() {
    var u = user();
    return u.user_hash ? (u.user_id || u.email || "") : "";
  }
  function anonymousId() {
    try {
      var raw = window.localStorage.getItem("ajs_anonymous_id");
      if (raw) return raw.replace(/^"|"$/g, "");
    } catch (e) { /* ignore */ }
    var match = document.cookie.match(/(?:^|; )ajs_anonymous_id=([^;]+)/);
    return match ? decodeURIComponent(match[1]).replace(/^"|"$/g, "") : null;
  }
  function post(path, body) {
    // text/plain keeps the request "simple": no CORS preflight.
    return fetch(base + path, { method: "POST", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) throw new Error("omnicx chat: " + r.status); return r.json(); });
  }
  function query() {
    return "?visitor=" + encodeURIComponent(state.visitor.visitor_id) + "&signature=" + encodeURIComponent(state.visitor.signature);
  }

  var css = [
    ".omx-chat{position:fixed;right:16px;bottom:16px;z-index:2147483000;font:15px/1.4 system-ui,sans-serif;color:#1f2330}",
    ".omx-chat button{font:inherit;cursor:pointer}",
    ".omx-launch{border:0;border-radius:999px;padding:12px 18px;background:#3b5bdb;color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.2)}",
    ".omx-panel{display:none;flex-direction:column;width:340px;height:460px;background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}",
    ".omx-chat.omx-open .omx-panel{display:flex}.omx-chat.omx-open .omx-launch{display:none}",
    ".omx-head{display:flex;justify-content:space-between;align-items:center;padding:10px 14px;background:#3b5bdb;color:#fff}",
    ".omx-head button{background:none;border:0;color:#fff;font-size:20px}",
    ".omx-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f5f6fa}",
    ".omx-msg{max-width:80%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".omx-visitor{align-self:flex-end;background:#3b5bdb;color:#fff}.omx-agent{align-self:flex-start;background:#fff;border:1px solid #dde1ea}",
    ".omx-form{display:flex;gap:6px;padding:8px;border-top:1px solid #dde1ea}",
    ".omx-form textarea{flex:1;resize:none;border:1px solid #dde1ea;border-radius:8px;padding:8px;font:inherit;min-height:40px}",
    ".omx-typing{min-height:1.4em;padding:0 12px;color:#6b7280;font-size:13px;background:#f5f6fa}",
    ".omx-away{display:none;flex-direction:column;gap:4px;padding:8px 12px;border-top:1px solid #dde1ea;font-size:13px}",
    ".omx-away input{border:1px solid #dde1ea;border-radius:8px;padding:6px 8px;font:inherit}",
    ".omx-chat.omx-offline .omx-away{display:flex}",
    ".omx-form button{border:0;border-radius:8px;background:#3b5bdb;color:#fff;padding:0 14px}",
    ".omx-csat{align-self:flex-start;display:flex;flex-direction:column;gap:4px;font-size:13px;color:#6b7280}",
    ".omx-stars{display:flex;gap:2px}.omx-stars button{background:none;border:0;font-size:24px;line-height:1;color:#c2c8d6;padding:0 2px}",
    ".omx-stars button.omx-on,.omx-stars button:hover{color:#f59f00}",
    "@media (max-width:480px){.omx-chat.omx-open{right:0;bottom:0;left:0;top:0}.omx-chat.omx-open .omx-panel{width:100%;height:100%;border-radius:0}}"
  ].join("");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    var style = el("style");
    style.textContent = css;
    document.head.appendChild(style);
    var root = el("div", "omx-chat");
    root.setAttribute("data-omnicx-chat-root", "");
    var launch = el("button", "omx-launch", T.title);
    launch.type = "button";
    var panel = el("div", "omx-panel");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", T.title);
    var head = el("div", "omx-head");
    head.appendChild(el("strong", "", T.title));
    var close = el("button", "", "×");
    close.type = "button";
    close.setAttribute("aria-label", T.close);
    head.appendChild(close);
    var log = el("div", "omx-log");
    log.setAttribute("aria-live", "polite");
    var typingLine = el("div", "omx-typing");
    typingLine.setAttribute("data-omnicx-typing", "");
    typingLine.setAttribute("aria-live", "polite");
    var away = el("div", "omx-away");
    away.appendChild(el("span", "", T.away));
    var emailInput = el("input");
    emailInput.type = "email";
    emailInput.placeholder = T.email;
    emailInput.setAttribute("aria-label", T.email);
    emailInput.setAttribute("data-omnicx-email", "");
    away.appendChild(emailInput);
    var form = el("form", "omx-form");
    var input = el("textarea");
    input.placeholder = T.placeholder;
    input.setAttribute("aria-label", T.placeholder);
    var send = el("button", "", T.send);
    send.type = "submit";
    form.appendChild(input);
    form.appendChild(send);
    panel.appendChild(head);
    panel.appendChild(log);
    panel.appendChild(typingLine);
    panel.appendChild(away);
    panel.appendChild(form);
    root.appendChild(launch);
    root.appendChild(panel);
    document.body.appendChild(root);

    launch.addEventListener("click", function () { root.classList.add("omx-open"); input.focus(); refresh(); checkOnline(); });
    var lastTyping = 0;
    var typingTimer = null;
    input.addEventListener("input", function () {
      var now = Date.now();
      if (!state.visitor || now - lastTyping < TYPING_EVERY_MS) return;
      lastTyping = now;
      post("/typing", { visitor_id: state.visitor.visitor_id, signature: state.visitor.signature }).catch(function () {});
    });
    close.addEventListener("click", function () { root.classList.remove("omx-open"); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit ? form.requestSubmit() : submit(event); }
    });
    form.addEventListener("submit", submit);

    function show(message) {
      if (state.seen[message.id]) return;
      state.seen[message.id] = true;
      var bubble = el("div", "omx-msg " + (message.from === "visitor" ? "omx-visitor" : "omx-agent"), message.text);
      bubble.setAttribute("data-from", message.from);
      log.appendChild(bubble);
      if (message.csat) log.appendChild(stars(message.csat));
      log.scrollTop = log.scrollHeight;
    }

    // A satisfaction question: five stars under its message, until the visitor picks one (answered once).
    function stars(csat) {
      var box = el("div", "omx-csat");
      box.setAttribute("data-omnicx-csat", csat.survey_id);
      var label = el("span", "", csat.rating ? T.rated : T.rate);
      var row = el("div", "omx-stars");
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", T.rate);
      for (var value = 1; value <= csat.scale; value++) {
        var star = el("button", csat.rating && value <= csat.rating ? "omx-on" : "", "★");
        star.type = "button";
        star.value = String(value);
        star.setAttribute("aria-label", value + " / " + csat.scale);
        star.disabled = !!csat.rating;
        star.addEventListener("click", function (event) { rate(csat, Number(event.currentTarget.value), box); });
        row.appendChild(star);
      }
      box.appendChild(label);
      box.appendChild(row);
      return box;
    }

    function rate(csat, value, box) {
      post("/csat", {
        visitor_id: state.visitor.visitor_id, signature: state.visitor.signature,
        survey_id: csat.survey_id, rating: value
      }).then(function () {
        box.replaceWith(stars({ survey_id: csat.survey_id, scale: csat.scale, rating: value }));
      }).catch(function () { /* refused (already rated) or offline: the stars stay as they were */ });
    }

    function refresh() {
      if (!state.visitor) return Promise.resolve();
      return fetch(base + "/messages" + query())
        .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
        .then(function (body) {
          body.messages.forEach(show);
          if (body.messages.length) listen();
        })
        .catch(function () { /* offline: the next event or send retries */ });
    }

    function listen() {
      if (state.source || !window.EventSource) return;
      state.source = new EventSource(base + "/stream" + query());
      state.source.addEventListener("reply", function () { typingLine.textContent = ""; refresh(); });
      state.source.addEventListener("typing", function (event) {
        var label = "";
        try { label = JSON.parse(event.data).label || ""; } catch (e) { /* ignore */ }
        typingLine.textContent = (label ? label + " " : "") + T.typing;
        window.clearTimeout(typingTimer);
        typingTimer = window.setTimeout(function () { typingLine.textContent = ""; }, TYPING_SHOWN_MS);
      });
    }

    // When no agent of the inbox is online, ask for an email so the reply can go there.
    function checkOnline() {
      fetch(base + "/status")
        .then(function (r) { return r.ok ? r.json() : { online: true }; })
        .then(function (body) { root.classList.toggle("omx-offline", !body.online); })
        .catch(function () { /* keep the chat as it is */ });
    }

    function ensureVisitor() {
      if (state.visitor) return Promise.resolve(state.visitor);
      return post("/session", { anonymous_id: anonymousId() }).then(function (visitor) {
        visitor.identity = identityKey();
        state.visitor = visitor;
        save(visitor);
        return visitor;
      });
    }

    // The signed-in user changed (or signed out) since this visitor started: start afresh, so nobody reads the
    // conversation of whoever used this browser before.
    function forgetOtherUser() {
      if (!state.visitor || (state.visitor.identity || "") === identityKey()) return;
      state.visitor = null;
      save(null);
      if (state.source) { state.source.close(); state.source = null; }
      state.seen = {};
      log.textContent = "";
    }

    function submit(event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      var clientId = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
      forgetOtherUser();
      ensureVisitor()
        .then(function (visitor) {
          var u = user();
          return post("/messages", {
            visitor_id: visitor.visitor_id, signature: visitor.signature, text: text,
            client_id: clientId, anonymous_id: anonymousId(),
            email: (u.user_hash && u.email) || emailInput.value.trim() || u.email || null,
            name: u.name || "", user_id: u.user_id, user_hash: u.user_hash
          });
        })
        .then(function () { return refresh(); })
        .then(listen)
        .catch(function () { input.value = text; });
    }

    state.visitor = load();
    forgetOtherUser();
    if (state.visitor) refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build); else build();
})();
