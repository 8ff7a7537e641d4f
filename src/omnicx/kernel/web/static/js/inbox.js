// omnicx inbox: canned responses after "/", keyboard shortcuts, typing indicators. The pages work without it
// (a reply that is exactly "/shortcut" is expanded by the server; every action has a button).
(function () {
  "use strict";

  var TYPING_EVERY_MS = 2000; // at most one "agent typing" call per 2 s
  var TYPING_SHOWN_MS = 4000; // hide "visitor typing" this long after the last event

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn); else fn();
  }

  function csrf() { return document.body.getAttribute("data-csrf") || ""; }

  function typingInField(event) {
    var t = event.target;
    if (!t || !t.tagName) return false;
    var tag = t.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || t.isContentEditable;
  }

  // --- Canned responses: "/" then letters in the reply box lists matching shortcuts; Enter, Tab or click inserts.
  function cannedMenu(textarea) {
    var url = textarea.getAttribute("data-canned-url");
    if (!url) return;
    var items = null;
    var matches = [];
    var active = 0;
    var menu = document.createElement("ul");
    menu.id = "canned-menu";
    menu.className = "canned-menu card";
    menu.setAttribute("role", "listbox");
    menu.hidden = true;
    textarea.parentNode.insertBefore(menu, textarea.nextSibling);

    function load() {
      if (items !== null) return Promise.resolve(items);
      return fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (body) { items = body; return items; })
        .catch(function () { items = []; return items; });
    }

    function token() {
      var before = textarea.value.slice(0, textarea.selectionStart);
      var m = before.match(/(^|\s)\/([a-z0-9_-]*)$/);
      return m ? { start: before.length - m[2].length - 1, prefix: m[2] } : null;
    }

    function close() { menu.hidden = true; matches = []; }

    function render() {
      menu.innerHTML = "";
      matches.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("data-shortcut", item.shortcut);
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        var name = document.createElement("strong");
        name.textContent = "/" + item.shortcut;
        li.appendChild(name);
        li.appendChild(document.createTextNode(" " + item.content.slice(0, 80)));
        li.addEventListener("mousedown", function (event) { event.preventDefault(); insert(item); });
        menu.appendChild(li);
      });
      menu.hidden = matches.length === 0;
    }

    function insert(item) {
      var found = token();
      if (!found) return close();
      var end = textarea.selectionStart;
      textarea.value = textarea.value.slice(0, found.start) + item.content + textarea.value.slice(end);
      var caret = found.start + item.content.length;
      textarea.setSelectionRange(caret, caret);
      close();
      textarea.focus();
    }

    textarea.addEventListener("input", function () {
      var found = token();
      if (!found) return close();
      load().then(function (all) {
        matches = all.filter(function (i) { return i.shortcut.indexOf(found.prefix) === 0; }).slice(0, 8);
        active = 0;
        render();
      });
    });
    textarea.addEventListener("keydown", function (event) {
      if (menu.hidden || !matches.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        insert(matches[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    textarea.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  // --- Typing: the agent's keystrokes are announced (throttled); the visitor's are shown.
  function agentTyping(textarea) {
    var url = textarea.getAttribute("data-typing-url");
    if (!url) return;
    var last = 0;
    var privateBox = document.querySelector("#reply-form input[name=private]");
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - last < TYPING_EVERY_MS) return;
      last = now;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ private: !!(privateBox && privateBox.checked) })
      }).catch(function () { /* an indicator only */ });
    });
  }

  // The indicator sits under the page's htmx SSE connection (its hx-trigger is the typing topic): no extra stream.
  function visitorTyping(indicator) {
    var conversation = indicator.getAttribute("data-conversation");
    var timer = null;
    indicator.addEventListener("sse:" + indicator.getAttribute("data-topic"), function (event) {
      var payload = {};
      try { payload = JSON.parse(event.detail.data); } catch (e) { return; }
      var data = payload.data || {};
      if (data.conversation_id !== conversation || data.who !== "visitor") return;
      indicator.hidden = false;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { indicator.hidden = true; }, TYPING_SHOWN_MS);
    });
  }

  // --- Keyboard shortcuts (never while typing in a field). "?" shows the list.
  function shortcuts(page) {
    var help = document.getElementById("shortcut-help");
    var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("[data-conversation]")); };
    var current = -1;

    function select(index) {
      var all = rows();
      if (!all.length) return;
      current = Math.max(0, Math.min(all.length - 1, index));
      all.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
      all[current].setAttribute("tabindex", "-1");
      all[current].focus();
      all[current].scrollIntoView({ block: "nearest" });
    }

    function submitUpdate(field, value) {
      var form = document.getElementById("update-form");
      var input = form && form.querySelector("[name=" + field + "]");
      if (!input) return;
      input.value = value;
      form.submit();
    }

    function reply(note) {
      var box = document.querySelector("#reply-form input[name=private]");
      var text = document.getElementById("reply-text");
      if (!text) return;
      if (box) box.checked = note;
      text.focus();
    }

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event)) return;
      var key = event.key;
      if (key === "?") {
        if (help) help.hidden = !help.hidden;
      } else if (key === "Escape" && help && !help.hidden) {
        help.hidden = true;
      } else if (page === "inbox" && (key === "j" || key === "k")) {
        select(current + (key === "j" ? 1 : -1));
      } else if (page === "inbox" && (key === "Enter" || key === "o") && current >= 0) {
        var link = rows()[current].querySelector("a");
        if (link) window.location.href = link.href;
      } else if (page === "conversation" && key === "r") {
        reply(false);
      } else if (page === "conversation" && key === "n") {
        reply(true);
      } else if (page === "conversation" && key === "e") {
        submitUpdate("status", "resolved");
      } else if (page === "conversation" && key === "a") {
        var me = document.querySelector("[data-shortcuts]").getAttribute("data-me");
        if (me) submitUpdate("assignee", me);
        else return;
      } else if (page === "conversation" && (key === "j" || key === "k")) {
        var target = document.querySelector(key === "j" ? "[data-next-conversation]" : "[data-previous-conversation]");
        if (target) window.location.href = target.getAttribute("href");
        else return;
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  // What an SMS reply costs while the agent types, counted as omnicx/channels/sms/segments.py counts it: GSM-7
  // (160 per message, 153 per part; the extension table's characters count twice) unless a character is outside
  // GSM 03.38, then UCS-2 (70, 67 per part, in UTF-16 code units).
  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "^{}\\[~]|€\f";

  function smsCount(text) {
    var septets = 0, gsm = true;
    for (var ch of text) {
      if (GSM_EXTENSION.indexOf(ch) >= 0) septets += 2;
      else if (GSM_BASIC.indexOf(ch) >= 0) septets += 1;
      else { gsm = false; break; }
    }
    var units = gsm ? septets : text.length;  // a JS string's length is in UTF-16 code units
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    var parts = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: parts };
  }

  function smsSegments(output, textarea) {
    var template = output.getAttribute("data-template");
    function show() {
      var found = smsCount(textarea.value);
      output.textContent = template.replace("{units}", found.units).replace("{encoding}", found.encoding)
        .replace("{segments}", found.segments);
      output.setAttribute("data-segments", found.segments);
      output.setAttribute("data-encoding", found.encoding);
    }
    textarea.addEventListener("input", show);
    show();
  }

  onReady(function () {
    var page = document.querySelector("[data-shortcuts]");
    if (page) shortcuts(page.getAttribute("data-shortcuts"));
    var textarea = document.getElementById("reply-text");
    if (textarea) { cannedMenu(textarea); agentTyping(textarea); }
    var segments = document.querySelector("[data-sms-segments]");
    if (segments && textarea) smsSegments(segments, textarea);
    var indicator = document.getElementById("visitor-typing");
    if (indicator) visitorTyping(indicator);
  });
})();
