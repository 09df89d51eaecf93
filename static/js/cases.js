// The case page's mini-map: the case's grid outline and its point, on Leaflet with no basemap
// unless the administrator configured an intranet tile server (MAP_TILE_URL). Data comes from a
// <script type="application/json"> block; nothing is fetched. When drawn, the map element gets
// data-drawn="1" (the browser test waits for it).
(function () {
  "use strict";

  var GRID_STYLE = { color: "#1d4f91", weight: 2, fillColor: "#3b7dd8", fillOpacity: 0.15, interactive: false };
  var POINT_STYLE = { radius: 7, color: "#fff", weight: 2, fillColor: "#b3261e", fillOpacity: 1 };

  function readData(el) {
    var script = document.getElementById(el.getAttribute("data-map-script"));
    if (!script) return {};
    try {
      return JSON.parse(script.textContent) || {};
    } catch (e) {
      return {};
    }
  }

  function init(el) {
    var data = readData(el);
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
    var tileUrl = el.getAttribute("data-tile-url");
    if (tileUrl) {
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(tileUrl, { attribution: el.getAttribute("data-tile-attribution") || "", maxZoom: 19 }).addTo(map);
    }
    // Layers are built first and added after the view is set: Leaflet's vector renderer needs
    // a map with a view before it can place a path.
    var layers = [];
    var bounds = null;
    if (data.grid && data.grid.geometry) {
      var grid = L.geoJSON(data.grid, { style: GRID_STYLE });
      layers.push(grid);
      bounds = grid.getBounds();
    }
    if (data.point) {
      var latlng = L.latLng(data.point[1], data.point[0]);
      layers.push(L.circleMarker(latlng, POINT_STYLE));
      bounds = bounds && bounds.isValid() ? bounds.extend(latlng) : L.latLngBounds(latlng, latlng);
    }
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17, animate: false });
    } else {
      map.setView([30, 120], 5, { animate: false });
      var status = document.getElementById("map-status");
      if (status) status.textContent = el.getAttribute("data-label-empty") || "";
    }
    layers.forEach(function (layer) { layer.addTo(map); });
    el.setAttribute("data-drawn", "1");
  }

  function start() {
    var el = document.getElementById("case-map");
    if (el && window.L) init(el);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
