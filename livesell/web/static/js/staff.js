// Staff console: the live order queue and the review queue.
// Every action sends the order's version; a 409 brings back the fresh order, which replaces
// the row, and the conflict is said out loud rather than retried silently.
import { api, clearNotice, connectStaff, el, me, notify, show, sku, t, vnd } from "./console.js";
import { editDialog } from "./staff_edit.js";
import { reviewQueue } from "./staff_review.js";
import { alertNewOrder, applyClaim, applyRoster, assignee, claimControls, clock, fold, liveClaim,
  loadClaims, roster, setDuty, wireAlerts, withUndo } from "./staff_tools.js";
import { confidenceText } from "./reading.js";
import { payTools, watchTransfers } from "./payments.js";

const base = `/api/shows/${encodeURIComponent(show.id)}`;
const orders = new Map(); // code -> order
const rows = new Map(); // code -> <li>
let lineup = [];
let selected = null;
let loaded = false;
const picked = new Set(); // codes ticked for a bulk action
const printed = new Map(); // code -> when its slip or list was printed
const pendingReject = new Set(); // codes waiting out their undo time
const UNDO_SECONDS = 5;
const FRESH_MS = 5000; // as long as the fresh-fade animation in console.css
const freshSince = new Map(); // code -> when it arrived, while its highlight fades

// Extra badges on an order's head: each function gets the order and returns a node or null.
// Other features push their own here (payment state, customer flags...).
export const ROW_BADGES = [
  (order) => (printed.has(order.code)
    ? el("span", { class: "badge badge-printed" }, t("console.printed")) : null),
];

const list = document.getElementById("orders");
const search = document.getElementById("search");
const statusFilter = document.getElementById("filter-status");
const productFilter = document.getElementById("filter-product");
const assignFilter = document.getElementById("assign");

// Buttons per status, mirroring the server's transitions; the server still decides.
const ACTIONS = {
  confirm: ["captured"],
  reject: ["captured", "confirmed"],
  paid: ["confirmed"],
  shipped: ["paid"],
};
const EDITABLE = ["captured", "confirmed"];

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

