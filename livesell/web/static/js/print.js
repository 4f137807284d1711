// Packing list and slips: print, then tell the server which orders were printed.
const data = JSON.parse(document.getElementById("print-data").textContent);
const state = document.getElementById("print-state");
let asked = false;

async function markPrinted() {
  if (!data.codes.length) return;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const response = await fetch(`/api/shows/${encodeURIComponent(data.show)}/printed`, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ codes: data.codes }),
  }).catch(() => null);
  if (state) state.textContent = response && response.ok ? state.dataset.done || "✓" : "";
}

document.getElementById("print")?.addEventListener("click", () => { asked = true; window.print(); });
// Chromium and Firefox fire afterprint when the dialog closes (printed or not): mark only when
// the print was asked for from this page's button or the browser's own menu.
window.addEventListener("beforeprint", () => { asked = true; });
window.addEventListener("afterprint", () => { if (asked) markPrinted(); asked = false; });
