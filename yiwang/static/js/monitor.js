// The monitoring dashboard: the ECharts maps of Zhejiang's 11 cities that the installed packs'
// panels declare, each coloured by its panel's bands and redrawn when htmx swaps in fresh
// panels, and the alert list kept current from the server-sent events of
// /api/v1/sensing/alerts/stream (no reload). Everything shown is text, never HTML.
(function () {
  "use strict";

  var maps = [];  // [{element, chart}]: one per map panel the installed packs declare

  function readData(element) {
    var script = document.getElementById(element.dataset.mapData);
    return script ? JSON.parse(script.textContent) : { name: "", cities: [], pieces: [] };
  }

  function draw(map) {
    var data = readData(map.element);
    map.chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var d = p.data || {};
          return p.name + (d.value == null ? "" : "<br>" + echarts.format.encodeHTML(data.name) +
            " " + d.value + " · " + echarts.format.encodeHTML(d.category || "") +
            (d.station ? "<br>" + echarts.format.encodeHTML(d.station) : ""));
        }
      },
      visualMap: {
        type: "piecewise",
        pieces: data.pieces,
        left: 0,
        bottom: 0,
        itemWidth: 14,
        itemHeight: 10,
        textStyle: { fontSize: 11 }
      },
      series: [{
        name: data.name,
        type: "map",
        map: "zhejiang",
        roam: false,
        layoutCenter: ["50%", "48%"],
        layoutSize: "96%",
        label: { show: true, fontSize: 10, color: "#1d2733" },
        itemStyle: { borderColor: "#ffffff", areaColor: "#dfe3e8" },
        emphasis: { label: { show: true } },
        data: data.cities
      }]
    }, true);
  }

  function startMaps() {
    var elements = document.querySelectorAll(".map[data-map-data]");
    if (!elements.length || typeof echarts === "undefined") return;
    fetch(elements[0].dataset.mapUrl)
      .then(function (response) { return response.json(); })
      .then(function (geoJson) {
        echarts.registerMap("zhejiang", geoJson);
        Array.prototype.forEach.call(elements, function (element) {
          var map = { element: element, chart: echarts.init(element) };
          maps.push(map);
          draw(map);
        });
        window.yiwangMap = maps[0].chart;  // for the browser tests and the curious
        window.addEventListener("resize", function () {
          maps.forEach(function (map) { map.chart.resize(); });
        });
      });
  }

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "panels") maps.forEach(draw);
  });

  // --- live alerts ---------------------------------------------------------------------------
  var list = document.getElementById("alert-list");
  var status = document.getElementById("alert-status");
  var total = document.getElementById("alert-total");
  var english = document.documentElement.lang === "en";

  function localTime(iso) {
    if (!iso) return "";
    var t = new Date(iso);
    var china = new Date(t.getTime() + (t.getTimezoneOffset() + 480) * 60000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return china.getFullYear() + "-" + two(china.getMonth() + 1) + "-" + two(china.getDate()) +
      " " + two(china.getHours()) + ":" + two(china.getMinutes());
  }

  function span(className, text) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }

  // What the value means, as the server words it for the page's language (the pack's words,
  // else the value with its unit).
  function valueText(p) {
    var text = english ? p.value_text_en : p.value_text;
    return text || String(p.value);
  }

  function render(p) {
    var item = document.createElement("li");
    item.dataset.alertId = String(p.alert_id);
    item.className = "alert level-" + p.level + " new";
    var label = document.createElement("strong");
    label.className = "alert-label";
    label.textContent = p.label;
    item.appendChild(label);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(span("alert-where", p.thing_name || ""));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(span("alert-rule", p.rule_name));
    if (p.value != null) {
      item.appendChild(document.createTextNode(" "));
      item.appendChild(span("alert-value", valueText(p)));
    }
    item.appendChild(document.createTextNode(" "));
    var time = document.createElement("time");
    time.className = "meta";
    time.dateTime = p.phenomenon_time || p.at || "";
    time.textContent = localTime(p.phenomenon_time || p.at);
    item.appendChild(time);
    return item;
  }

  function existing(id) {
    return list.querySelector('li[data-alert-id="' + String(id) + '"]');
  }

  function count(delta) {
    if (total) total.textContent = String(Math.max(0, parseInt(total.textContent, 10) + delta));
  }

  function onChange(event) {
    var p = JSON.parse(event.data);
    var current = existing(p.alert_id);
    if (p.state === "resolved") {
      if (current) { current.remove(); count(-1); }
      return;
    }
    var empty = list.querySelector("li.empty");
    if (empty) empty.remove();
    var fresh = render(p);
    if (current) {
      current.replaceWith(fresh);
    } else {
      list.insertBefore(fresh, list.firstChild);
      count(1);
    }
  }

  function startAlerts() {
    if (!list || typeof EventSource === "undefined") return;
    var source = new EventSource(list.dataset.stream);
    source.onopen = function () { status.textContent = status.dataset.connected; };
    source.onerror = function () { status.textContent = status.dataset.lost; };
    ["raised", "escalated", "recurred", "deescalated", "cleared", "acknowledged", "resolved"]
      .forEach(function (action) { source.addEventListener("alert." + action, onChange); });
  }

  startMaps();
  startAlerts();
})();
