// The dashboard: charts drawn from the JSON block next to each chart element, on load and
// after every htmx swap (the filters are boosted links and a boosted GET form that replace
// #dashboard and push the URL, so every view can be bookmarked).
(function () {
  "use strict";

  // ECharts options travel as JSON, which cannot hold functions: the server names the
  // callback ("fn:<name>") and these supply it. `rows` are the server's escaped tooltips.
  var callbacks = {
    rowTooltip: function (rows) {
      return function (params) {
        var first = Array.isArray(params) ? params[0] : params;
        return first && rows[first.dataIndex] !== undefined ? rows[first.dataIndex] : "";
      };
    },
    horizontalErrorBar: function () {
      return function (params, api) {
        var row = api.value(0);
        var low = api.coord([api.value(1), row]);
        var high = api.coord([api.value(2), row]);
        var half = api.size([0, 1])[1] * 0.18;
        var style = { stroke: "#1d2433", lineWidth: 1.5 };
        return {
          type: "group",
          children: [
            { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
            { type: "line", shape: { x1: low[0], y1: low[1] - half, x2: low[0], y2: low[1] + half }, style: style },
            { type: "line", shape: { x1: high[0], y1: high[1] - half, x2: high[0], y2: high[1] + half }, style: style }
          ]
        };
      };
    }
  };

  function resolveCallbacks(value, rows) {
    if (typeof value === "string" && value.indexOf("fn:") === 0) {
      var make = callbacks[value.slice(3)];
      return make ? make(rows) : undefined;
    }
    if (Array.isArray(value)) {
      return value.map(function (item) { return resolveCallbacks(item, rows); });
    }
    if (value && typeof value === "object") {
      var resolved = {};
      Object.keys(value).forEach(function (key) { resolved[key] = resolveCallbacks(value[key], rows); });
      return resolved;
    }
    return value;
  }

  function renderCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart-source]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chartSource);
      if (!source) { return; }
      var options = JSON.parse(source.textContent);
      var rows = options.cxTooltips || [];
      delete options.cxTooltips;
      var chart = window.echarts.getInstanceByDom(element) || window.echarts.init(element);
      chart.setOption(resolveCallbacks(options, rows), true);
    });
  }

  function disposeCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart-source]").forEach(function (element) {
      var chart = window.echarts.getInstanceByDom(element);
      if (chart) { chart.dispose(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:beforeSwap", function (event) {
    // A bad URL answers 400 with the page explaining what is wrong: show it like a 200.
    if (event.detail.xhr && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    if (event.detail.shouldSwap) { disposeCharts(event.detail.target); }
  });
  document.addEventListener("htmx:afterSettle", function () { renderCharts(document); });

  // Empty controls ("any") stay out of the URL, so shared links are short and readable.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("[data-dashboard-filters]")) { return; }
    var data = event.detail.formData;
    var names = [];
    data.forEach(function (_value, name) { if (names.indexOf(name) < 0) { names.push(name); } });
    names.forEach(function (name) {
      var kept = data.getAll(name).filter(function (value) { return String(value).trim() !== ""; });
      data.delete(name);
      kept.forEach(function (value) { data.append(name, value); });
    });
  });

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control && control.matches && control.matches("[data-autosubmit]") && control.form) {
      control.form.requestSubmit();
    }
  });

  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart-source]").forEach(function (element) {
      var chart = window.echarts && window.echarts.getInstanceByDom(element);
      if (chart) { chart.resize(); }
    });
  });
})();
