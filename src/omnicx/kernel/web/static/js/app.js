// omnicx: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  function onReady(fn) {
    // Deferred scripts (vega, htmx) finish before DOMContentLoaded, which fires after readyState "interactive".
    if (document.readyState === "complete") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Selects marked data-autosubmit submit their form when changed (role pickers, workspace switcher).
  function autosubmit(root) {
    root.querySelectorAll("select[data-autosubmit], input[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // Forms marked data-confirm ask before destructive actions.
  function confirmForms(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  // Copy buttons (data-copy-target: the id of the element whose text they copy) are shown only with this file,
  // which gives them their click: the CSP forbids inline handlers. The button says data-copied for a moment.
  function copyButtons(root) {
    root.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      if (!target) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = target.textContent;
        var done = function () {
          button.textContent = button.getAttribute("data-copied") || label;
          button.setAttribute("data-copy-state", "copied");
          window.setTimeout(function () { button.textContent = label; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(target); });
        } else {
          selectText(target);  // over plain HTTP: selected, for Ctrl+C
          try { if (document.execCommand("copy")) done(); } catch (e) { /* left selected */ }
        }
      });
    });
  }

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Language links on the sign-in page remember the choice in a cookie.
  function languageLinks(root) {
    root.querySelectorAll("[data-set-lang]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        document.cookie = "omnicx_lang=" + link.getAttribute("data-set-lang") + "; path=/; max-age=31536000; samesite=lax";
        window.location.reload();
      });
    });
  }

  // Clock times as the rest of the page writes them: in the zone the card names (data-time-zone, the
  // workspace's), in the page's language (data-locale) with its clock (data-hour-cycle, h12 or h23, and
  // data-hour, padded or not: what Babel writes on the server); not the browser's own zone, language and clock.
  function timeFormat(card) {
    var options = { hour: card.getAttribute("data-hour") || "numeric", minute: "2-digit", second: "2-digit" };
    var zone = card.getAttribute("data-time-zone");
    var cycle = card.getAttribute("data-hour-cycle");
    if (zone) options.timeZone = zone;
    if (cycle) options.hourCycle = cycle;
    var locale = card.getAttribute("data-locale") || document.documentElement.lang || undefined;
    try { return new Intl.DateTimeFormat(locale, options); } catch (e) { return new Intl.DateTimeFormat(locale); }
  }

  // A live activity feed: subscribes to the workspace's server-sent events (the topics listed in
  // data-sse-topics) and lists the newest first. An event of the resync topic (data-sse-resync) means some
  // were missed: the card says so.
  function liveFeeds(root) {
    root.querySelectorAll("[data-sse-feed]").forEach(function (card) {
      var list = card.querySelector("[data-live-feed]");
      if (!list || !window.EventSource) return;
      var clock = timeFormat(card);
      var source = new EventSource(card.getAttribute("data-sse-feed"));
      source.addEventListener("error", function () { card.setAttribute("data-sse-state", "reconnecting"); });
      source.addEventListener("open", function () { card.setAttribute("data-sse-state", "open"); });
      var handler = function (event) {
        var payload = {};
        try { payload = JSON.parse(event.data); } catch (e) { return; }
        var empty = list.querySelector("[data-empty]");
        if (empty) empty.remove();
        var item = document.createElement("li");
        var time = document.createElement("time");
        var when = payload.at ? new Date(payload.at) : new Date();
        if (isNaN(when.getTime())) when = new Date();
        time.dateTime = when.toISOString();
        time.textContent = clock.format(when);
        item.appendChild(time);
        var data = payload.data || {};
        var text = document.createTextNode(data.summary || payload.topic || event.type);
        // Same-site paths only: a feed item links to the page that explains it.
        if (typeof data.url === "string" && data.url.charAt(0) === "/" && data.url.charAt(1) !== "/") {
          var link = document.createElement("a");
          link.href = data.url;
          link.appendChild(text);
          item.appendChild(link);
        } else {
          item.appendChild(text);
        }
        list.insertBefore(item, list.firstChild);
        while (list.children.length > 50) list.removeChild(list.lastChild);
      };
      (card.getAttribute("data-sse-topics") || "").split(",").forEach(function (topic) {
        if (topic.trim()) source.addEventListener(topic.trim(), handler);
      });
      var resync = card.getAttribute("data-sse-resync");
      if (resync) source.addEventListener(resync, function () { card.setAttribute("data-sse-state", "resync"); });
      window.addEventListener("beforeunload", function () { source.close(); });
    });
  }

  // How the page's language writes numbers and dates, as d3 locales (the server builds them from Babel's data:
  // kernel/i18n/formats.py `chart_locale`), so axes read "janv." and "1 234,5" on a French page.
  function chartLocale() {
    try { return JSON.parse(document.body.getAttribute("data-chart-locale") || "{}"); } catch (e) { return {}; }
  }

  // Charts: elements carrying a Vega-Lite spec are drawn with vega-embed (the bundle ./setup builds into
  // /static/vendor/charts.js). Expressions are interpreted, never compiled with eval: the CSP forbids it.
  function charts(root) {
    var locale = chartLocale();
    root.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      if (!window.vegaEmbed) return;
      var spec;
      try { spec = JSON.parse(el.getAttribute("data-vega-spec")); } catch (e) { return; }
      var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
      // aria: false: the chart's container is the image and names it in the page's language; Vega's own
      // descriptions of axes, legends and marks are English sentences.
      var options = { actions: false, renderer: "svg", theme: dark ? "dark" : undefined, config: { aria: false },
                      ast: true, expr: window.vegaExpressionInterpreter,
                      formatLocale: locale.number, timeFormatLocale: locale.time };
      window.vegaEmbed(el, spec, options)
        .then(function () { el.setAttribute("data-rendered", "true"); })
        .catch(function (error) { el.textContent = String(error); });
    });
  }

  onReady(function () {
    charts(document);
    autosubmit(document);
    confirmForms(document);
    copyButtons(document);
    languageLinks(document);
    liveFeeds(document);
  });
})();
