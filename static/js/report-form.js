// The report form, enhanced. Everything here also works without it: the error summary is a
// role="alert" region at the top of the page, and each limit is stated in the field's help text.
// 1. After a failed submit, move the focus to the error summary, so a keyboard or screen-reader
//    user starts from the list of what to fix (each item links to its field).
// 2. Live character counters ("123 / 10,000 characters") under fields with data-max-chars. The
//    fields have no maxlength attribute on purpose: a browser would silently cut pasted text.
// 3. The place (below): a pin on a map, "Use my location", the place a photo was taken (only when
//    the reporter taps for it), the nearest settlement and recent reports nearby.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function formatNumber(value) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined).format(value);
    } catch (error) {
      return String(value);
    }
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return name in values ? values[name] : match;
    });
  }

  function addCounter(field) {
    var limit = parseInt(field.getAttribute("data-max-chars"), 10);
    if (!limit) {
      return;
    }
    var counter = document.createElement("div");
    counter.className = "form-text char-counter";
    counter.id = field.id + "-counter";
    // Not a live region: announcing every keystroke would drown a screen reader. The count is
    // read with the field (aria-describedby), and the server's message names any excess.
    field.insertAdjacentElement("afterend", counter);
    var describedBy = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + counter.id);

    function update() {
      var count = field.value.length;
      var text = fill(field.getAttribute("data-counter"), {count: formatNumber(count), limit: formatNumber(limit)});
      if (count > limit) {
        text += " — " + fill(field.getAttribute("data-counter-over"), {over: formatNumber(count - limit)});
      }
      counter.textContent = text;
      counter.classList.toggle("text-danger", count > limit);
      counter.classList.toggle("fw-semibold", count > limit);
    }

    field.addEventListener("input", update);
    update();
  }

  function start() {
    focusErrorSummary();
    document.querySelectorAll("[data-max-chars]").forEach(addCounter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();


// The place of the problem. Without this script the latitude and longitude fields (under "More
// details") do the same job; with it they are filled by a pin the reporter puts on a map:
// - by tapping the map or dragging the pin;
// - by "Use my location" (the browser asks for permission only then, never on page load);
// - by "Use the place where my photo was taken": only on that tap, exifr reads the GPS position
//   saved in the chosen photo, here in the browser (nothing is sent before the form is);
// - choosing a project centres the map on it, when a source gives its coordinates.
// Each pin asks the site for the nearest settlement (filling the settlement field if it is empty)
// and for recent published reports of the same kind nearby. Those two requests carry the point
// rounded to 2 decimals (about 1 km): a server's access log must never hold a reporter's exact pin.
(function () {
  "use strict";

  var KAZAKHSTAN = [48.0, 67.0];
  var COUNTRY_ZOOM = 4;
  var PIN_ZOOM = 12;
  var PROJECT_ZOOM = 11;
  var LABELLED_TOWN = 200000;
  var IMAGE_TYPES = /^image\/(jpeg|heic|heif|png|webp)$/;

  function byId(id) {
    return document.getElementById(id);
  }

  function rounded(value) {
    return (Math.round(value * 100) / 100).toFixed(2);
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      });
  }

  function drawBase(map, box) {
    var language = document.documentElement.lang || "en";
    map.createPane("base").style.zIndex = 150;
    fetchJson(box.dataset.outlineUrl).then(function (collection) {
      L.geoJSON(collection, {
        pane: "base",
        interactive: false,
        style: function (feature) {
          return feature.properties.role === "kazakhstan"
            ? { color: "#4a4a4a", weight: 1.5, fillColor: "#fbfaf4", fillOpacity: 1 }
            : { color: "#8a8a8a", weight: 0.8, fill: false };
        }
      }).addTo(map);
    }).catch(function () { /* the pin still works on a plain background */ });
    fetchJson(box.dataset.townsUrl).then(function (data) {
      data.towns.forEach(function (town) {
        var marker = L.circleMarker([town.lat, town.lon], {
          pane: "base", interactive: false, radius: 2.5, weight: 1, color: "#4a4a4a", fillOpacity: 1
        }).addTo(map);
        if (town.population >= LABELLED_TOWN) {
          marker.bindTooltip(town[language] || town.en, {
            permanent: true, direction: "right", offset: [4, 0], className: "town-label"
          });
        }
      });
    }).catch(function () { /* as above */ });
    if (box.dataset.tileUrl) {
      L.tileLayer(box.dataset.tileUrl, { maxZoom: 18, attribution: box.dataset.tileAttribution }).addTo(map);
    }
    map.attributionControl.addAttribution(box.dataset.baseAttribution);
  }

  function PlacePicker(box) {
    this.box = box;
    this.latitude = byId("id_latitude");
    this.longitude = byId("id_longitude");
    this.settlement = byId("id_settlement");
    this.project = byId("id_project");
    this.category = byId("id_primary_category");
    this.status = byId("pin-status");
    this.suggestion = byId("place-suggestion");
    this.nearbyBox = byId("nearby-reports");
    this.removeButton = byId("remove-pin");
    this.projects = JSON.parse(byId("project-places").textContent || "{}");
    this.marker = null;
    this.suggested = "";
    this.nearbyRequest = 0;
    this.settlementDot = null;
    box.hidden = false;
    this.map = L.map(byId("pin-map"), { center: KAZAKHSTAN, zoom: COUNTRY_ZOOM });
    drawBase(this.map, box);
    this.listen();
    this.fromFields(false);
    if (!this.marker) {
      this.centreOnProject();
    }
  }

  PlacePicker.prototype.listen = function () {
    var picker = this;
    this.map.on("click", function (event) {
      picker.place(event.latlng, false);
    });
    byId("use-my-location").addEventListener("click", function () {
      picker.locate();
    });
    this.removeButton.addEventListener("click", function () {
      picker.remove();
    });
    [this.latitude, this.longitude].forEach(function (field) {
      if (field) {
        field.addEventListener("change", function () { picker.fromFields(true); });
      }
    });
    if (this.project) {
      this.project.addEventListener("change", function () {
        if (!picker.marker) {
          picker.centreOnProject();
        }
        picker.showNearby();
      });
    }
    if (this.category) {
      this.category.addEventListener("change", function () { picker.showNearby(); });
    }
  };

  PlacePicker.prototype.place = function (latlng, zoomIn) {
    var picker = this;
    if (!this.marker) {
      this.marker = L.marker(latlng, { draggable: true, title: this.box.dataset.pinLabel, alt: this.box.dataset.pinLabel });
      this.marker.on("dragend", function () {
        picker.place(picker.marker.getLatLng(), false);
      });
      this.marker.addTo(this.map);
    } else {
      this.marker.setLatLng(latlng);
    }
    if (zoomIn) {
      this.map.setView(latlng, Math.max(this.map.getZoom(), PIN_ZOOM));
    }
    this.latitude.value = latlng.lat.toFixed(5);
    this.longitude.value = latlng.lng.toFixed(5);
    this.removeButton.hidden = false;
    this.status.textContent = this.box.dataset.pinPlaced;
    this.suggest(latlng);
    this.showNearby();
  };

  // The numbers in the fields (typed, or kept after a failed send) become the pin.
  PlacePicker.prototype.fromFields = function (typed) {
    var latitude = parseFloat(this.latitude && this.latitude.value);
    var longitude = parseFloat(this.longitude && this.longitude.value);
    if (isFinite(latitude) && isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
      this.place(L.latLng(latitude, longitude), true);
    } else if (!typed) {
      this.showNearby();
    }
  };

  PlacePicker.prototype.remove = function () {
    if (this.marker) {
      this.marker.remove();
      this.marker = null;
    }
    this.latitude.value = "";
    this.longitude.value = "";
    this.removeButton.hidden = true;
    this.status.textContent = "";
    this.suggestion.textContent = "";
    this.showSettlement({});
    this.showNearby();
  };

  PlacePicker.prototype.centreOnProject = function () {
    var place = this.project && this.projects[this.project.value];
    if (place) {
      this.map.setView(place, PROJECT_ZOOM);
    }
  };

  PlacePicker.prototype.locate = function () {
    var picker = this;
    var box = this.box;
    if (!navigator.geolocation) {
      this.status.textContent = box.dataset.locationUnsupported;
      return;
    }
    this.status.textContent = box.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      picker.place(L.latLng(position.coords.latitude, position.coords.longitude), true);
    }, function () {
      picker.status.textContent = box.dataset.locationDenied;
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  };

  PlacePicker.prototype.suggest = function (latlng) {
    var picker = this;
    var url = this.box.dataset.placeUrl + "?lat=" + rounded(latlng.lat) + "&lon=" + rounded(latlng.lng);
    fetchJson(url).then(function (answer) {
      var text = answer.message;
      var field = picker.settlement;
      var untouched = field && (!field.value.trim() || field.value === picker.suggested);
      if (answer.settlement && answer.fills_form && untouched) {
        field.value = answer.settlement;
        picker.suggested = answer.settlement;
        text += " " + picker.box.dataset.settlementFilled;
      }
      picker.suggestion.textContent = text;
      picker.showSettlement(answer);
    }).catch(function () {
      picker.suggestion.textContent = "";
    });
  };

  // The suggested settlement as a labelled dot, so a pin in a village is seen beside its name.
  PlacePicker.prototype.showSettlement = function (answer) {
    if (this.settlementDot) {
      this.settlementDot.remove();
      this.settlementDot = null;
    }
    if (!answer.settlement || !answer.centre) {
      return;
    }
    this.settlementDot = L.circleMarker(answer.centre, {
      interactive: false, radius: 4, weight: 1, color: "#4a4a4a", fillColor: "#4a4a4a", fillOpacity: 1
    }).bindTooltip(answer.settlement, {
      permanent: true, direction: "right", offset: [4, 0], className: "town-label"
    }).addTo(this.map);
  };

  PlacePicker.prototype.showNearby = function () {
    var picker = this;
    var query = [];
    if (this.marker) {
      var latlng = this.marker.getLatLng();
      query.push("lat=" + rounded(latlng.lat), "lon=" + rounded(latlng.lng));
    } else if (this.project && this.project.value) {
      query.push("project=" + encodeURIComponent(this.project.value));
    }
    var request = ++this.nearbyRequest;
    if (!query.length) {
      this.nearbyBox.innerHTML = "";
      return;
    }
    if (this.category && this.category.value) {
      query.push("category=" + encodeURIComponent(this.category.value));
    }
    fetchJson(this.box.dataset.nearbyUrl + "?" + query.join("&")).then(function (answer) {
      if (request === picker.nearbyRequest) {
        picker.nearbyBox.innerHTML = answer.html;  // rendered and escaped by the site's own template
      }
    }).catch(function () { /* a hint only: the form works without it */ });
  };

  function chosenPhotos(input) {
    return Array.prototype.filter.call(input.files || [], function (file) {
      return IMAGE_TYPES.test(file.type);
    });
  }

  function offerPhotoPlace(picker) {
    var input = byId("id_files");
    var offer = byId("photo-place");
    var status = byId("photo-place-status");
    if (!input || !offer || typeof exifr === "undefined") {
      return;
    }
    input.addEventListener("change", function () {
      offer.hidden = chosenPhotos(input).length === 0;
      status.textContent = "";
    });
    byId("use-photo-place").addEventListener("click", function () {
      var photos = chosenPhotos(input);
      var tries = photos.map(function (photo) {
        return exifr.gps(photo).catch(function () { return null; });
      });
      Promise.all(tries).then(function (places) {
        var found = places.filter(function (gps) {
          return gps && isFinite(gps.latitude) && isFinite(gps.longitude);
        })[0];
        if (found) {
          picker.place(L.latLng(found.latitude, found.longitude), true);
          status.textContent = offer.dataset.photoPlaced;
          byId("pin-map").scrollIntoView({ block: "center" });
        } else {
          status.textContent = offer.dataset.noGps;
        }
      }).catch(function () {
        status.textContent = offer.dataset.unreadable;
      });
    });
  }

  function start() {
    var box = byId("place-picker");
    if (!box || typeof L === "undefined" || !byId("id_latitude")) {
      return;
    }
    var picker = new PlacePicker(box);
    offerPhotoPlace(picker);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
