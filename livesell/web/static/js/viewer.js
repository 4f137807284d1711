// The viewer page: live pinned product, stock, flash countdown, ticker, comment feed and the
// comment box. The server already rendered everything once; this keeps it current.
// User text (names, comments) only ever goes into textContent.

import { el, fill, formatVnd, readBoot, stockLabel } from "./format.js";
import { flashPainter } from "./flash.js";
import { LiveShow } from "./live.js";

const FEED_MAX = 50;    // DOM nodes kept in the comment feed
const TICKER_MAX = 20;  // DOM nodes kept in the order ticker
const NAME_KEY = "livesell.name";

const boot = readBoot();
const S = boot.strings || {};
const live = new LiveShow(boot.show, { tickerSize: TICKER_MAX, feedSize: FEED_MAX });
const $ = (id) => document.getElementById(id);

function productCard(p, stock, big) {
  const pinned = big;
  const card = el("article", big ? "product product-big" : "product");
  card.dataset.code = p.code;
  const img = el("img", "product-img");
  img.src = p.image || "/static/img/product.svg";
  img.alt = "";
  img.width = img.height = big ? 160 : 72;
  card.append(img);
  const body = el("div", "product-body");
  const code = el("p", "product-code", `${S.code} `);
  code.append(el("strong", "", p.code));
  body.append(code, el("h3", "product-name", p.name));
  if (p.ocop_stars) {
    const stars = el("p", "ocop");
    const label = el("span", "stars", "★".repeat(p.ocop_stars) + "☆".repeat(5 - p.ocop_stars));
    label.setAttribute("role", "img");
    label.setAttribute("aria-label", fill(S.stars, { n: p.ocop_stars }));
    stars.append(el("span", "ocop-badge", "OCOP"), " ", label);
    body.append(stars);
  }
  const list = el("ul", "variants");
  for (const v of p.variants || []) {
    const key = v.label ? `${p.code}:${v.label}` : p.code;
    const li = el("li");
    const stockNode = el("span", "stock");
    stockNode.dataset.sku = key;
    stockNode.dataset.unit = p.category;
    stockNode.dataset.named = v.unit || "";
    paintStock(stockNode, stock[key]);
    li.append(el("span", "v-label", v.label || ""), " ", el("span", "price", formatVnd(v.price)),
      " ", stockNode);
    // The size the host pinned is what "+1" buys: say so next to it.
    if (pinned && v.label && v.label === live.state.pinnedVariant) {
      li.classList.add("is-pinned-size");
      li.append(" ", el("span", "pinned-size", S.pinned_size || "+1"));
    }
    list.append(li);
  }
  const links = el("p", "product-links");
  const a = el("a", "", S.origin);
  a.href = `/p/${encodeURIComponent(p.code)}`;
  links.append(a);
  body.append(list, links);
  card.append(body);
  return card;
}

function paintStock(node, available) {
  const { text, state } = stockLabel(S, available, node.dataset.unit, node.dataset.named);
  if (node.textContent !== text) node.textContent = text;
  node.className = state ? `stock ${state}` : "stock";
}

function drawStock(stock) {
  for (const node of document.querySelectorAll("[data-sku]")) {
    if (node.dataset.sku in stock) paintStock(node, stock[node.dataset.sku]);
  }
}

function drawPinned() {
  const box = $("pinned");
  const p = live.pinnedProduct();
  box.replaceChildren(p ? productCard(p, live.state.stock, true) : el("p", "empty", S.no_pinned));
}

function drawLineup() {
  $("lineup").replaceChildren(...live.state.lineup.map((p) => productCard(p, live.state.stock, false)));
}

function drawShow(show) {
  if (!show) return;
  $("show-title-text").textContent = show.title;
  const badge = $("show-status");
  badge.className = `badge badge-${show.status}`;
  badge.textContent = S[`status.${show.status}`] || badge.textContent;
}

// -- flash deal -----------------------------------------------------------------------------

const drawFlash = flashPainter(live.clock, S);

// -- ticker and feed (newest first, capped) -------------------------------------------------

function prependCapped(list, nodes, max) {
  for (const node of nodes) list.prepend(node);
  while (list.children.length > max) list.lastElementChild.remove();
}

