// Host console: lineup with live stock, pin, flash deal, start/end, restock, live stats.
import "./connectors.js";
import "./first_paid.js";
import { api, baseUrl, clearNotice, connectStaff, el, notify, num, show, sku, t, vnd } from "./console.js";
import "./host_booth.js";
import "./payments.js";

const base = `/api/shows/${encodeURIComponent(show.id)}`;
const state = { lineup: [], pinned: show.pinned, pinnedVariant: show.pinned_variant ?? null,
  flash: show.flash, status: show.status, offset: 0 };
const cells = new Map(); // "A1:1kg" -> {available, held, sold} output elements
const pinButtons = new Map();
const sizeButtons = new Map(); // "A1:1kg" -> button: which size "+1" means while pinned

function fail(result) {
  notify(t("console.error", { message: result.error.message }));
}

function setStatus(status) {
  state.status = status;
  const badge = document.getElementById("show-status");
  badge.textContent = t(`console.status.${status}`);
  badge.className = `badge status-${status}`;
  document.getElementById("start-show").hidden = status !== "draft";
  document.getElementById("end-show").hidden = status !== "live";
  document.getElementById("report-link").hidden = status !== "ended";
}

function applyShow(doc) {
  setStatus(doc.status);
  state.pinned = doc.pinned;
  state.pinnedVariant = doc.pinned_variant ?? null;
  state.flash = doc.flash;
  renderPins();
  renderFlash();
}

function renderPins() {
  for (const [code, button] of pinButtons) {
    const on = state.pinned === code;
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? t("console.pinned") : t("console.pin");
    button.closest(".product")?.classList.toggle("is-pinned", on);
  }
  for (const [key, button] of sizeButtons) {
    const on = sku(state.pinned ?? "", state.pinnedVariant ?? "") === key;
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? t("console.pin.size.on") : t("console.pin.size");
  }
}

function setLevel(level) {
  const row = cells.get(sku(level.code, level.variant));
  if (!row) return;
  row.available.textContent = num(level.available);
  row.held.textContent = num(level.held);
  row.sold.textContent = num(level.sold);
  row.row.classList.toggle("low", level.available <= 3);
}

async function pin(code, variant = null) {
  clearNotice();
  const same = state.pinned === code && (variant === null || state.pinnedVariant === variant);
  const result = await api("POST", `${base}/pin`, same ? { code: null } : { code, variant });
  if (result.ok) applyShow(result.data);
  else fail(result);
}

async function restock(code, variant, input) {
  const delta = Number.parseInt(input.value, 10);
  if (!Number.isInteger(delta) || delta === 0) { input.focus(); return; }
  clearNotice();
  const result = await api("POST", `/api/products/${encodeURIComponent(code)}/stock`, { variant, delta });
  if (result.ok) { setLevel(result.data); input.value = ""; }
  else fail(result);
}

function renderLineup() {
  const root = document.getElementById("lineup");
  root.replaceChildren();
  cells.clear();
  pinButtons.clear();
  sizeButtons.clear();
  const select = document.getElementById("flash-sku");
  select.replaceChildren();
  for (const product of state.lineup) {
    const pinButton = el("button", { type: "button", class: "btn btn-pin", "aria-pressed": "false",
      dataset: { pin: product.code }, onclick: () => pin(product.code) }, t("console.pin"));
    pinButtons.set(product.code, pinButton);
    const body = el("tbody");
    for (const variant of product.variants) {
      const key = sku(product.code, variant.label);
      const out = { available: el("output", {}, num(variant.available)), held: el("output", {}, "0"),
        sold: el("output", {}, "0") };
      const input = el("input", { type: "number", step: "1", inputmode: "numeric", class: "qty",
        "aria-label": t("console.restock.qty", { sku: key }) });
      const size = el("th", { scope: "row" }, variant.label || "—");
      if (product.variants.length > 1) {
        // Pinning a size lets "+1" and "chốt" without a size mean this one.
        const button = el("button", { type: "button", class: "btn btn-quiet btn-small btn-pin-size",
          "aria-pressed": "false", onclick: () => pin(product.code, variant.label) },
          t("console.pin.size"));
        sizeButtons.set(key, button);
        size.append(" ", button);
      }
      const row = el("tr", { dataset: { sku: key } },
        size,
        el("td", { class: "num", dataset: { label: t("console.price") } }, vnd(variant.price)),
        el("td", { class: "num strong", dataset: { label: t("console.available") } }, out.available),
        el("td", { class: "num", dataset: { label: t("console.held") } }, out.held),
        el("td", { class: "num", dataset: { label: t("console.sold") } }, out.sold),
        el("td", { class: "restock" }, input,
          el("button", { type: "button", class: "btn btn-quiet btn-small",
            onclick: () => restock(product.code, variant.label, input) }, t("console.restock"))));
      out.row = row;
      cells.set(key, out);
      body.append(row);
      select.append(el("option", { value: key, dataset: { code: product.code, variant: variant.label,
        price: variant.price } }, `${product.code} ${variant.label} — ${product.name}`));
    }
    root.append(el("article", { class: "product", dataset: { code: product.code } },
      el("div", { class: "product-head" },
        el("span", { class: "code" }, product.code),
        el("span", { class: "name" }, product.name),
        pinButton),
      el("table", { class: "variants" },
        el("thead", {}, el("tr", {},
          el("th", { scope: "col" }, t("console.variant")),
          el("th", { scope: "col", class: "num" }, t("console.price")),
          el("th", { scope: "col", class: "num" }, t("console.available")),
          el("th", { scope: "col", class: "num" }, t("console.held")),
          el("th", { scope: "col", class: "num" }, t("console.sold")),
          el("th", { scope: "col" }, t("console.restock")))),
        body)));
  }
  renderPins();
  const first = select.selectedOptions[0];
  const price = document.getElementById("flash-price");
  if (first && !price.value) price.value = first.dataset.price;
}

