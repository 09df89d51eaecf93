// The leaders' dashboard: ECharts bar charts of the figures by unit, a sortable table, a Leaflet
// map of event density per grid (no basemap unless an intranet tile server is configured) and the
// period fields of the filter form. Data come from <script type="application/json"> blocks the
// server renders; every click leads to the drill-down list of the cases behind a figure.
// When a chart or the map has drawn, its element gets data-drawn="1" (the browser tests wait).
(function () {
  "use strict";

  var RATE_KEYS = ["response_rate", "resolution_rate", "satisfaction_rate"];
  var CLOSURE_KEYS = ["on_time_rate", "reopen_rate"];
  var COLOURS = ["#0b3d91", "#2f8f5b", "#d98a00", "#5b6bbf", "#b3261e", "#7a7f87"];
  // Sequential classes for the density map (light to dark red); 0 events is a pale grey.
  var DENSITY = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  var EMPTY = "#eef0f3";

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }

  function markDrawn(el) {
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () { el.setAttribute("data-drawn", "1"); });
    });
  }

  // --- period fields: show the one the chosen kind needs (all show without JS) ---------------
  function initPeriodFields() {
    var kind = document.getElementById("id_kind");
    if (!kind) return;
    function update() {
      var value = kind.value || "month";
      document.querySelectorAll(".dash-filters__period").forEach(function (el) {
        el.hidden = el.getAttribute("data-kind") !== value;
      });
    }
    kind.addEventListener("change", update);
    update();
  }

  // --- charts -------------------------------------------------------------------------------
  function barSeries(data, keys, offset) {
    return keys.map(function (key, i) {
      return {
        id: key,
        name: data.labels[key],
        type: "bar",
        barMaxWidth: 14,
        itemStyle: { color: COLOURS[i + offset] },
        label: {
          show: true,
          position: "right",
          fontSize: 10,
          formatter: function (p) { return p.value == null ? "" : p.value.toFixed(1) + "%"; },
        },
        data: data.rates[key].map(function (value, j) {
          // Units below the minimum sample are drawn pale: listed, not ranked.
          return { value: value, itemStyle: data.ranked[j] ? {} : { opacity: 0.35 } };
        }),
      };
    });
  }

  function unitAxis(data) {
    return {
      type: "category",
      inverse: true,
      data: data.units,
      axisLabel: {
        width: 120,
        overflow: "truncate",
        formatter: function (name, index) { return data.ranked[index] ? name : name + " *"; },
      },
    };
  }

  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  function tooltip() {
    return {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      valueFormatter: function (value) { return value == null ? "—" : value; },
    };
  }

  function drawChart(el, option, data) {
    // Height follows the number of units, so names never overlap however many there are.
    el.style.height = Math.max(260, data.units.length * 48 + 110) + "px";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    chart.on("click", function (params) {
      var links = data.links[params.seriesId];
      var url = links && links[params.dataIndex];
      if (url) window.location.assign(url);
    });
    chart.on("finished", function () { markDrawn(el); });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function initCharts() {
    var data = readJSON("chart-data");
    if (!data || !window.echarts || !data.units.length) return;
    var grid = { left: 10, right: 40, top: 36, bottom: 10, containLabel: true };
    var rates = document.getElementById("chart-rates");
    if (rates) {
      drawChart(rates, {
        color: COLOURS,
        legend: { top: 0 },
        grid: grid,
        tooltip: tooltip(),
        xAxis: percentAxis(),
        yAxis: unitAxis(data),
        series: barSeries(data, RATE_KEYS, 0),
      }, data);
    }
    var closure = document.getElementById("chart-closure");
    if (closure) {
      var series = barSeries(data, CLOSURE_KEYS, 3);
      series.push({
        id: "backlog",
        name: data.labels.backlog,
        type: "bar",
        xAxisIndex: 1,
        barMaxWidth: 14,
        itemStyle: { color: COLOURS[5] },
        label: {
          show: true,
          position: "right",
          fontSize: 10,
          formatter: function (p) { return p.value + " " + data.labels.count_unit; },
        },
        data: data.backlog.map(function (value, j) {
          return { value: value, itemStyle: data.ranked[j] ? {} : { opacity: 0.35 } };
        }),
      });
      drawChart(closure, {
        legend: { top: 0 },
        // The backlog is a count, not a rate: its own axis on top, named, so no bar reads as 100 %.
        grid: { left: 10, right: 40, top: 64, bottom: 10, containLabel: true },
        tooltip: tooltip(),
        xAxis: [
          percentAxis(),
          {
            type: "value",
            minInterval: 1,
            position: "top",
            name: data.labels.backlog_axis,
            nameLocation: "middle",
            nameGap: 22,
            splitLine: { show: false },
            axisLine: { show: true, lineStyle: { color: COLOURS[5] } },
            axisLabel: { color: COLOURS[5] },
          },
        ],
        yAxis: unitAxis(data),
        series: series,
      }, data);
    }
  }

  // --- sortable table: ranked units always above the units below the minimum sample -----------
  function initTable() {
    var table = document.getElementById("figures-table");
    if (!table) return;
    var body = table.tBodies[0];
    var buttons = table.querySelectorAll(".dash-sort");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var key = button.getAttribute("data-sort");
        var current = button.parentNode.getAttribute("aria-sort");
        // Rates and counts read best highest first; the rank and the name lowest first.
        var firstDirection = key === "rank" || key === "name" ? "ascending" : "descending";
        var direction = current === firstDirection
          ? (firstDirection === "ascending" ? "descending" : "ascending")
          : firstDirection;
        buttons.forEach(function (b) { b.parentNode.removeAttribute("aria-sort"); b.removeAttribute("aria-sort"); });
        button.parentNode.setAttribute("aria-sort", direction);
        var sign = direction === "ascending" ? 1 : -1;
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var ra = a.getAttribute("data-ranked"), rb = b.getAttribute("data-ranked");
          if (ra !== rb) return ra === "1" ? -1 : 1;
          var va = a.getAttribute("data-" + key), vb = b.getAttribute("data-" + key);
          if (key === "name") return sign * va.localeCompare(vb, "zh-CN");
          // An empty value (no denominator) sorts last either way.
          if (va === "" || vb === "") return va === vb ? 0 : (va === "" ? 1 : -1);
          return sign * (parseFloat(va) - parseFloat(vb));
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  // --- density map ----------------------------------------------------------------------------
  function breaks(max) {
    // Up to five classes of equal width over 1..max (each count its own class when max ≤ 5).
    var classes = Math.min(DENSITY.length, Math.max(max, 1));
    var out = [];
    for (var i = 1; i <= classes; i++) out.push(Math.ceil((max * i) / classes));
    return out;
  }

  function shade(index, classes) {
    // Fewer classes than colours: spread them over the darker four, so one event is never as
    // pale as the empty grids nor as dark as the densest.
    if (classes >= DENSITY.length) return DENSITY[index];
    if (classes === 1) return DENSITY[3];
    return DENSITY[1 + Math.round((index * 3) / (classes - 1))];
  }

  function colourOf(count, limits) {
    if (!count) return EMPTY;
    for (var i = 0; i < limits.length; i++) {
      if (count <= limits[i]) return shade(i, limits.length);
    }
    return shade(limits.length - 1, limits.length);
  }

  function legendControl(el, limits) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "dash-legend");
      var title = document.createElement("div");
      title.className = "dash-legend__title";
      title.textContent = el.getAttribute("data-label-legend");
      box.appendChild(title);
      var rows = [[0, 0]];
      var low = 1;
      limits.forEach(function (high) {
        if (high >= low) rows.push([low, high]);
        low = high + 1;
      });
      rows.forEach(function (range) {
        var row = document.createElement("div");
        row.className = "dash-legend__row";
        var swatch = document.createElement("span");
        swatch.className = "dash-legend__swatch";
        swatch.style.background = colourOf(range[1], limits);
        var text = document.createElement("span");
        text.textContent = range[0] === range[1] ? String(range[0]) : range[0] + "–" + range[1];
        row.appendChild(swatch);
        row.appendChild(text);
        box.appendChild(row);
      });
      return box;
    };
    return control;
  }

  function initMap() {
    var el = document.getElementById("density-map");
    if (!el || !window.L) return;
    var collection = readJSON(el.getAttribute("data-features-script")) || { features: [] };
    var max = parseInt(el.getAttribute("data-max"), 10) || 0;
    var limits = breaks(max);
    var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false });
    window.__civicgridDensityMap = map;
    var tileUrl = el.getAttribute("data-tile-url");
    if (tileUrl) {
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(tileUrl, { attribution: el.getAttribute("data-tile-attribution") || "", maxZoom: 19 }).addTo(map);
    }
    var unit = el.getAttribute("data-label-count");
    var layer = L.geoJSON(collection, {
      style: function (f) {
        var count = (f.properties && f.properties.count) || 0;
        return { color: "#5c6370", weight: 1, fillColor: colourOf(count, limits), fillOpacity: 0.85 };
      },
    });
    layer.bindTooltip(function (featureLayer) {
      var p = featureLayer.feature.properties || {};
      var label = document.createElement("span");
      label.textContent = (p.name || "") + " · " + (p.count || 0) + " " + unit;
      return label;
    }, { sticky: true });
    layer.on("mouseover", function (e) { e.layer.setStyle({ weight: 3 }); });
    layer.on("mouseout", function (e) { layer.resetStyle(e.layer); });
    layer.on("click", function (e) {
      var url = e.layer.feature && e.layer.feature.properties.url;
      if (url) window.location.assign(url);
    });
    layer.addTo(map);
    legendControl(el, limits).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [12, 12], animate: false });
    } else {
      map.setView([30, 120], 5, { animate: false });
    }
    el.setAttribute("data-grids", String(collection.features.filter(function (f) { return f.geometry; }).length));
    markDrawn(el);
  }

  function start() {
    initPeriodFields();
    initTable();
    initCharts();
    initMap();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
