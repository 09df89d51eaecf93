// The citizen report page's map: township outlines from /citizen/areas.geojson on Leaflet with no
// basemap (unless an intranet tile server is configured); a tap sets the hidden lon/lat fields
// (WGS-84), "使用我的位置" uses the phone's position. Without JavaScript the page works with the
// village list and the address instead. When drawn, the map element gets data-drawn="1".
(function () {
  "use strict";

  var AREA_STYLE = { color: "#1d4f91", weight: 1.5, fillColor: "#3b7dd8", fillOpacity: 0.08 };
  var POINT_STYLE = { radius: 8, color: "#fff", weight: 2, fillColor: "#b3261e", fillOpacity: 1 };

  function round(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  function init(el) {
    var form = document.getElementById("citizen-form");
    var lon = form.querySelector("input[name=lon]");
    var lat = form.querySelector("input[name=lat]");
    var status = document.getElementById("citizen-map-status");
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
    var tileUrl = el.getAttribute("data-tile-url");
    if (tileUrl) {
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(tileUrl, { attribution: el.getAttribute("data-tile-attribution") || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([30, 120], 5, { animate: false });
    var marker = null;

    function show(lng, la, pan) {
      lon.value = round(lng);
      lat.value = round(la);
      var latlng = L.latLng(la, lng);
      if (marker) marker.setLatLng(latlng);
      else marker = L.circleMarker(latlng, POINT_STYLE).addTo(map);
      if (pan) map.setView(latlng, Math.max(map.getZoom(), 15), { animate: false });
      status.textContent = (status.getAttribute("data-picked") || "")
        .replace("%(lon)s", lon.value).replace("%(lat)s", lat.value);
    }

    map.on("click", function (e) { show(e.latlng.lng, e.latlng.lat, false); });

    fetch(el.getAttribute("data-geojson-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        if (data.features && data.features.length) {
          var layer = L.geoJSON(data, {
            style: AREA_STYLE,
            onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); },
          });
          map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
          layer.addTo(map);
          // A tap on an outline picks the point too (the layer would otherwise swallow the click).
          layer.on("click", function (e) { show(e.latlng.lng, e.latlng.lat, false); });
        }
        if (lon.value && lat.value) show(parseFloat(lon.value), parseFloat(lat.value), true);
        el.setAttribute("data-drawn", "1");
      })
      .catch(function () { el.setAttribute("data-drawn", "1"); });

    document.getElementById("citizen-clear-point").addEventListener("click", function () {
      lon.value = "";
      lat.value = "";
      if (marker) { map.removeLayer(marker); marker = null; }
      status.textContent = "";
    });

    var locateButton = document.getElementById("citizen-locate");
    if (!navigator.geolocation) locateButton.hidden = true;
    locateButton.addEventListener("click", function () {
      status.textContent = locateButton.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(
        function (pos) { show(pos.coords.longitude, pos.coords.latitude, true); },
        function () { status.textContent = locateButton.getAttribute("data-failed"); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });

    // Re-enable the submit button only after the page is left: one tap, one submission.
    form.addEventListener("submit", function () {
      var button = document.getElementById("citizen-submit");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  // The chosen category's typed questions, drawn at once (the server draws them too, with their
  // errors, after a refused submit). Same names and widgets as the server's fields.
  function questions() {
    var dataNode = document.getElementById("citizen-questions-data");
    var box = document.getElementById("citizen-questions");
    var select = document.getElementById("id_category");
    if (!dataNode || !box || !select) return;
    var byCategory = JSON.parse(dataNode.textContent) || {};

    function field(q) { return window.CivicGridQuestions.field(q, box); }

    select.addEventListener("change", function () {
      box.textContent = "";
      (byCategory[select.value] || []).forEach(function (q) { box.appendChild(field(q)); });
    });
  }

  function start() {
    questions();
    var el = document.getElementById("citizen-map");
    if (el && window.L && window.fetch) init(el);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
