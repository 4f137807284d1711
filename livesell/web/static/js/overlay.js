// The OBS overlay: pinned product lower third, flash countdown, order ticker.
// Runs unattended for hours: the ticker keeps a fixed number of nodes, timers are replaced
// rather than stacked, and the connection comes back by itself (live.js).

import { el, formatVnd, readBoot, stockLabel } from "./format.js";
import { flashPainter } from "./flash.js";
import { LiveShow } from "./live.js";

const TICKER_MAX = 5;        // visible lines; older ones are removed from the DOM
const TICKER_FADE_MS = 20000; // an order line stays this long, then fades out

const boot = readBoot();
const S = boot.strings || {};
const widgets = new Set(boot.widgets || ["product", "flash", "ticker"]);
const live = new LiveShow(boot.show, { tickerSize: TICKER_MAX, feedSize: 1 });
const $ = (id) => document.getElementById(id);

document.documentElement.style.setProperty("--scale", String(boot.scale || 1));

function paintStock(node, available) {
  const { text, state } = stockLabel(S, available, node.dataset.unit, node.dataset.named);
  if (node.textContent !== text) node.textContent = text;
  node.className = state ? `stock ${state}` : "stock";
}

function drawProduct() {
  if (!widgets.has("product")) return;
  const card = $("product");
  const p = live.pinnedProduct();
  if (!p) { card.hidden = true; return; }
  card.hidden = false;
  const img = $("p-img");
  img.hidden = !p.image;
  if (p.image) img.src = p.image;
  else img.removeAttribute("src");
  $("p-code").textContent = p.code;
  $("p-stars").textContent = p.ocop_stars ? `OCOP ${"★".repeat(p.ocop_stars)}` : "";
  $("p-name").textContent = p.name;
  const items = (p.variants || []).slice(0, 3).map((v) => {
    const key = v.label ? `${p.code}:${v.label}` : p.code;
    const li = el("li");
    const stock = el("span", "stock");
    stock.dataset.sku = key;
    stock.dataset.unit = p.category;
    stock.dataset.named = v.unit || "";
    paintStock(stock, live.state.stock[key]);
    li.append(el("span", "v-label", v.label || ""), " ", el("span", "price", formatVnd(v.price)),
      " ", stock);
    return li;
  });
  $("p-variants").replaceChildren(...items);
}

function drawStock(stock) {
  for (const node of document.querySelectorAll("[data-sku]")) {
    if (node.dataset.sku in stock) paintStock(node, stock[node.dataset.sku]);
  }
}

const paintFlash = flashPainter(live.clock, S);

function drawFlash(flash) {
  if (widgets.has("flash")) paintFlash(flash);
}

function tickerItem(item) {
  const li = el("li");
  const what = el("b", "", item.variant ? `${item.code} ${item.variant}` : item.code);
  li.append(el("strong", "", item.name), ` ${S.ordered_verb} `, what, ` ×${item.qty}`);
  // One timer per line, gone with the line: nothing accumulates over a long show.
  setTimeout(() => li.classList.add("old"), TICKER_FADE_MS);
  return li;
}

function addTicker(items, replace) {
  if (!widgets.has("ticker")) return;
  const list = $("ticker");
  if (replace) list.replaceChildren();
  for (const item of items) list.append(tickerItem(item));
  while (list.children.length > TICKER_MAX) list.firstElementChild.remove();
}

live.addEventListener("snapshot", () => {
  drawProduct();
  drawFlash(live.state.flash);
  addTicker(live.state.ticker, true);
});
live.addEventListener("stock", (e) => drawStock(e.detail));
live.addEventListener("pinned", () => drawProduct());
live.addEventListener("flash", (e) => drawFlash(e.detail));
live.addEventListener("ticker", (e) => addTicker(e.detail, false));
live.addEventListener("status", (e) => { document.body.dataset.live = e.detail.connected ? "on" : "off"; });

live.connect();
