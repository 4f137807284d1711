// Staff console, customers: a badge beside each order (new / returning / history, with the
// counts behind it), tel: links on phones, and the customer's other open orders.
// It only decorates the rows the queue draws; the queue itself does not know about it.
import { api, el, notify, show, t } from "./console.js";

const list = document.getElementById("orders");
const path = `/api/shows/${encodeURIComponent(show.id)}/customers`;
let known = {}; // order code -> customer summary
let timer = null;

const PHONE = /(?:\+?84|0)[\s.-]?[35789](?:[\s.-]?\d){8}/g;

function telLinks(node) {
  if (!node || node.dataset.tel) return;
  const text = node.textContent;
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(PHONE)) {
    parts.push(text.slice(last, match.index));
    const digits = match[0].replace(/[^\d+]/g, "");
    parts.push(el("a", { href: `tel:${digits}`, class: "tel" }, match[0]));
    last = match.index + match[0].length;
  }
  if (!parts.length) return;
  parts.push(text.slice(last));
  node.replaceChildren(...parts);
  node.dataset.tel = "1";
}

function history(c) {
  const h = c.history;
  return t("console.customer.counts", { orders: h.orders, paid: h.paid,
    cancelled: h.cancelled, expired: h.expired, returned: h.returned });
}

function decorate(row) {
  telLinks(row.querySelector(".contact"));
  const customer = known[row.dataset.code];
  row.querySelector(".customer")?.remove();
  if (!customer) return;
  const box = el("div", { class: `customer hint-${customer.hint}` },
    el("span", { class: `cbadge customer-${customer.badge}`, title: history(customer) },
      t(`console.customer.${customer.badge}`)),
    " ", el("span", { class: "muted small" }, history(customer)));
  if (customer.other_open_orders.length) {
    box.append(" ", el("span", { class: "small" },
      t("console.customer.other", { orders: customer.other_open_orders.join(", ") })));
  }
  if (row.dataset.status === "shipped") {
    const button = el("button", { type: "button", class: "btn btn-small returned" },
      t("console.customer.returned"));
    button.addEventListener("click", async () => {
      const answer = await api("POST", `/api/orders/${encodeURIComponent(row.dataset.code)}/returned`,
        { version: Number(row.dataset.version) });
      if (!answer.ok) notify(answer.error?.message || t("console.customer.returned"));
    });
    box.append(" ", button);
  }
  const said = el("button", { type: "button", class: "btn btn-small said" },
    t("console.customer.comments"));
  said.addEventListener("click", () => showComments(row));
  box.append(" ", said);
  row.querySelector(".order-head")?.after(box);
}

// What the buyer wrote for each line and follow-up, quoted as text (never as markup).
async function showComments(row) {
  row.querySelector(".said-list")?.remove();
  const code = row.dataset.code;
  const answer = await api("GET", `/api/orders/${encodeURIComponent(code)}/comments`);
  if (!answer.ok) return;
  const items = (answer.data.comments || []).map((c) => el("li", {},
    el("q", {}, c.text), " ", el("span", { class: "muted small" }, `${c.source} · ${c.status}`)));
  row.querySelector(".customer")?.after(el("ul", { class: "said-list small" }, ...items));
}

async function refresh() {
  timer = null;
  const answer = await api("GET", path);
  if (!answer.ok) return;
  known = answer.data.customers || {};
  for (const row of list.querySelectorAll("li.order")) decorate(row);
}

let trailing = null;

// Soon after a change, and once more a little later: the server rebuilds its customer book
// at most once a second, so the first answer may not count the newest change yet.
function later() {
  if (!timer) timer = setTimeout(refresh, 400);
  clearTimeout(trailing);
  trailing = setTimeout(refresh, 1600);
}

new MutationObserver((records) => {
  let fresh = false;
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType === 1 && node.matches("li.order")) {
        decorate(node);
        fresh = true;
      }
    }
  }
  if (fresh) later(); // a new or changed order: its customer's counts may have moved
}).observe(list, { childList: true });

refresh();
