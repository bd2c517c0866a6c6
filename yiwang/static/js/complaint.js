// The complaint form: the ECharts map of Zhejiang on which a click places a pin (its longitude
// and latitude go into the hidden fields; the city it falls in is named under the map, the
// server decides it again), zoom buttons, the category's note and its own questions, and the
// contact fields switched off for an anonymous complaint. Without script the address and city
// fields do the same job. The map's box takes the province's shape, so that the drawing fills
// it; the cities' names are drawn above the pin, which points at the place with its tip.
(function () {
  "use strict";

  var form = document.getElementById("complaint-form");
  if (!form) return;

  // --- the category --------------------------------------------------------------------------
  var category = document.getElementById("category");
  var note = document.getElementById("category-note");
  var english = document.documentElement.lang === "en";
  var department = english ? "Department: " : "主管部门：";

  function showCategory() {
    var option = category.options[category.selectedIndex];
    var code = category.value;
    if (note) {
      note.textContent = code ? department + (option.dataset.department || "") +
        (option.dataset.description ? (english ? ". " : "。") + option.dataset.description : "") : "";
    }
    // Only the chosen category's own questions are shown (and sent).
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-category]"), function (set) {
      var mine = set.dataset.category === code;
      set.hidden = !mine;
      set.disabled = !mine;
    });
  }
  category.addEventListener("change", showCategory);
  showCategory();

  // --- anonymous -----------------------------------------------------------------------------
  var anonymous = document.getElementById("anonymous");
  function showContact() {
    ["contact_name", "phone", "email"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.disabled = anonymous.checked;
    });
  }
  if (anonymous) {
    anonymous.addEventListener("change", showContact);
    showContact();
  }

  // --- the map -------------------------------------------------------------------------------
  var block = document.getElementById("map-block");
  var element = document.getElementById("complaint-map");
  var latitude = document.getElementById("latitude");
  var longitude = document.getElementById("longitude");
  var status = document.getElementById("pin-status");
  var citySelect = document.getElementById("city");
  if (!element || typeof echarts === "undefined") return;

  var chart = null;
  var features = [];
  var pin = null;  // [longitude, latitude]
  var zoom = 1;
  var ZOOM_MAX = 16;

  function say(text) { status.textContent = text; }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  // Ray casting over one ring of [longitude, latitude] points.
  function inRing(point, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], b = ring[j];
      if ((a[1] > point[1]) !== (b[1] > point[1]) &&
          point[0] < (b[0] - a[0]) * (point[1] - a[1]) / (b[1] - a[1]) + a[0]) {
        inside = !inside;
      }
    }
    return inside;
  }

  function inPolygon(point, rings) {
    if (!rings.length || !inRing(point, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) if (inRing(point, rings[k])) return false;
    return true;
  }

  // The city of the map the point lies in, as the map names it (the server decides the city
  // again, from the GB/T 2260 boundaries, with a tolerance along coasts and borders).
  function cityAt(point) {
    for (var i = 0; i < features.length; i++) {
      var geometry = features[i].geometry;
      var polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
      for (var p = 0; p < polygons.length; p++) {
        if (inPolygon(point, polygons[p])) return features[i].properties;
      }
    }
    return null;
  }

  function codeOf(name) {
    if (!citySelect) return "";
    for (var i = 0; i < citySelect.options.length; i++) {
      if (citySelect.options[i].text.indexOf(name) === 0) return citySelect.options[i].value;
    }
    return "";
  }

  // [west, south, east, north] of the given features' rings.
  function boundsOf(list) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    list.forEach(function (feature) {
      var geometry = feature.geometry;
      var polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
      polygons.forEach(function (rings) {
        rings.forEach(function (ring) {
          ring.forEach(function (point) {
            box[0] = Math.min(box[0], point[0]);
            box[1] = Math.min(box[1], point[1]);
            box[2] = Math.max(box[2], point[0]);
            box[3] = Math.max(box[3], point[1]);
          });
        });
      });
    });
    return box;
  }

  // Each city's name at its seat ("cp" in the map), or the middle of the city without one. A
  // series of its own, so that the names lie above the pin, with a white halo over the map.
  function labelSeries() {
    return {
      id: "labels",
      type: "scatter",
      coordinateSystem: "geo",
      silent: true,
      animation: false,
      zlevel: 2,
      symbolSize: 1,  // ECharts scales a symbol's label with it: 0 would hide the label
      itemStyle: { color: "transparent" },
      label: {
        show: true, position: "inside", formatter: "{b}", fontSize: 11, color: "#1d2733",
        textBorderColor: "#ffffff", textBorderWidth: 3
      },
      emphasis: { label: { show: true } },
      data: features.map(function (feature) {
        var box = boundsOf([feature]);
        var seat = feature.properties.cp || [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
        return { name: feature.properties.name, value: seat };
      })
    };
  }

  function drawPin() {
    chart.setOption({
      series: [{
        id: "pin",
        type: "scatter",
        coordinateSystem: "geo",
        silent: true,
        symbol: "pin",
        symbolSize: [22, 30],  // ECharts draws a pin with its tip on the place
        itemStyle: { color: "#c8102e", borderColor: "#ffffff", borderWidth: 1.5 },
        zlevel: 1,
        data: pin ? [{ value: pin }] : []
      }]
    });
  }

  function place(point, quiet) {
    var city = cityAt(point);
    if (!city) {
      if (!quiet) say(element.dataset.textOutside + (pin ? " " + element.dataset.textKept : ""));
      return false;
    }
    pin = point;
    longitude.value = point[0].toFixed(6);
    latitude.value = point[1].toFixed(6);
    var code = codeOf(city.name);
    if (code) citySelect.value = code;
    say(fill(element.dataset.textChosen, {
      city: city.name, lon: point[0].toFixed(5), lat: point[1].toFixed(5)
    }));
    drawPin();
    return true;
  }

  function clearPin() {
    pin = null;
    longitude.value = "";
    latitude.value = "";
    drawPin();
    say(element.dataset.textCleared);
  }

  function view(centre) {
    chart.setOption({ geo: { zoom: zoom, center: zoom > 1 ? centre : null } });
  }

  function zoomBy(factor) {
    zoom = Math.min(ZOOM_MAX, Math.max(1, zoom * factor));
    view(pin || (chart.getOption().geo[0].center || null));
  }

  function onClick(event) {
    var pixel = [event.offsetX, event.offsetY];
    var point = chart.convertFromPixel("geo", pixel);
    if (!point || !isFinite(point[0]) || !isFinite(point[1])) return;
    if (place(point, false) && zoom > 1) view(pin);
  }

  function start(geoJson) {
    echarts.registerMap("zhejiang", geoJson);
    block.hidden = false;
    chart = echarts.init(element);
    chart.setOption({
      geo: {
        map: "zhejiang",
        roam: false,
        layoutCenter: ["50%", "50%"],
        layoutSize: "96%",
        zoom: 1,
        selectedMode: false,
        label: { show: false },
        itemStyle: { areaColor: "#e4e8ed", borderColor: "#ffffff", borderWidth: 1 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffd8a8" } }
      },
      series: []
    });
    // ECharts decodes the map's compressed coordinates when the geo component first uses it.
    features = echarts.getMap("zhejiang").geoJson.features;
    // A degree of longitude is shorter than one of latitude by the cosine of the latitude
    // (ECharts assumes 0.75, about 41° north); the box gets the province's own proportions.
    var box = boundsOf(features);
    var aspectScale = Math.cos((box[1] + box[3]) / 2 * Math.PI / 180);
    element.style.aspectRatio = ((box[2] - box[0]) * aspectScale / (box[3] - box[1])).toFixed(3);
    chart.resize();
    chart.setOption({ geo: { aspectScale: aspectScale }, series: [labelSeries()] });
    drawPin();
    chart.getZr().on("click", onClick);
    window.addEventListener("resize", function () { chart.resize(); });
    document.getElementById("map-zoom-in").addEventListener("click", function () { zoomBy(2); });
    document.getElementById("map-zoom-out").addEventListener("click", function () { zoomBy(0.5); });
    document.getElementById("map-reset").addEventListener("click", function () {
      zoom = 1;
      view(null);
    });
    document.getElementById("pin-clear").addEventListener("click", clearPin);

    // A form that came back with an error keeps its pin.
    var lon = parseFloat(longitude.value), lat = parseFloat(latitude.value);
    if (isFinite(lon) && isFinite(lat)) {
      if (!place([lon, lat], true)) {
        pin = [lon, lat];
        drawPin();
      }
    } else if (!status.textContent) {
      say(element.dataset.textNone);
    }
  }

  fetch(element.dataset.mapUrl)
    .then(function (response) { return response.json(); })
    .then(start);
})();
