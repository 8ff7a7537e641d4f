/* omnicx web push on a site's pages. Load it with a source's write key:
 *   <script src="https://YOUR-OMNICX/channels/webpush/omnicx-push.js" data-write-key="WRITE_KEY" async></script>
 * and call, from a click (browsers ask the visitor only after a gesture):
 *   omnicxPush.subscribe()    // a promise of true once subscribed, false if refused or unsupported
 *   omnicxPush.unsubscribe()
 * Options: data-service-worker (default "/omnicx-sw.js", the site's file importing omnicx's handlers) and
 * data-open-url (the page a notification opens, default the site's root). The tracking anonymous id
 * (analytics.js's ajs_anonymous_id) is sent along, so notifications reach the visitor's device profile; the id of
 * a signed-in user (window.omnicxPushUser = {userId: "42"}) is sent as a claim only. A browser already subscribed
 * is sent again on each page load, which keeps omnicx's copy of its subscription current.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-write-key][src*='omnicx-push']");
  if (!script || window.omnicxPush) return;
  var base = new URL(script.src, window.location.href).origin + "/channels/webpush";
  var writeKey = script.getAttribute("data-write-key");
  var workerUrl = script.getAttribute("data-service-worker") || "/omnicx-sw.js";
  var openUrl = script.getAttribute("data-open-url") || null;

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }
  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function anonymousId() {
    var raw = stored("ajs_anonymous_id");
    if (raw) return raw.replace(/^"|"$/g, "");
    var match = document.cookie.match(/(?:^|; )ajs_anonymous_id=([^;]+)/);
    if (match) return decodeURIComponent(match[1]).replace(/^"|"$/g, "");
    var own = stored("omnicx_push_anonymous_id");
    if (!own) {
      own = "omx-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
      try { window.localStorage.setItem("omnicx_push_anonymous_id", own); } catch (e) { /* private mode */ }
    }
    return own;
  }
  function bytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function post(path, body) {
    // text/plain keeps the request "simple": no CORS preflight.
    return fetch(base + path, { method: "POST", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body) });
  }
  function publicKey() {
    return fetch(base + "/key?writeKey=" + encodeURIComponent(writeKey)).then(function (r) {
      if (!r.ok) throw new Error("omnicx push: " + r.status);
      return r.json();
    }).then(function (data) { return data.publicKey; });
  }
  function send(subscription) {
    var user = window.omnicxPushUser || {};
    return post("/subscriptions", {
      writeKey: writeKey, anonymousId: anonymousId(), userId: user.userId || null,
      subscription: subscription.toJSON(), url: openUrl
    }).then(function (r) { return r.ok; });
  }
  function registration() {
    return navigator.serviceWorker.register(workerUrl).then(function () { return navigator.serviceWorker.ready; });
  }
  function subscribe() {
    if (!supported()) return Promise.resolve(false);
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") return false;
      return Promise.all([registration(), publicKey()]).then(function (found) {
        var manager = found[0].pushManager;
        return manager.getSubscription().then(function (existing) {
          return existing || manager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(found[1]) });
        });
      }).then(send);
    });
  }
  function current() {
    return navigator.serviceWorker.getRegistration(workerUrl).then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    });
  }
  function unsubscribe() {
    if (!supported()) return Promise.resolve(false);
    return current().then(function (subscription) {
      if (!subscription) return true;
      return post("/unsubscribe", { writeKey: writeKey, endpoint: subscription.endpoint }).then(function () {
        return subscription.unsubscribe();
      });
    });
  }

  if (supported() && Notification.permission === "granted") {
    current().then(function (subscription) { if (subscription) send(subscription); }).catch(function () {});
  }
  window.omnicxPush = { subscribe: subscribe, unsubscribe: unsubscribe, supported: supported };
})();
