// Report charts: comments and orders per minute (lines), revenue per minute (bars), drawn by
// the vendored uPlot from the figures in #report-data. Redrawn to the box's width on resize
// and before printing, so a phone and a sheet of paper both get a chart that fits.
/* global uPlot */
const data = JSON.parse(document.getElementById("report-data").textContent);
const tz = data.tz_offset || 0;
const xs = data.minutes.map((m) => m + tz); // uPlot draws UTC; shift to show time
const charts = [];

function money(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1).replace(".", ",")} tr`;
  if (v >= 1e3) return `${Math.round(v / 1e3)}k`;
  return String(v);
}

// 24-hour clock as the coops read it ("15:05"); xs are already shifted to show time.
function hhmm(u, vals) {
  return vals.map((v) => {
    const d = new Date(v * 1000);
    return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  });
}

function size(box) {
  const width = Math.max(240, Math.floor(box.clientWidth));
  return { width, height: Math.round(Math.min(320, Math.max(200, width * 0.55))) };
}

function make(id, series, values, opts = {}) {
  const box = document.getElementById(id);
  if (!box) return;
  const chart = new uPlot({
    ...size(box),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
    // At least ten minutes wide, from zero up: one busy minute still reads as a bar, not a
    // dot floating in a span of years.
    scales: {
      x: { time: true, range: (u, min, max) => [Math.min(min, max - 540) - 30, max + 30] },
      y: { range: (u, min, max) => [0, Math.max(opts.money ? 1000 : 5, max * 1.15)] },
    },
    axes: [{ space: 60, values: hhmm }, { size: 56, values: opts.money ? (u, vals) => vals.map(money) : undefined }],
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    series: [{}, ...series],
  }, [xs, ...values], box);
  charts.push([chart, box]);
}

const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
make("chart-minutes", [
  { label: data.labels.comments, stroke: "#0b6e4f", width: 2 },
  { label: data.labels.orders, stroke: "#b54708", width: 2 },
], [data.comments, data.orders]);
make("chart-revenue", [
  { label: data.labels.revenue, stroke: "#175cd3", fill: "rgba(23,92,211,.35)", paths: bars,
    points: { show: false } },
], [data.revenue], { money: true });

function fit() {
  for (const [chart, box] of charts) chart.setSize(size(box));
}
let pending = null;
window.addEventListener("resize", () => { clearTimeout(pending); pending = setTimeout(fit, 100); });
window.addEventListener("beforeprint", fit);
document.body.dataset.charts = String(charts.length);