async function act(code, action, { confirmed = false } = {}) {
  const order = orders.get(code);
  if (!order) return;
  if (action === "reject" && !confirmed) { askReject(code); return; }
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

// Reject asks first (inline, on the row), then waits UNDO_SECONDS with an undo button before
// it is sent: a mis-tap at rush hour costs nothing.
function askReject(code) {
  const row = rows.get(code);
  if (!row || pendingReject.has(code) || row.querySelector(".reject-ask")) return;
  const ask = el("div", { class: "reject-ask", role: "group" },
    el("span", {}, t("console.reject.ask", { code })),
    el("button", { type: "button", class: "btn btn-small btn-danger act-reject-yes",
      onclick: () => { ask.remove(); rejectLater(code); } }, t("console.reject.yes")),
    el("button", { type: "button", class: "btn btn-small btn-quiet",
      onclick: () => ask.remove() }, t("console.reject.no")));
  row.append(ask);
  ask.querySelector(".act-reject-yes").focus({ preventScroll: true });
}

function rejectLater(code) {
  pendingReject.add(code);
  rows.get(code)?.classList.add("pending-reject");
  withUndo((s) => t("console.reject.pending", { code, s }), UNDO_SECONDS, () => {
    pendingReject.delete(code);
    act(code, "reject", { confirmed: true });
  }, () => {
    pendingReject.delete(code);
    rows.get(code)?.classList.remove("pending-reject");
    notify(t("console.undone", { code }), "ok");
  });
}

function rerender(code) {
  const order = orders.get(code);
  if (order) upsert(order, { force: true });
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
  const pick = el("input", { type: "checkbox", class: "pick", checked: picked.has(order.code),
    "aria-label": t("console.select", { code: order.code }),
    onchange: (event) => {
      if (event.target.checked) picked.add(order.code); else picked.delete(order.code);
      bulkBar();
    } });
  const claim = liveClaim(order.code);
  const row = el("li", { class: "order", tabindex: "-1", dataset: { code: order.code,
    status: order.status, version: order.version, holder: claim ? claim.holder : "" } },
  el("div", { class: "order-head" },
    pick,
    el("span", { class: "order-code" }, order.code),
    el("span", { class: "buyer" }, order.buyer_name || "—"),
    el("span", { class: `badge status-${order.status}` }, t(`console.order.status.${order.status}`)),
    el("time", { class: "muted small", datetime: new Date(order.created_at * 1000).toISOString() },
      clock(order.created_at)),
    ...ROW_BADGES.map((badge) => badge(order)),
    el("span", { class: "total" }, vnd(order.total))),
  lines,
  el("div", { class: "contact muted" }, contactText || t("console.contact.none")),
  payTools(order),
  actions);
  actions.append(claimControls(order.code, (code, result) => {
    if (!result.ok && result.data && result.data.claim) {
      notify(t("console.claim.taken", { name: result.data.claim.holder, code }), "conflict");
    }
    rerender(code);
  }));
  if (pendingReject.has(order.code)) row.classList.add("pending-reject");
  row.addEventListener("click", (event) => {
    if (!event.target.closest("button")) select(order.code, false);
  });
  return row;
}

function matches(order) {
  if (statusFilter.value && order.status !== statusFilter.value) return false;
  if (assignFilter.value === "mine" && assignee(order) !== me
    && liveClaim(order.code)?.holder !== me) return false;
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
    for (const other of list.querySelectorAll(":scope > li.order")) {
      if (orders.get(other.dataset.code).created_at < order.created_at) { before = other; break; }
    }
    list.insertBefore(row, before);
  }
  rows.set(order.code, row);
  if (selected === order.code) row.classList.add("selected");
  if (fresh) freshSince.set(order.code, Date.now());
  const since = freshSince.get(order.code);
  if (since !== undefined) {
    // The highlight fades out by CSS animation; a row rebuilt meanwhile (the order changed
    // again) carries on from where the fade was, and the class goes once it has run.
    const elapsed = Date.now() - since;
    if (elapsed < FRESH_MS) {
      row.classList.add("fresh");
      row.style.animationDelay = `-${elapsed}ms`;
      row.addEventListener("animationend", () => {
        row.classList.remove("fresh");
        freshSince.delete(order.code);
      }, { once: true });
    } else {
      freshSince.delete(order.code);
    }
  }
  if (fresh) {
    alertNewOrder(order);
    document.getElementById("announce").textContent =
      t("console.new_order", { code: order.code, name: order.buyer_name || "" });
  }
  counts();
  if (grouping.checked) regroup();
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
  return [...list.querySelectorAll(":scope > li.order")].filter((row) => !row.hidden);
}

// --- grouped by customer, bulk actions -------------------------------------------------------

const grouping = document.getElementById("group-customer");

// Orders of one buyer together (newest buyer first), a heading per buyer with two or more.
function regroup() {
  for (const head of list.querySelectorAll(":scope > li.group-head")) head.remove();
  const all = [...orders.values()].sort((a, b) => b.created_at - a.created_at);
  if (!grouping.checked) {
    for (const order of all) list.append(rows.get(order.code));
    return;
  }
  const groups = new Map();
  for (const order of all) {
    const key = order.buyer || order.buyer_name || order.code;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(order);
  }
  for (const group of groups.values()) {
    if (group.length > 1) {
      list.append(el("li", { class: "group-head", "aria-hidden": "true" },
        el("span", { class: "buyer" }, group[0].contact?.name || group[0].buyer_name || "—"),
        el("span", { class: "muted small" }, t("console.group.count", { n: group.length }))));
    }
    for (const order of group) list.append(rows.get(order.code));
  }
}

function bulkBar() {
  for (const code of [...picked]) if (!orders.has(code)) picked.delete(code);
  document.getElementById("bulk").hidden = picked.size === 0;
  document.getElementById("bulk-count").textContent = t("console.bulk.selected", { n: picked.size });
}

