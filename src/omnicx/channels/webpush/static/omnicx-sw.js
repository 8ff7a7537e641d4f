/* omnicx web push: the service worker's handlers. A service worker must come from the site's own origin, so the
 * site serves a file /omnicx-sw.js at its root holding one line:
 *   importScripts("https://YOUR-OMNICX/channels/webpush/omnicx-sw.js");
 * Each push carries JSON {title, body, url, tag} (the browser decrypts it); a click on the notification focuses
 * a tab already showing `url` or opens it. A notification replaces an earlier one with the same tag.
 */
(function () {
  "use strict";

  function payload(event) {
    if (!event.data) return {};
    try { return event.data.json(); } catch (e) { return { body: event.data.text() }; }
  }

  self.addEventListener("push", function (event) {
    var data = payload(event);
    var options = { body: data.body || "", data: { url: data.url || "/" } };
    if (data.tag) { options.tag = data.tag; options.renotify = true; }
    event.waitUntil(self.registration.showNotification(data.title || "", options));
  });

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    var wanted = (event.notification.data && event.notification.data.url) || "/";
    var target = new URL(wanted, self.location.origin).href;
    event.waitUntil(
      self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
        for (var i = 0; i < windows.length; i++) {
          if (windows[i].url === target && "focus" in windows[i]) return windows[i].focus();
        }
        return self.clients.openWindow ? self.clients.openWindow(target) : undefined;
      })
    );
  });
})();
