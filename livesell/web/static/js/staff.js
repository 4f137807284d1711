// Staff console: the live order queue and the review queue.
// Every action sends the order's version; a 409 brings back the fresh order, which replaces
// the row, and the conflict is said out loud rather than retried silently.
import { api, clearNotice, connectStaff, el, lang, notify, show, sku, t, vnd } from "./console.js";
import { confidenceText, reasonText } from "./reading.js";
import { payTools, watchTransfers } from "./payments.js";

const base = `/api/shows/${encodeURIComponent(show.id)}`;
const orders = new Map(); // code -> order
const rows = new Map(); // code -> <li>
const reviews = new Map(); // id -> review item
let lineup = [];
let selected = null;
let loaded = false;

const list = document.getElementById("orders");
const search = document.getElementById("search");
const statusFilter = document.getElementById("filter-status");
const productFilter = document.getElementById("filter-product");

// Buttons per status, mirroring the server's transitions; the server still decides.
const ACTIONS = {
  confirm: ["captured"],
  reject: ["captured", "confirmed"],
  paid: ["confirmed"],
  shipped: ["paid"],
};
const EDITABLE = ["captured", "confirmed"];

function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase();
}

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(lang === "en" ? "en-GB" : "vi-VN",
    { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function report(result, code) {
  const error = result.error;
  if (error.code === "stale_version") {
    if (result.data && result.data.order) upsert(result.data.order, { force: true });
    const row = rows.get(code);
    if (row) { row.classList.remove("conflict"); void row.offsetWidth; row.classList.add("conflict"); }
    notify(t("console.conflict", { code }), "conflict");
  } else if (error.code === "insufficient_stock") {
    notify(t("console.insufficient", { message: error.message }));
  } else {
    notify(t("console.error", { message: error.message }));
  }
}

async function act(code, action) {
  const order = orders.get(code);
  if (!order) return;
  clearNotice();
  const result = await api("POST", `/api/orders/${encodeURIComponent(code)}/${action}`,
    { version: order.version });
  if (result.ok) {
    upsert(result.data);
    document.getElementById("announce").textContent = t("console.done", { code });
  } else {
    report(result, code);
  }
}

function buildRow(order) {
  const actions = el("div", { class: "row-actions" });
  for (const [action, from] of Object.entries(ACTIONS)) {
    actions.append(el("button", { type: "button", class: `btn btn-small act-${action}`,
      disabled: !from.includes(order.status), dataset: { action },
      onclick: () => act(order.code, action) }, t(`console.action.${action}`)));
  }
  actions.append(el("button", { type: "button", class: "btn btn-small btn-quiet act-edit",
    disabled: !EDITABLE.includes(order.status), onclick: () => openEdit(order.code) },
  t("console.action.edit")));

  const lines = el("ul", { class: "lines" });
  for (const line of order.lines) {
    lines.append(el("li", { class: `line line-${line.state}` },
      el("span", { class: "code" }, sku(line.code, line.variant)),
      ` × ${line.qty} `,
      el("span", { class: "line-state" }, t(`console.line.${line.state}`)),
      el("span", { class: "num" }, vnd(line.amount)),
      line.said ? el("div", { class: "line-reading muted small" },
        el("q", { class: "line-said", title: t("console.reading.said") }, line.said), " ",
        el("span", { class: "line-confidence" }, confidenceText(line.confidence))) : ""));
  }
  const contact = order.contact || {};
  const contactText = [contact.name, contact.phone, contact.address].filter(Boolean).join(" · ");
  const row = el("li", { class: "order", tabindex: "-1", dataset: { code: order.code,
    status: order.status, version: order.version } },
  el("div", { class: "order-head" },
    el("span", { class: "order-code" }, order.code),
    el("span", { class: "buyer" }, order.buyer_name || "—"),
    el("span", { class: `badge status-${order.status}` }, t(`console.order.status.${order.status}`)),
    el("time", { class: "muted small", datetime: new Date(order.created_at * 1000).toISOString() },
      clock(order.created_at)),
    el("span", { class: "total" }, vnd(order.total))),
  lines,
  el("div", { class: "contact muted" }, contactText || t("console.contact.none")),
  payTools(order),
  actions);
  row.addEventListener("click", (event) => {
    if (!event.target.closest("button")) select(order.code, false);
  });
  return row;
}

function matches(order) {
  if (statusFilter.value && order.status !== statusFilter.value) return false;
  if (productFilter.value && !order.lines.some((l) => l.code === productFilter.value)) return false;
  const query = fold(search.value.trim());
  if (!query) return true;
  const contact = order.contact || {};
  const phone = (contact.phone || "").replace(/\D/g, "");
  const digits = query.replace(/\D/g, "");
  return fold(order.code).includes(query) || fold(order.buyer_name).includes(query)
    || fold(contact.name).includes(query) || (digits.length >= 3 && phone.includes(digits));
}

// Insert or replace one order's row, newest first. An older version than the one held is a
// late push and is dropped, unless it is the server's answer to a conflict.
function upsert(order, { force = false, fresh = false } = {}) {
  const held = orders.get(order.code);
  if (held && !force && held.version > order.version) return;
  orders.set(order.code, order);
  const row = buildRow(order);
  row.hidden = !matches(order);
  const old = rows.get(order.code);
  if (old) {
    if (old.classList.contains("conflict")) row.classList.add("conflict");
    old.replaceWith(row);
  } else {
    let before = null;
    for (const other of list.children) {
      if (orders.get(other.dataset.code).created_at < order.created_at) { before = other; break; }
    }
    list.insertBefore(row, before);
  }
  rows.set(order.code, row);
  if (selected === order.code) row.classList.add("selected");
  if (fresh) {
    row.classList.add("fresh");
    setTimeout(() => row.classList.remove("fresh"), 4000);
    document.getElementById("announce").textContent =
      t("console.new_order", { code: order.code, name: order.buyer_name || "" });
  }
  counts();
}

function counts() {
  let shown = 0;
  for (const row of rows.values()) if (!row.hidden) shown += 1;
  document.getElementById("count").textContent = t("console.count", { shown, total: rows.size });
  document.getElementById("empty").hidden = shown > 0;
}

function refilter() {
  for (const [code, row] of rows) row.hidden = !matches(orders.get(code));
  counts();
}

function visible() {
  return [...list.children].filter((row) => !row.hidden);
}

function select(code, focus = true) {
  const previous = rows.get(selected);
  previous?.classList.remove("selected");
  previous?.removeAttribute("aria-current");
  selected = code;
  const row = rows.get(code);
  if (!row) return;
  row.classList.add("selected");
  row.setAttribute("aria-current", "true");
  if (focus) row.focus({ preventScroll: true });
  row.scrollIntoView({ block: "nearest" });
}

function move(step) {
  const shown = visible();
  if (!shown.length) return;
  let index = shown.findIndex((row) => row.dataset.code === selected);
  index = index < 0 ? 0 : Math.min(shown.length - 1, Math.max(0, index + step));
  select(shown[index].dataset.code);
}

// --- edit dialog ---------------------------------------------------------------------------

const dialog = document.getElementById("edit");
let editing = null;

function openEdit(code) {
  const order = orders.get(code);
  if (!order) return;
  editing = code;
  document.getElementById("edit-h").textContent = t("console.edit.title", { code });
  const box = document.getElementById("edit-lines");
  box.replaceChildren();
  // The API sets one quantity per product variant (summed over its lines), so several
  // comments for the same variant show as one field.
  const totals = new Map();
  for (const line of order.lines.filter((l) => l.state !== "released")) {
    const key = sku(line.code, line.variant);
    const entry = totals.get(key) || { code: line.code, variant: line.variant, qty: 0 };
    entry.qty += line.qty;
    totals.set(key, entry);
  }
  let index = 0;
  for (const [key, entry] of totals) {
    const id = `edit-qty-${index++}`;
    box.append(el("div", { class: "edit-line" },
      el("label", { for: id }, `${key} — ${t("console.edit.qty")}`),
      el("input", { id, type: "number", min: "0", step: "1", value: entry.qty, inputmode: "numeric",
        class: "qty", dataset: { code: entry.code, variant: entry.variant, qty: entry.qty } })));
  }
  const contact = order.contact || {};
  document.getElementById("edit-name").value = contact.name || "";
  document.getElementById("edit-phone").value = contact.phone || "";
  document.getElementById("edit-address").value = contact.address || "";
  dialog.showModal();
}

document.getElementById("edit-cancel").addEventListener("click", () => dialog.close());
document.getElementById("edit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const order = orders.get(editing);
  if (!order) { dialog.close(); return; }
  const body = { version: order.version };
  const inputs = [...document.querySelectorAll("#edit-lines input")];
  if (inputs.some((input) => input.value !== input.dataset.qty)) {
    body.lines = inputs.map((input) => ({ code: input.dataset.code, variant: input.dataset.variant,
      qty: Number.parseInt(input.value, 10) || 0 }));
  }
  const contact = order.contact || {};
  const next = { name: document.getElementById("edit-name").value.trim(),
    phone: document.getElementById("edit-phone").value.trim(),
    address: document.getElementById("edit-address").value.trim() };
  if (Object.keys(next).some((key) => next[key] !== (contact[key] || ""))) body.contact = next;
  dialog.close();
  if (!body.lines && !body.contact) return;
  clearNotice();
  const result = await api("PATCH", `/api/orders/${encodeURIComponent(order.code)}`, body);
  if (result.ok) upsert(result.data); else report(result, order.code);
});

// --- review queue --------------------------------------------------------------------------

// Prefill the picker: a lineup code named by the parser's reason ("which variant of B5?")
// or in the comment itself, else the pinned product.
function guess(item) {
  for (const text of [item.reason, item.text]) {
    const words = fold(text).toUpperCase().split(/[^A-Z0-9]+/);
    const found = lineup.find((p) => words.includes(p.code.toUpperCase()));
    if (found) return found.code;
  }
  return show.pinned || lineup[0]?.code;
}

function buildReview(item) {
  const picker = el("select", { "aria-label": t("console.product") });
  const code = guess(item);
  for (const product of lineup) {
    for (const variant of product.variants) {
      const key = sku(product.code, variant.label);
      picker.append(el("option", { value: key, selected: product.code === code
        && variant === product.variants[0], dataset: { code: product.code, variant: variant.label } },
      `${key} — ${product.name}`));
    }
  }
  const qty = el("input", { type: "number", min: "1", step: "1", value: "1", class: "qty",
    inputmode: "numeric", "aria-label": t("console.edit.qty") });
  const form = el("form", { class: "review-form" }, picker, qty,
    el("button", { type: "submit", class: "btn btn-small btn-primary" }, t("console.review.resolve")),
    el("button", { type: "button", class: "btn btn-small btn-quiet",
      onclick: () => reviewAction(item.id, "dismiss") }, t("console.review.dismiss")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const option = picker.selectedOptions[0];
    reviewAction(item.id, "resolve", { items: [{ code: option.dataset.code,
      variant: option.dataset.variant, qty: Number.parseInt(qty.value, 10) || 1 }] });
  });
  return el("li", { class: "review-item", dataset: { id: item.id } },
    el("div", { class: "review-head" },
      el("span", { class: "buyer" }, item.author_name || "—"),
      el("time", { class: "muted small" }, clock(item.created_at))),
    el("blockquote", { class: "comment-text" }, item.text),
    el("div", { class: "muted small review-reason", title: item.reason }, reasonText(item.reason)),
    form);
}

async function reviewAction(id, action, body = {}) {
  clearNotice();
  const result = await api("POST", `/api/review/${id}/${action}`, body);
  if (!result.ok) {
    if (result.error.code === "insufficient_stock") report(result, "");
    else notify(t("console.error", { message: result.error.message }));
    return;
  }
  removeReview(id);
  if (action === "resolve" && result.data && result.data.code) {
    upsert(result.data);
    notify(t("console.review.resolved", { order: result.data.code }), "ok");
  }
}

function removeReview(id) {
  reviews.delete(id);
  document.querySelector(`#review li[data-id="${CSS.escape(String(id))}"]`)?.remove();
  reviewCount();
}

function addReview(item) {
  if (item.status && item.status !== "open") { removeReview(item.id); return; }
  if (reviews.has(item.id)) return;
  reviews.set(item.id, item);
  document.getElementById("review").prepend(buildReview(item));
  reviewCount();
}

function reviewCount() {
  document.getElementById("review-count").textContent = reviews.size ? String(reviews.size) : "";
  document.getElementById("review-empty").hidden = reviews.size > 0;
}

// --- keyboard ------------------------------------------------------------------------------

// Shortcuts act only on a row the user can see: a filter may have hidden the selected one.
function shownSelection() {
  const row = rows.get(selected);
  return row && !row.hidden ? selected : null;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable]")) {
    if (event.key === "Escape" && target === search) search.blur();
    return;
  }
  const on = (action) => () => { const code = shownSelection(); if (code) act(code, action); };
  const keys = { j: () => move(1), k: () => move(-1), c: on("confirm"), r: on("reject"),
    p: on("paid"), "/": () => search.focus() };
  const run = keys[event.key];
  if (run) { event.preventDefault(); run(); }
});