async function bulk(action) {
  const chosen = [...picked].map((code) => orders.get(code)).filter(Boolean)
    .map((order) => ({ code: order.code, version: order.version }));
  if (!chosen.length) return;
  clearNotice();
  const result = await api("POST", `${base}/orders/bulk`, { action, orders: chosen });
  if (!result.ok) { notify(t("console.error", { message: result.error.message })); return; }
  for (const answer of result.data.results) {
    if (answer.order) upsert(answer.order, { force: !answer.ok });
    if (answer.ok) picked.delete(answer.code);
  }
  for (const code of picked) { const row = rows.get(code); if (row) row.querySelector(".pick").checked = true; }
  notify(t("console.bulk.done", { done: result.data.done, total: chosen.length }),
    result.data.done === chosen.length ? "ok" : "conflict");
  bulkBar();
}

document.getElementById("bulk-all").addEventListener("click", () => {
  for (const row of visible()) { picked.add(row.dataset.code); row.querySelector(".pick").checked = true; }
  bulkBar();
});
document.getElementById("bulk-none").addEventListener("click", () => {
  picked.clear();
  for (const box of list.querySelectorAll(".pick")) box.checked = false;
  bulkBar();
});
document.getElementById("bulk-confirm").addEventListener("click", () => bulk("confirm"));
grouping.addEventListener("change", regroup);
wireAlerts(document.getElementById("alerts"));

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

const { dialog, openEdit, addProduct } = editDialog({
  order: (code) => orders.get(code), lineup: () => lineup, upsert: (order) => upsert(order),
  report,
});

const { addReview, removeReview, reviewCount, reviews } = reviewQueue({
  lineup: () => lineup, upsert: (order) => upsert(order), report,
});

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

// "Mine": this console joins the roster (for the chosen product, if one is) and shows the
// orders dealt to it; "all" leaves the roster.
async function onDuty() {
  const mine = assignFilter.value === "mine";
  await setDuty(show.id, mine, mine && productFilter.value ? [productFilter.value] : []);
  showRoster();
  refilter();
}

function showRoster() {
  const names = roster.map((d) => (d.products.length
    ? `${d.holder} (${d.products.join(", ")})` : d.holder));
  document.getElementById("roster").textContent = names.length
    ? t("console.assign.on_duty", { names: names.join(", ") }) : "";
}

assignFilter.addEventListener("change", onDuty);
productFilter.addEventListener("change", () => { if (assignFilter.value === "mine") onDuty(); });
search.addEventListener("input", refilter);
statusFilter.addEventListener("change", refilter);
productFilter.addEventListener("change", refilter);
document.getElementById("notice-close").addEventListener("click", clearNotice);

// --- loading -------------------------------------------------------------------------------

// Called on every (re)connect: the socket has joined the room first, so a fetch now can't
// miss a change; anything older than what we hold is dropped by the version check.
async function sync() {
  // Only items held before this fetch can be stale: one pushed while it ran is newer than
  // the answer and must stay.
  const before = new Set(reviews.keys());
  const [current, review, marks] = await Promise.all([api("GET", `${base}/orders`),
    api("GET", `${base}/review`), api("GET", `${base}/printed`), loadClaims(show.id)]);
  if (marks.ok) for (const [code, at] of Object.entries(marks.data.printed)) printed.set(code, at);
  if (current.ok) {
    for (const order of current.data.orders) upsert(order);
  } else {
    notify(t("console.error", { message: current.error.message }));
  }
  if (review.ok) {
    const open = new Set(review.data.review.map((item) => item.id));
    for (const id of before) if (!open.has(id)) removeReview(id);
    for (const item of review.data.review) addReview(item);
  }
  loaded = true;
  document.body.dataset.loaded = "1"; // orders pushed from now on are new ones
  showRoster();
  if (assignFilter.value === "mine") onDuty();
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
      addProduct.append(el("option", { value: product.code }, `${product.code} — ${product.name}`));
    }
  }
  const socket = connectStaff({
    connect: sync,
    order: (order) => upsert(order, { fresh: loaded && !orders.has(order.code) }),
    review: addReview,
    claim: (claim) => { applyClaim(claim); rerender(claim.code); },
    duty: (doc) => { applyRoster(doc.duty); showRoster(); refilter(); },
  });
  // Claims run out on their own: redraw the rows whose claim has just expired.
  setInterval(() => {
    for (const row of rows.values()) {
      if (row.dataset.holder && !liveClaim(row.dataset.code)) rerender(row.dataset.code);
    }
  }, 5000);
  watchTransfers(socket);
}

counts();
reviewCount();
start();
