/* Promoter dashboard charts: draws every element with data-chart from the JSON script its
 * data-source names, with Plotly (installed from the plotly wheel, served by the app). */
(function () {
  "use strict";
  const COLORS = { promoter: "#15803d", passive: "#a16207", detractor: "#b91c1c", line: "#4338ca" };
  const LAYOUT = {
    margin: { l: 48, r: 48, t: 8, b: 36 },
    font: { family: "system-ui, sans-serif", size: 12, color: "#1f2937" },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    hovermode: "x unified",
    showlegend: true,
    legend: { orientation: "h", y: -0.2 },
  };
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

  function data(el) {
    const source = document.getElementById(el.dataset.source);
    return source ? JSON.parse(source.textContent) : [];
  }

  function trend(el) {
    const points = data(el);
    const kind = el.dataset.kind;
    const unit = kind === "csat" ? "%" : "";
    const x = points.map((p) => p.date);
    const filled = points.filter((p) => p.score !== null);
    const fx = filled.map((p) => p.date);
    const traces = [
      { x: fx, y: filled.map((p) => p.high), type: "scatter", mode: "lines", line: { width: 0 },
        hoverinfo: "skip", showlegend: false, yaxis: "y" },
      { x: fx, y: filled.map((p) => p.low), type: "scatter", mode: "lines", line: { width: 0 },
        fill: "tonexty", fillcolor: "rgba(67,56,202,0.15)", name: "95% interval",
        hovertemplate: "interval low %{y:.1f}" + unit + "<extra></extra>", yaxis: "y" },
      { x: fx, y: filled.map((p) => p.score), type: "scatter", mode: "lines+markers",
        line: { color: COLORS.line, width: 2 }, name: kind.toUpperCase(),
        customdata: filled.map((p) => [p.high, p.n]),
        hovertemplate: "%{y:.1f}" + unit + " (up to %{customdata[0]:.1f}), n = %{customdata[1]}<extra></extra>",
        yaxis: "y" },
      { x, y: points.map((p) => p.n), type: "bar", name: "responses", marker: { color: "rgba(107,114,128,0.35)" },
        hovertemplate: "%{y} responses<extra></extra>", yaxis: "y2" },
    ];
    const range = kind === "nps" ? [-100, 100] : kind === "csat" ? [0, 100] : [1, 7];
    const layout = Object.assign({}, LAYOUT, {
      yaxis: { title: { text: kind.toUpperCase() }, range, zeroline: kind === "nps" },
      // Count bars fill the lower third, under the score line.
      yaxis2: { title: { text: "responses" }, overlaying: "y", side: "right", showgrid: false,
                range: [0, 3 * Math.max(1, ...points.map((p) => p.n))] },
      xaxis: { type: "date" },
    });
    window.Plotly.newPlot(el, traces, layout, CONFIG);
  }

  function distribution(el) {
    const bins = data(el);
    window.Plotly.newPlot(
      el,
      [{ x: bins.map((b) => String(b.score)), y: bins.map((b) => b.n), type: "bar",
         marker: { color: bins.map((b) => COLORS[b.category]) },
         hovertemplate: "score %{x}: %{y} responses<extra></extra>" }],
      Object.assign({}, LAYOUT, { showlegend: false, hovermode: "closest", xaxis: { type: "category" } }),
      CONFIG
    );
  }

  const DRAW = { trend, distribution };

  function drawAll(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-chart]").forEach((el) => {
      const draw = DRAW[el.dataset.chart];
      if (draw) {
        draw(el);
        el.dataset.drawn = "true";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
})();
