/* The map page's "E-mail alerts for this area" link follows the map's view, so the subscribe form
   opens with the box the visitor is looking at. Without JavaScript the link carries the box the map
   opens on, and the form's four edges can be typed. Loaded after Leaflet and before map.js: an init
   hook sees the map that map.js creates, without map.js knowing about alerts. */
(function () {
  "use strict";

  var link = document.getElementById("alerts-for-area");
  if (!link || typeof L === "undefined") { return; }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function follow(map) {
    var bounds = map.getBounds();
    var box = [
      clamp(bounds.getWest(), -180, 180), clamp(bounds.getSouth(), -90, 90),
      clamp(bounds.getEast(), -180, 180), clamp(bounds.getNorth(), -90, 90)
    ].map(function (value) { return value.toFixed(4); });
    var url = new URL(link.href, document.baseURI);
    url.searchParams.set("scope", "area");
    url.searchParams.set("bbox", box.join(","));
    link.href = url.pathname + url.search;
  }

  L.Map.addInitHook(function () {
    var map = this;
    map.whenReady(function () { follow(map); });
    map.on("moveend", function () { follow(map); });
  });
}());
