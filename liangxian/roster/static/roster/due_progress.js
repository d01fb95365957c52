/* The progress bar chart (不漏一人): paid and still to pay per village, with the target as a line. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("progress-chart");
    var source = document.getElementById("progress-data");
    if (!el || !source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    el.style.height = Math.max(260, Math.min(520, 60 + data.labels.length * 28)) + "px";
    el.style.width = "100%";
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [el.dataset.paid, el.dataset.toPay, el.dataset.target] },
      grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.labels, inverse: true },
      series: [
        { name: el.dataset.paid, type: "bar", stack: "roster", data: data.paid },
        { name: el.dataset.toPay, type: "bar", stack: "roster", data: data.to_pay },
        { name: el.dataset.target, type: "scatter", symbol: "diamond", symbolSize: 12, data: data.target }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
