/* The collection progress charts (ECharts): paid and outstanding per area, and collection by day. Fen in, yuan shown. */
(function () {
  "use strict";
  function yuan(values) { return values.map(function (v) { return v / 100; }); }
  function draw() {
    var source = document.getElementById("dash-data");
    if (!source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    var top = window.innerWidth < 600 ? 72 : 48;  // room for a legend that wraps on a phone
    var area = document.getElementById("area-chart");
    if (area && data.labels.length) {
      area.style.height = Math.max(280, Math.min(640, 60 + data.labels.length * 30)) + "px";
      var a = window.echarts.init(area);
      a.setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, data: [area.dataset.own, area.dataset.gov, area.dataset.outstanding] },
        grid: { left: 8, right: 40, bottom: 8, top: top, containLabel: true },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: data.labels, inverse: true },
        series: [
          { name: area.dataset.own, type: "bar", stack: "due", data: yuan(data.own) },
          { name: area.dataset.gov, type: "bar", stack: "due", data: yuan(data.gov) },
          { name: area.dataset.outstanding, type: "bar", stack: "due", data: yuan(data.outstanding) }
        ]
      });
      charts.push(a);
    }
    var day = document.getElementById("day-chart");
    if (day && data.days.length) {
      day.style.height = "300px";
      var d = window.echarts.init(day);
      d.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0, data: [day.dataset.paid, day.dataset.cash, day.dataset.cumulative] },
        grid: { left: 8, right: 8, bottom: 8, top: top, containLabel: true },
        xAxis: { type: "category", data: data.days },
        yAxis: [{ type: "value" }, { type: "value" }],
        series: [
          { name: day.dataset.paid, type: "bar", data: yuan(data.day_paid) },
          { name: day.dataset.cash, type: "bar", data: yuan(data.day_cash) },
          { name: day.dataset.cumulative, type: "line", yAxisIndex: 1, data: yuan(data.day_cumulative) }
        ]
      });
      charts.push(d);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
