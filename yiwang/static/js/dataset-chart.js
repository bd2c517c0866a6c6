// The dataset page's charts: one for each table with numeric columns, drawn with ECharts. The
// page carries the table's first rows, read through the datastore as this reader may read
// them; a filter asks the native API (the same datastore service, with the reader's own
// access) for the first rows that match over the whole table. The reader picks the numeric
// column and the x axis: a date or time gives a line (one for each value of a grouping column,
// chosen for the reader when a time has several rows), anything else a bar. Names and values
// are shown as text, never as HTML.
(function () {
  "use strict";

  var charts = [];
  window.yiwangDatasetCharts = charts;  // for the browser tests and the curious

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // The first group column (in the select's order) that gives each time one value per line,
  // when the chosen time has several rows: a table in long form, one row per place and month.
  function autoGroup(groupSelect, names, rows, x) {
    var times = {};
    var repeated = rows.some(function (row) {
      var key = text(row[x]);
      if (times[key]) return true;
      times[key] = true;
      return false;
    });
    if (!repeated) return "";
    for (var i = 0; i < groupSelect.options.length; i++) {
      var name = groupSelect.options[i].value;
      var g = names.indexOf(name);
      if (!name || g < 0) continue;
      var seen = {};
      var values = {};
      var unique = rows.every(function (row) {
        var key = JSON.stringify([row[x], row[g]]);
        values[text(row[g])] = true;
        if (seen[key]) return false;
        seen[key] = true;
        return true;
      });
      if (unique && Object.keys(values).length > 1) return name;
    }
    return "";
  }

  function option(section, element, columns, rows, touched) {
    var names = columns.map(function (c) { return c.name; });
    var ySelect = section.querySelector('select[data-axis="y"]');
    var xSelect = section.querySelector('select[data-axis="x"]');
    var groupSelect = section.querySelector('select[data-axis="group"]');
    var yName = ySelect.value;
    var y = names.indexOf(yName);
    var xName = xSelect ? xSelect.value : "";
    var x = xName ? names.indexOf(xName) : -1;
    var chosen = xSelect ? xSelect.options[xSelect.selectedIndex] : null;
    var timeLike = x >= 0 && chosen !== null && chosen.dataset.time === "true";
    var encode = echarts.format.encodeHTML;
    var series;
    var xAxis;
    var tooltip;
    var groupName = "";

    if (groupSelect) {
      groupSelect.disabled = !timeLike;
      if (timeLike && !touched) groupSelect.value = autoGroup(groupSelect, names, rows, x);
      groupName = timeLike ? groupSelect.value : "";
    }
    var g = groupName ? names.indexOf(groupName) : -1;

    if (timeLike) {
      // One line for each group (or one line), its [time, value] points in time order: the
      // rows come in table order.
      var lines = {};
      var order = [];
      rows.forEach(function (row) {
        if (row[x] === null || row[y] === null) return;
        var key = g >= 0 ? text(row[g]) : yName;
        if (!lines[key]) { lines[key] = []; order.push(key); }
        lines[key].push([row[x], row[y]]);
      });
      var byTime = function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; };
      series = order.map(function (key) {
        var points = lines[key].sort(byTime);
        return { name: key, type: "line", data: points, showSymbol: points.length <= 60 };
      });
      xAxis = { type: "time" };
      tooltip = function (params) {
        return [encode(text(params[0].value[0]).replace("T", " "))].concat(
          params.map(function (p) {
            return encode(text(p.seriesName)) + ": " + encode(text(p.value[1]));
          })).join("<br>");
      };
    } else {
      var labels = rows.map(function (row, index) {
        return x >= 0 ? text(row[x]) : String(index + 1);
      });
      xAxis = { type: "category", data: labels };
      series = [{ name: yName, type: "bar", data: rows.map(function (row) { return row[y]; }) }];
      tooltip = function (params) {
        var first = params[0];
        return encode(text(first.name)) + "<br>" + encode(yName) + ": " + encode(text(first.value));
      };
    }

    element.setAttribute("aria-label", fill(element.dataset[timeLike ? "labelLine" : "labelBar"], {
      y: yName,
      x: x >= 0 ? xName : element.dataset.rowOrder,
      shown: rows.length,
      grouped: groupName ? fill(element.dataset.labelGrouped, { group: groupName }) : ""
    }));

    return {
      animation: false,
      color: ["#c8102e", "#1a73e8", "#2e7d32", "#f29100", "#6a1b9a", "#00838f", "#8d6e63",
        "#ad1457", "#546e7a", "#9e9d24"],
      legend: { top: 0, type: "scroll", data: series.map(function (s) { return s.name; }) },
      grid: { left: 8, right: 16, top: 56, bottom: 48, containLabel: true },
      tooltip: { trigger: "axis", formatter: tooltip },
      xAxis: xAxis,
      yAxis: { type: "value", scale: true, name: yName, nameTextStyle: { align: "left" } },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 16, bottom: 6 }],
      series: series
    };
  }

  function start(section) {
    var element = section.querySelector(".chart");
    var data = JSON.parse(document.getElementById(element.dataset.data).textContent);
    var status = document.getElementById(element.dataset.rows);
    var firstStatus = status.textContent;
    var rows = data.rows;
    var asked = 0;  // the newest request: answers to older ones are dropped
    var touched = false;  // the reader chose the grouping: keep it
    var chart = echarts.init(element);
    charts.push(chart);

    function draw() {
      chart.setOption(option(section, element, data.columns, rows, touched), true);
    }

    function filters() {
      var chosen = {};
      var any = false;
      section.querySelectorAll("select[data-filter]").forEach(function (select) {
        if (select.value !== "") {
          chosen[select.dataset.filter] = select.value;
          any = true;
        }
      });
      return any ? chosen : null;
    }

    function refilter() {
      var chosen = filters();
      var ticket = ++asked;
      if (chosen === null) {
        rows = data.rows;
        status.textContent = firstStatus;
        draw();
        return;
      }
      status.textContent = element.dataset.loading;
      var url = element.dataset.api + "?limit=" + element.dataset.limit +
        "&filters=" + encodeURIComponent(JSON.stringify(chosen));
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (answer) {
          if (ticket !== asked) return;
          rows = answer.records.map(function (record) {
            return data.columns.map(function (c) {
              var value = record[c.name];
              return value === undefined ? null : value;
            });
          });
          var shown = { total: answer.total, shown: rows.length };
          status.textContent = fill(element.dataset[
            answer.total > rows.length ? "filteredSome" : "filteredAll"], shown);
          draw();
        })
        .catch(function () {
          if (ticket === asked) status.textContent = element.dataset.failed;
        });
    }

    section.querySelectorAll("select[data-axis]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.dataset.axis === "group") touched = true;
        draw();
      });
    });
    section.querySelectorAll("select[data-filter]").forEach(function (select) {
      select.addEventListener("change", refilter);
    });
    draw();
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (typeof echarts === "undefined") return;
  document.querySelectorAll(".dataset-chart").forEach(start);
})();