function tickerItem(item) {
  const li = el("li");
  const code = el("span", "code", item.variant ? `${item.code} ${item.variant}` : item.code);
  li.append(el("strong", "", item.name), ` ${S.ordered_verb} `, code, ` ×${item.qty}`);
  return li;
}

function feedItem(item) {
  const li = el("li", `c-${item.status || "chat"}`);
  li.append(el("strong", "", item.name), " ", el("span", "", item.text));
  return li;
}

function drawLists() {
  $("ticker").replaceChildren();
  $("feed").replaceChildren();
  prependCapped($("ticker"), live.state.ticker.map(tickerItem), TICKER_MAX);
  prependCapped($("feed"), live.state.comments.map(feedItem), FEED_MAX);
}

// -- comment box ----------------------------------------------------------------------------

// Limits the store names in its reason (typed codes: "anonymous_limit:3", "address_limit:30").
function limitKey(reason) {
  if (/(^|; )anonymous_limit:/.test(reason)) return "limit_phone";
  if (/(^|; )address_limit:/.test(reason)) return "limit_address";
  return "";
}

function showResult(ack) {
  const out = $("c-result");
  out.replaceChildren();
  out.className = "result";
  const status = ack.status;
  let text;
  if (status === "ordered" || status === "waitlisted") {
    // First paid, first served: the comment held nothing; paying first gets the units.
    const key = status === "ordered" && live.state.show?.first_paid ? "ordered_first_paid" : status;
    text = fill(S[key] || S[status], { order: ack.order || "" });
    out.classList.add(status === "ordered" ? "ok" : "warn");
  } else if (status === "rejected") {
    const reason = ack.reason || "";
    text = S[reason] || S[limitKey(reason)] || fill(S.rejected, { reason });
    out.classList.add("bad");
  } else {
    text = fill(S[status] || S.ignored, { order: ack.order || "" });
  }
  // Part of an order held, the rest over a limit: say how to get more.
  if (status === "ordered" && S[limitKey(ack.reason || "")]) text += " " + S[limitKey(ack.reason)];
  out.append(el("span", "", text));
  // Only a same-site path from the ack becomes a link: the order page of this server.
  if (typeof ack.order_url === "string" && ack.order_url.startsWith("/o/")) {
    const a = el("a", "order-link", S.view_order);
    a.href = ack.order_url;
    out.append(" ", a);
  }
}

function setupForm() {
  const form = $("comment-form");
  const name = $("c-name");
  const text = $("c-text");
  const send = $("c-send");
  try { name.value = localStorage.getItem(NAME_KEY) || ""; } catch { /* storage blocked */ }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const who = name.value.trim();
    const what = text.value.trim();
    if (!who || !what) {
      $("c-result").textContent = S.empty;
      (who ? text : name).focus();
      return;
    }
    try { localStorage.setItem(NAME_KEY, who); } catch { /* storage blocked */ }
    send.disabled = true;
    $("c-result").textContent = S.sending;
    try {
      const ack = await live.sendComment(who, what);
      showResult(ack);
      if (ack.status !== "rejected") text.value = "";
    } catch {
      $("c-result").textContent = S.failed;
    } finally {
      send.disabled = !live.connected;
      text.focus();
    }
  });
}

// -- wiring ---------------------------------------------------------------------------------

live.addEventListener("snapshot", () => {
  drawShow(live.state.show);
  drawPinned();
  drawLineup();
  drawFlash(live.state.flash);
  drawLists();
});
live.addEventListener("stock", (e) => drawStock(e.detail));
live.addEventListener("pinned", () => drawPinned());
live.addEventListener("flash", (e) => drawFlash(e.detail));
live.addEventListener("show", (e) => drawShow(e.detail));
live.addEventListener("ticker", (e) => prependCapped($("ticker"), e.detail.map(tickerItem), TICKER_MAX));
live.addEventListener("comment", (e) => prependCapped($("feed"), e.detail.map(feedItem), FEED_MAX));
live.addEventListener("status", (e) => {
  const conn = $("conn");
  conn.hidden = e.detail.connected;
  conn.textContent = e.detail.connected ? "" : S.offline;
  $("c-send").disabled = !e.detail.connected;
  document.body.dataset.live = e.detail.connected ? "on" : "off";
});

setupForm();
live.connect();
