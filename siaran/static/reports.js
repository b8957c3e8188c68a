// The report and dashboard charts. The page writes their numbers as JSON
// (id "report-charts"); this draws each one whose canvas is on the page.
(function () {
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") return;
  var charts = JSON.parse(source.textContent);
  var GREEN = "#198754", RED = "#dc3545", BLUE = "#0d6efd", GREY = "#6c757d";
  var PALETTE = ["#0d6efd", "#d63384", "#212529", "#dc3545", "#20c997", "#fd7e14", "#6f42c1"];

  function titled(data) {
    // Step bars are labelled by number; the tooltip names the activity.
    return {
      callbacks: {
        title: function (items) {
          var i = items[0].dataIndex;
          return data.titles ? items[0].label + ". " + data.titles[i] : items[0].label;
        },
      },
    };
  }

  function draw(id, data, colors, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !data) return;
    data.datasets.forEach(function (set, i) {
      set.backgroundColor = colors[i % colors.length];
    });
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: data.datasets },
      options: Object.assign(
        {
          responsive: true,
          animation: false,
          plugins: { tooltip: titled(data), legend: { position: "bottom" } },
        },
        options || {}
      ),
    });
  }

  var counts = { beginAtZero: true, ticks: { precision: 0 } };
  var stacked = { scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, counts) } };
  function short(label) {
    // Lane names run long; the tooltip keeps the whole name.
    return label.length > 28 ? label.slice(0, 27) + "…" : label;
  }
  draw("chart-compliance", charts.compliance, [GREEN, RED], stacked);
  draw("chart-times", charts.times, [BLUE, GREY], {
    scales: { y: { type: "logarithmic", title: { display: true, text: charts.times && charts.times.unit } } },
  });
  if (charts.lanes) {
    charts.lanes.datasets[0].stack = "done";
    charts.lanes.datasets[1].stack = "done";
    charts.lanes.datasets[2].stack = "open";
  }
  draw("chart-lanes", charts.lanes, [GREEN, RED, BLUE], {
    indexAxis: "y",
    scales: {
      x: Object.assign({ stacked: true }, counts),
      y: { stacked: true, ticks: { callback: function (value) { return short(this.getLabelForValue(value)); } } },
    },
  });
  draw("chart-channels", charts.channels, PALETTE, { scales: { y: counts } });
  draw("chart-in-flight", charts.in_flight, [BLUE, RED], stacked);
  draw("chart-over", charts.over, [RED], {
    scales: { y: { beginAtZero: true, title: { display: true, text: charts.over && charts.over.unit } } },
  });
  draw("chart-published", charts.published, PALETTE, {
    plugins: { legend: { display: false } },
    scales: { y: counts },
  });
})();
