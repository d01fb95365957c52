/* The reports' charts (ECharts): monthly trend, channels, townships, and the flows between the accounts.
   Amounts come as exact yuan text ("1234.50"); they become numbers here only to be drawn. */
(function () {
  "use strict";
  function num(values) { return values.map(function (v) { return Number(v); }); }
  function read(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }
  function bars(el, categories, names, values, horizontal) {
    var chart = window.echarts.init(el);
    var category = { type: "category", data: categories, inverse: !!horizontal };
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: names },
      grid: { left: 8, right: 24, bottom: 8, top: window.innerWidth < 600 ? 64 : 40, containLabel: true },
      xAxis: horizontal ? { type: "value" } : category,
      yAxis: horizontal ? category : { type: "value" },
      series: names.map(function (name, i) { return { name: name, type: "bar", stack: "net", data: num(values[i]) }; })
    });
    return chart;
  }
  function draw() {
    if (typeof window.echarts === "undefined") { return; }
    var charts = [];
    var data = read("rep-data");
    if (data) {
      var trend = document.getElementById("trend-chart");
      if (trend && data.months.length) {
        var t = window.echarts.init(trend);
        t.setOption({
          tooltip: { trigger: "axis" },
          legend: { top: 0, data: data.insurances },
          grid: { left: 8, right: 24, bottom: 8, top: window.innerWidth < 600 ? 64 : 40, containLabel: true },
          xAxis: { type: "category", data: data.months },
          yAxis: { type: "value" },
          series: data.insurances.map(function (name, i) {
            return { name: name, type: "line", smooth: false, data: num(data.month_net[i]) };
          })
        });
        charts.push(t);
      }
      var channel = document.getElementById("channel-chart");
      if (channel && data.channels.length) {
        charts.push(bars(channel, data.channels, data.insurances, data.channel_net, false));
      }
      var town = document.getElementById("township-chart");
      if (town && data.townships.length) {
        town.style.height = Math.max(280, Math.min(640, 80 + data.townships.length * 32)) + "px";
        charts.push(bars(town, data.townships, data.insurances, data.township_net, true));
      }
    }
    var flows = read("rep-flows");
    var flowEl = document.getElementById("flow-chart");
    if (flows && flowEl && flows.links.length) {
      var f = window.echarts.init(flowEl);
      f.setOption({
        tooltip: { trigger: "item" },
        series: [{
          type: "sankey",
          left: 8, right: 120, top: 16, bottom: 16,
          emphasis: { focus: "adjacency" },
          data: flows.nodes,
          links: flows.links.map(function (l) { return { source: l.source, target: l.target, value: Number(l.value) }; }),
          label: { overflow: "break", width: 110 }
        }]
      });
      charts.push(f);
    } else if (flowEl) {
      flowEl.classList.add("empty");
      flowEl.style.minHeight = "0";
      flowEl.style.height = "auto";
      flowEl.textContent = flowEl.dataset.empty || "";
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
