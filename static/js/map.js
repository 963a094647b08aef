// The map of plants and published reports (the map page, the home page, each project page).
//
// Beneath: Kazakhstan's outline and main towns from the site's own static files, so the map means
// something with no tile server (the default: no request ever leaves the site). Configured tiles
// are drawn above that base layer. On top: the catalogue's plants, read from the page's own plant
// list, and the published reports, clustered by the server for the view shown
// (/map/points.json?zoom=&bbox=, with the page's filters). Everything the map shows is also on the
// page as text, so nothing is lost if this script, the data or the tiles fail.
(function () {
  "use strict";

  var KAZAKHSTAN = [[40.5, 46.5], [55.5, 87.5]];
  var BASE_PANE = "kzcnBase";
  var LABEL_PANE = "kzcnBaseLabels";
  // Every town is labelled from this zoom; below it only the largest are.
  var ALL_TOWN_LABELS_ZOOM = 6;
  var LARGE_TOWN = 300000;

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status + " " + url); }
        return response.json();
      });
  }

  function link(href, text) {
    var anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = text;
    return anchor;
  }

  function line(text) {
    var details = document.createElement("div");
    details.className = "small";
    details.textContent = text;
    return details;
  }

  function basePanes(map) {
    // Below the tile pane (200): configured tiles cover the outline once they load.
    map.createPane(BASE_PANE).style.zIndex = 150;
    map.createPane(LABEL_PANE).style.zIndex = 160;
  }

  function drawOutline(map, url) {
    return fetchJson(url).then(function (collection) {
      L.geoJSON(collection, {
        pane: BASE_PANE,
        interactive: false,
        style: function (feature) {
          return feature.properties.role === "kazakhstan"
            ? { className: "base-kazakhstan", color: "#4a4a4a", weight: 1.5, fillColor: "#fbfaf4", fillOpacity: 1 }
            : { className: "base-nearby", color: "#8a8a8a", weight: 0.8, opacity: 0.8, fill: false };
        }
      }).addTo(map);
    });
  }

  function drawTowns(map, url) {
    var language = document.documentElement.lang || "en";
    var large = L.layerGroup();
    var small = L.layerGroup();
    return fetchJson(url).then(function (data) {
      data.towns.forEach(function (town) {
        var marker = L.circleMarker([town.lat, town.lon], {
          pane: BASE_PANE, interactive: false, radius: 2.5, weight: 1, color: "#4a4a4a", fillColor: "#4a4a4a",
          fillOpacity: 1, className: "base-town"
        });
        marker.bindTooltip(town[language] || town.en, {
          permanent: true, direction: "right", offset: [4, 0], pane: LABEL_PANE, className: "town-label"
        });
        marker.addTo(town.population >= LARGE_TOWN ? large : small);
      });
      large.addTo(map);
      function showSmallTowns() {
        if (map.getZoom() >= ALL_TOWN_LABELS_ZOOM) { small.addTo(map); } else { small.remove(); }
      }
      map.on("zoomend", showSmallTowns);
      showSmallTowns();
    });
  }

  function plantStatusClass(status) {
    return "status-" + (status === "launched" || status === "in_progress" ? status : "other");
  }

  function plantPopup(item, labels) {
    var box = document.createElement("div");
    var name = item.querySelector(".plant-name");
    box.appendChild(link(item.dataset.url, name ? name.textContent : labels.plant));
    var sector = item.querySelector(".plant-sector");
    var status = item.querySelector(".plant-status");
    box.appendChild(line([sector && sector.textContent, status && status.textContent].filter(Boolean).join(" · ")));
    if (item.dataset.source) {
      var source = document.createElement("div");
      source.className = "small";
      source.appendChild(link(item.dataset.source, labels.source));
      box.appendChild(source);
    }
    return box;
  }

  function drawPlants(map, labels) {
    var plants = L.layerGroup().addTo(map);
    document.querySelectorAll("[data-plant-lat]").forEach(function (item) {
      var latitude = parseFloat(item.dataset.plantLat);
      var longitude = parseFloat(item.dataset.plantLon);
      if (!isFinite(latitude) || !isFinite(longitude)) { return; }
      var name = item.querySelector(".plant-name");
      var icon = L.divIcon({
        className: "plant-marker sector-" + item.dataset.sector + " " + plantStatusClass(item.dataset.status),
        html: "<span></span>",
        // Drawn just above its point, so reports grouped on the same spot leave it visible and tappable.
        iconSize: [18, 18],
        iconAnchor: [9, 24]
      });
      L.marker([latitude, longitude], {
        icon: icon, title: (labels.plant + ": " + (name ? name.textContent : "")).trim(), riseOnHover: true
      }).bindPopup(plantPopup(item, labels)).addTo(plants);
    });
    return plants;
  }

  function reportPopup(point) {
    var box = document.createElement("div");
    box.appendChild(link(point.url, point.title));
    box.appendChild(line([point.reference, point.observed_on].filter(Boolean).join(" · ")));
    return box;
  }

  function clusterSize(count) {
    return Math.round(26 + 8 * Math.min(4, Math.log(count) / Math.LN10));
  }

  function reportMarker(map, point, labels) {
    if (point.count === 1) {
      return L.marker([point.lat, point.lon], {
        icon: L.divIcon({ className: "report-point severity-" + point.severity, iconSize: [14, 14] }),
        title: point.title
      }).bindPopup(reportPopup(point));
    }
    var size = clusterSize(point.count);
    var icon = L.divIcon({
      className: "report-cluster", iconSize: [size, size], html: "<span>" + point.count + "</span>"
    });
    var marker = L.marker([point.lat, point.lon], {
      icon: icon, title: labels.cluster + " " + point.count, zIndexOffset: 500
    });
    marker.on("click", function () {
      map.setView([point.lat, point.lon], Math.min(map.getZoom() + 2, map.getMaxZoom()));
    });
    return marker;
  }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function viewQuery(map) {
    var bounds = map.getBounds();
    var box = [
      clamp(bounds.getWest(), -180, 179.99), clamp(bounds.getSouth(), -90, 89.99),
      clamp(bounds.getEast(), -179.99, 180), clamp(bounds.getNorth(), -89.99, 90)
    ].map(function (value) { return value.toFixed(4); });
    return "zoom=" + Math.round(map.getZoom()) + "&bbox=" + box.join(",");
  }

  function followReports(map, element, labels) {
    var layer = L.layerGroup().addTo(map);
    var latest = 0;
    function refresh() {
      var asked = ++latest;
      var url = element.dataset.pointsUrl;
      url += (url.indexOf("?") === -1 ? "?" : "&") + viewQuery(map);
      fetchJson(url).then(function (answer) {
        if (asked !== latest) { return; }  // the map moved again meanwhile: a newer answer is coming
        layer.clearLayers();
        answer.points.forEach(function (point) { reportMarker(map, point, labels).addTo(layer); });
        element.dataset.reportsShown = String(answer.total);
      }).catch(function () { /* the list on the page still shows every report */ });
    }
    map.on("moveend", refresh);
    refresh();
  }

  function startingBounds(element) {
    var parts = (element.dataset.bounds || "").split(",").map(parseFloat);
    if (parts.length === 4 && parts.every(isFinite)) {
      return [[parts[1], parts[0]], [parts[3], parts[2]]];
    }
    return KAZAKHSTAN;
  }

  function start() {
    var element = document.getElementById("report-map");
    if (!element || typeof L === "undefined") { return; }
    document.querySelectorAll(".map-legend").forEach(function (legend) { legend.hidden = false; });
    var labels = {
      plant: element.dataset.plantLabel || "",
      source: element.dataset.sourceLabel || "",
      cluster: element.dataset.clusterLabel || ""
    };
    var map = L.map(element, { minZoom: 3, maxZoom: 18 });
    map.fitBounds(startingBounds(element));
    basePanes(map);
    map.attributionControl.addAttribution(element.dataset.baseAttribution);
    drawOutline(map, element.dataset.outlineUrl).catch(function () { /* the lists still hold everything */ });
    drawTowns(map, element.dataset.townsUrl).catch(function () { /* as above */ });
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { maxZoom: 18, attribution: element.dataset.tileAttribution }).addTo(map);
    }
    drawPlants(map, labels);
    followReports(map, element, labels);
    element.classList.add("map-ready");
  }

  document.addEventListener("DOMContentLoaded", start);
}());
