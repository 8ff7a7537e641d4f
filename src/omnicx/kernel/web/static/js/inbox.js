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

  // --- The workspace: a row of the list loads the conversation into #conversation-pane (htmx, URL pushed); the
  // open conversation's row stays marked through the list's live refreshes; a row whose conversation just got a
  // message flashes once it is back in the list.
  var PANE = "conversation-pane";
  var lastChanged = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#conversation-list li[data-conversation]"));
  }

  function openId() {
    var open = document.querySelector("[data-open-conversation]");
    return open ? open.getAttribute("data-open-conversation") : null;
  }

  function markOpen() {
    var id = openId();
    rows().forEach(function (row) {
      var here = row.getAttribute("data-conversation") === id;
      if (here) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    });
  }

  function flashChanged() {
    if (!lastChanged) return;
    var row = document.querySelector('#conversation-list li[data-conversation="' + lastChanged + '"]');
    lastChanged = null;
    if (!row) return;
    row.classList.remove("just-updated");
    void row.offsetWidth;  // restart the animation
    row.classList.add("just-updated");
  }

  function scrollThreadToEnd(root) {
    var scroller = (root || document).querySelector("[data-thread-scroll]");
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }

  function customerToggle(event) {
    var button = event.target.closest && event.target.closest("[data-customer-toggle]");
    if (!button) return;
    var layout = button.closest(".conversation-layout");
    if (!layout) return;
    var open = !layout.hasAttribute("data-customer-open");
    if (open) layout.setAttribute("data-customer-open", ""); else layout.removeAttribute("data-customer-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function workspace() {
    document.addEventListener("click", customerToggle);
    document.body.addEventListener("htmx:sseMessage", function (event) {
      if (!event.target || event.target.id !== "conversation-list") return;
      try { lastChanged = (JSON.parse(event.detail.data).data || {}).conversation_id || null; } catch (e) { lastChanged = null; }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var target = event.detail && event.detail.target;
      if (!target) return;
      if (target.id === "conversation-list") { markOpen(); flashChanged(); }
      if (target.id === PANE) {
        markOpen();
        var layout = target.querySelector("[data-title]");
        if (layout) document.title = layout.getAttribute("data-title");
        scrollThreadToEnd(target);
      }
      if (target.id === "thread") {
        var scroller = target.closest("[data-thread-scroll]");
        // Follow new messages only when the agent was reading the end of the thread.
        if (scroller && scroller.getAttribute("data-at-end") !== "false") scroller.scrollTop = scroller.scrollHeight;
      }
    });
    document.body.addEventListener("scroll", function (event) {
      var el = event.target;
      if (el && el.hasAttribute && el.hasAttribute("data-thread-scroll")) {
        el.setAttribute("data-at-end", el.scrollHeight - el.scrollTop - el.clientHeight < 40 ? "true" : "false");
      }
    }, true);
    markOpen();
    scrollThreadToEnd(document);
  }

  // Open a conversation of the list: in the workspace's pane when htmx is there, else as a page.
  function openRow(row) {
    var link = row && row.querySelector("a");
    if (!link) return false;
    if (window.htmx && document.getElementById(PANE)) link.click(); else window.location.href = link.href;
    return true;
  }

  // --- Keyboard shortcuts (never while typing in a field). "?" shows the list. j/k move through the list (and,
  // while a conversation is open, open the next or previous one); Enter or o opens the selected row; r, n, e
  // and a act on the open conversation.
  function shortcuts() {
    var help = document.getElementById("shortcut-help");
    var current = -1;

    function select(index) {
      var all = rows();
      if (!all.length) return null;
      current = Math.max(0, Math.min(all.length - 1, index));
      all.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
      all[current].setAttribute("tabindex", "-1");
      all[current].focus({ preventScroll: true });
      all[current].scrollIntoView({ block: "nearest" });
      return all[current];
    }

    function step(delta) {
      var all = rows();
      var id = openId();
      if (id) {
        var at = -1;
        all.forEach(function (row, i) { if (row.getAttribute("data-conversation") === id) at = i; });
        current = at;
      }
      if (current < 0 && id) {
        // The open conversation is not in this list: follow the page's own previous/next link.
        var target = document.querySelector(delta > 0 ? "[data-next-conversation]" : "[data-previous-conversation]");
        if (target) { window.location.href = target.getAttribute("href"); return true; }
        return false;
      }
      var row = select(current < 0 ? 0 : current + delta);
      if (row && id && row.getAttribute("data-conversation") !== id) openRow(row);
      return row !== null;
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
      var open = openId() !== null;
      if (key === "?") {
        if (help) help.hidden = !help.hidden;
      } else if (key === "Escape" && help && !help.hidden) {
        help.hidden = true;
      } else if (key === "Escape" && document.querySelector(".conversation-layout[data-customer-open]")) {
        document.querySelector(".conversation-layout[data-customer-open] [data-customer-toggle]").click();
      } else if (key === "j" || key === "k") {
        if (!step(key === "j" ? 1 : -1)) return;
      } else if ((key === "Enter" || key === "o") && current >= 0 && rows()[current]) {
        if (event.target && event.target.closest && event.target.closest("a, button")) return;
        openRow(rows()[current]);
      } else if (open && key === "r") {
        reply(false);
      } else if (open && key === "n") {
        reply(true);
      } else if (open && key === "e") {
        submitUpdate("status", "resolved");
      } else if (open && key === "a") {
        var me = document.querySelector("[data-open-conversation]").getAttribute("data-me");
        if (me) submitUpdate("assignee", me);
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

  // The open conversation's reply box and typing indicator, on the page and each time htmx loads one.
  function conversation(root) {
    var textarea = root.querySelector("#reply-text");
    if (textarea && !textarea.hasAttribute("data-ready")) {
      textarea.setAttribute("data-ready", "");
      cannedMenu(textarea);
      agentTyping(textarea);
      var segments = root.querySelector("[data-sms-segments]");
      if (segments) smsSegments(segments, textarea);
    }
    var indicator = root.querySelector("#visitor-typing");
    if (indicator && !indicator.hasAttribute("data-ready")) {
      indicator.setAttribute("data-ready", "");
      visitorTyping(indicator);
    }
  }

  onReady(function () {
    if (!document.querySelector("[data-shortcuts]")) return;
    shortcuts();
    workspace();
    conversation(document);
    document.body.addEventListener("htmx:load", function (event) {
      if (event.target && event.target.querySelector) conversation(event.target);
    });
  });
})();