search.addEventListener("input", refilter);
statusFilter.addEventListener("change", refilter);
productFilter.addEventListener("change", refilter);
document.getElementById("notice-close").addEventListener("click", clearNotice);

// --- loading -------------------------------------------------------------------------------

// Called on every (re)connect: the socket has joined the room first, so a fetch now can't
// miss a change; anything older than what we hold is dropped by the version check.
async function sync() {
  const [current, review] = await Promise.all([api("GET", `${base}/orders`),
    api("GET", `${base}/review`)]);
  if (current.ok) {
    for (const order of current.data.orders) upsert(order);
  } else {
    notify(t("console.error", { message: current.error.message }));
  }
  if (review.ok) {
    const open = new Set(review.data.review.map((item) => item.id));
    for (const id of [...reviews.keys()]) if (!open.has(id)) removeReview(id);
    for (const item of review.data.review) addReview(item);
  }
  loaded = true;
  reviewCount();
  counts();
  if (!selected && visible().length) select(visible()[0].dataset.code, false);
}

async function start() {
  const snapshot = await api("GET", base);
  if (snapshot.ok) {
    lineup = snapshot.data.lineup;
    show.pinned = snapshot.data.pinned;
    for (const product of lineup) {
      productFilter.append(el("option", { value: product.code }, `${product.code} — ${product.name}`));
    }
  }
  const socket = connectStaff({
    connect: sync,
    order: (order) => upsert(order, { fresh: loaded && !orders.has(order.code) }),
    review: addReview,
  });
  watchTransfers(socket);
}

counts();
reviewCount();
start();
