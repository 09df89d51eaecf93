// Draws grids on a Leaflet map with the canvas renderer (hundreds of polygons stay fast).
// Configuration comes from data-* attributes on #grid-map; features come either from a GeoJSON URL
// (the area browser) or from a <script type="application/json"> block (the grid page).
// When every grid is drawn, the map element gets data-grids-drawn="<count>" and the page gets a
// performance mark "grids-drawn" — the browser tests and bench/map_render.py wait for these.
(function () {
  "use strict";

  var GRID_STYLE = { color: "#1d4f91", weight: 1, fillColor: "#3b7dd8", fillOpacity: 0.18 };
  var DEDICATED_STYLE = { color: "#b3261e", weight: 1.5, fillColor: "#e46a5f", fillOpacity: 0.25 };
  var HOVER_STYLE = { weight: 3, fillOpacity: 0.35 };
  var OUTLINE_STYLE = { color: "#555", weight: 2, dashArray: "6 4", fill: false, interactive: false };

  function readScript(id) {
    var el = id && document.getElementById(id);
    if (!el) return {};
    try {
      return JSON.parse(el.textContent) || {};
    } catch (e) {
      return {};
    }
  }

  function setStatus(text) {
    var status = document.getElementById("map-status");
    if (status) status.textContent = text || "";
  }

  function markDrawn(el, count) {
    // Two animation frames: the canvas renderer paints on the next frame after layers are added.
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {
        el.setAttribute("data-grids-drawn", String(count));
        if (window.performance && performance.mark) performance.mark("grids-drawn");
        el.dispatchEvent(new CustomEvent("grids-drawn", { detail: { count: count } }));
      });
    });
  }

  function init(el) {
    var embedded = readScript(el.getAttribute("data-features-script"));
    var navigate = !el.hasAttribute("data-no-navigate");
    var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false });
    // Exposed so browser tests can count the features Leaflet really holds.
    window.__civicgridMap = map;
    var tileUrl = el.getAttribute("data-tile-url");
    if (tileUrl) {
      // Only an intranet tile server configured by the administrator; there is no default basemap.
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(tileUrl, { attribution: el.getAttribute("data-tile-attribution") || "", maxZoom: 19 }).addTo(map);
    }
    var outline = embedded.outline && embedded.outline.geometry
      ? L.geoJSON(embedded.outline, { style: OUTLINE_STYLE }).addTo(map)
      : null;

    function draw(collection) {
      var features = (collection && collection.features) || [];
      // One tooltip and one set of listeners on the whole layer (events bubble up from each grid)
      // rather than per feature: with hundreds of grids this is most of the drawing time saved.
      var layer = L.geoJSON(collection, {
        style: function (f) {
          return f.properties && f.properties.kind === "dedicated" ? DEDICATED_STYLE : GRID_STYLE;
        },
      });
      layer.bindTooltip(function (featureLayer) {
        // A text node, never an HTML string: grid names come from imported files.
        var p = featureLayer.feature.properties || {};
        var label = document.createElement("span");
        label.textContent = (p.name || "") + " · " + (p.code || "");
        return label;
      }, { sticky: true });
      layer.on("mouseover", function (e) { e.layer.setStyle(HOVER_STYLE); });
      layer.on("mouseout", function (e) { layer.resetStyle(e.layer); });
      if (navigate) {
        layer.on("click", function (e) {
          var url = e.layer.feature && e.layer.feature.properties.url;
          if (url) window.location.assign(url);
        });
      }
      layer.addTo(map);
      var bounds = layer.getBounds();
      if (outline && outline.getBounds().isValid()) bounds = outline.getBounds().extend(bounds);
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [12, 12], animate: false });
      } else {
        map.setView([30, 120], 5, { animate: false });
      }
      var drawn = features.filter(function (f) { return f.geometry; }).length;
      el.setAttribute("data-grids-total", String(collection.total != null ? collection.total : features.length));
      if (collection.truncated) {
        setStatus(el.getAttribute("data-label-truncated"));
      } else if (!drawn) {
        setStatus(el.getAttribute("data-label-empty"));
      }
      markDrawn(el, drawn);
    }

    var url = el.getAttribute("data-geojson-url");
    if (url) {
      // Same request as the <link rel="preload"> in the page (no extra headers), so it is reused.
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(draw)
        .catch(function () {
          setStatus(el.getAttribute("data-label-error"));
          el.setAttribute("data-grids-error", "1");
        });
    } else {
      draw(embedded.grids || { type: "FeatureCollection", features: [] });
    }
  }

  function start() {
    var el = document.getElementById("grid-map");
    if (el && window.L) init(el);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
