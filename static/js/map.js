// The report map: points from the GeoJSON export, with the same filters as the page.
// The page lists every report as text, so nothing is lost if this script or the tiles fail.
(function () {
  "use strict";

  function popup(properties) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.title;
    box.appendChild(link);
    var details = document.createElement("div");
    details.className = "small";
    details.textContent = [properties.reference, properties.site, properties.severity_label, properties.observed_on]
      .filter(Boolean).join(" · ");
    box.appendChild(details);
    return box;
  }

  function start() {
    var element = document.getElementById("report-map");
    if (!element || typeof L === "undefined") {
      return;
    }
    // Kazakhstan, until the points are known.
    var map = L.map(element).setView([48.0, 67.0], 5);
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 18,
      attribution: element.dataset.tileAttribution
    }).addTo(map);
    fetch(element.dataset.geojsonUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, { radius: 4 + 2 * feature.properties.severity });
          },
          onEachFeature: function (feature, marker) {
            marker.bindPopup(popup(feature.properties));
          }
        }).addTo(map);
        if (layer.getLayers().length) {
          map.fitBounds(layer.getBounds(), { maxZoom: 10, padding: [20, 20] });
        }
      })
      .catch(function () { /* the list below the map still shows every report */ });
  }

  document.addEventListener("DOMContentLoaded", start);
}());