let flashTimer = null;
function renderFlash() {
  const text = document.getElementById("flash-state");
  const stop = document.getElementById("flash-stop");
  clearInterval(flashTimer);
  const flash = state.flash;
  const left = () => Math.max(0, Math.round(flash.ends_at - (Date.now() / 1000 + state.offset)));
  if (!flash || left() <= 0) {
    text.textContent = t("console.flash.none");
    text.classList.remove("live");
    stop.hidden = true;
    return;
  }
  const draw = () => {
    const seconds = left();
    if (seconds <= 0) { state.flash = null; renderFlash(); return; }
    const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    const quota = flash.quantity ? ` · ${flash.taken || 0}/${flash.quantity}` : "";
    const out = flash.quantity && (flash.taken || 0) >= flash.quantity ? ` · ${t("console.flash.sold_out")}` : "";
    text.textContent = t("console.flash.running", { code: sku(flash.code, flash.variant || ""),
      price: vnd(flash.price), left: clock }) + quota + out;
  };
  text.classList.add("live");
  stop.hidden = false;
  draw();
  flashTimer = setInterval(draw, 1000);
}

function applyStats(stats) {
  document.getElementById("stat-viewers").textContent = num(stats.viewers);
  document.getElementById("stat-opm").textContent = num(stats.orders_per_min);
  document.getElementById("stat-revenue").textContent = vnd(stats.revenue);
  document.getElementById("stat-paid").textContent = vnd(stats.paid);
  document.getElementById("stat-unpaid").textContent = vnd(stats.unpaid);
  // Flash units taken move with every order: keep "4/10" (and "HẾT SUẤT") live here too.
  const flash = stats.flash;
  if (flash && state.flash && flash.started_at === state.flash.started_at
      && flash.taken !== state.flash.taken) {
    state.flash = { ...state.flash, taken: flash.taken };
    renderFlash();
  }
  for (const level of stats.products || []) setLevel(level);
}

async function load() {
  const snapshot = await api("GET", base);
  if (!snapshot.ok) { fail(snapshot); return; }
  state.lineup = snapshot.data.lineup;
  state.offset = snapshot.data.server_time - Date.now() / 1000;
  state.pinned = snapshot.data.pinned;
  state.flash = snapshot.data.flash;
  setStatus(snapshot.data.show.status);
  renderLineup();
  renderFlash();
  const stock = await api("GET", `${base}/stock`);
  if (stock.ok) for (const level of stock.data) setLevel(level);
}

function wire() {
  for (const input of document.querySelectorAll("[data-path]")) {
    input.value = baseUrl + input.dataset.path;
  }
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      input.select();
      try { await navigator.clipboard.writeText(input.value); } catch { document.execCommand("copy"); }
      button.textContent = t("console.links.copied");
      setTimeout(() => { button.textContent = t("console.links.copy"); }, 1500);
    });
  }
  document.getElementById("flash-sku").addEventListener("change", (event) => {
    const option = event.target.selectedOptions[0];
    if (option) document.getElementById("flash-price").value = option.dataset.price;
  });
  document.getElementById("flash-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearNotice();
    const option = document.getElementById("flash-sku").selectedOptions[0];
    if (!option) return;
    const body = { code: option.dataset.code,
      price: Number.parseInt(document.getElementById("flash-price").value, 10),
      seconds: Number.parseInt(document.getElementById("flash-seconds").value, 10) };
    if (option.dataset.variant) body.variant = option.dataset.variant;
    const quantity = Number.parseInt(document.getElementById("flash-quantity").value, 10);
    if (Number.isInteger(quantity)) body.quantity = quantity;
    const result = await api("POST", `${base}/flash`, body);
    if (result.ok) { state.offset = 0; applyShow(result.data); resyncClock(); } else fail(result);
  });
  document.getElementById("flash-stop").addEventListener("click", async () => {
    const result = await api("DELETE", `${base}/flash`);
    if (result.ok) applyShow(result.data); else fail(result);
  });
  document.getElementById("start-show").addEventListener("click", async () => {
    const result = await api("POST", `${base}/start`);
    if (result.ok) applyShow(result.data); else fail(result);
  });
  const dialog = document.getElementById("confirm-end");
  document.getElementById("end-show").addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "end") return;
    const result = await api("POST", `${base}/end`);
    if (result.ok) applyShow(result.data); else fail(result);
  });
}

// The flash end time is on the server's clock; re-read it so the countdown doesn't drift.
async function resyncClock() {
  const snapshot = await api("GET", base);
  if (snapshot.ok) {
    state.offset = snapshot.data.server_time - Date.now() / 1000;
    renderFlash();
  }
}

wire();
load().then(() => connectStaff({ stats: applyStats }));
