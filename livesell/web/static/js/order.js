// The buyer's order page: counts down the hold on the server's clock, copies the transfer
// details, and follows the order live (confirmed, paid by bank transfer, hold released).

import { formatCountdown, formatVnd, readBoot, ServerClock } from "./format.js";

const boot = readBoot();
const strings = boot.strings || {};
const clock = new ServerClock();
clock.sync(boot.server_time);
const article = document.getElementById("order");
const hold = document.getElementById("hold");
const out = document.getElementById("hold-countdown");
let timer = null;

function countdown() {
  if (timer) clearInterval(timer);
  timer = null;
  const until = Number(hold && hold.dataset.until);
  if (!hold || !out || !until || hold.hidden) return;
  const tick = () => {
    const left = until - clock.now();
    out.textContent = left > 0 ? formatCountdown(left) : strings.expired;
    if (left <= 0) { clearInterval(timer); timer = null; }
  };
  timer = setInterval(tick, 1000);
  tick();
}

function wireCopy(root) {
  for (const button of root.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(button.dataset.copy || "");
        button.textContent = strings["pay.copied"] || label;
      } catch {
        // No clipboard (an old browser, an insecure page): select the text for a manual copy.
        const text = button.previousElementSibling;
        if (text) getSelection().selectAllChildren(text);
      }
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }
}

// The server draws the payment QR for what is still due: fetch this page again and take its
// payment section, without navigating away (a reload mid-scan would lose the buyer's place).
async function refreshPayment() {
  const response = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html")
    .getElementById("pay");
  const current = document.getElementById("pay");
  if (!fresh) { if (current) current.hidden = true; return; }
  const node = document.importNode(fresh, true);
  if (current) current.replaceWith(node); else article.append(node);
  wireCopy(node);
}

wireCopy(document);

function redraw(order) {
  if (Number(article.dataset.version) >= order.version) return;
  const before = article.dataset.status;
  const receivedBefore = Number(article.dataset.received || 0);
  article.dataset.received = String(order.received);
  article.dataset.version = String(order.version);
  article.dataset.status = order.status;
  const texts = boot.statuses || {};
  const badge = document.getElementById("status");
  badge.className = `badge badge-${order.status}`;
  badge.textContent = (texts[order.status] || [order.status])[0];
  document.getElementById("explain").textContent = (texts[order.status] || ["", ""])[1];
  document.getElementById("total").textContent = formatVnd(order.total);
  document.getElementById("received").textContent = formatVnd(order.received);
  document.getElementById("received-row").hidden = !order.received;
  const flag = document.getElementById("pay-flag");
  flag.hidden = !order.payment_flag;
  flag.textContent = order.payment_flag ? strings[`pay.flag.${order.payment_flag}`] || "" : "";
  if (order.address) document.getElementById("address").textContent = order.address;
  if (hold) {
    hold.dataset.until = order.hold_until || "";
    hold.hidden = !(order.hold_until && order.status === "captured");
    countdown();
  }
  // First paid, first served: the payment took the units (or found them sold out); the
  // server draws the lines again. Other line changes keep the page where it is.
  const states = (order.lines || []).map((line) => line.state).join(",");
  const was = article.dataset.lines || "";
  if (order.lines && states !== was && (was.includes("requested") || states.includes("sold_out"))) {
    location.reload();
    return;
  }
  const payable = order.status === "confirmed" || order.prepay;
  const pay = document.getElementById("pay");
  if (pay && !payable) pay.hidden = true;
  // Confirmed just now, or part paid: the server draws the payment QR for what is still due.
  if (payable && (before !== order.status || receivedBefore !== order.received)) {
    refreshPayment();
  }
  document.body.dataset.orderVersion = String(order.version);
}

countdown();
if (globalThis.io && boot.order) {
  const socket = globalThis.io("/buyer", {
    auth: { order: boot.order, t: boot.token }, reconnectionDelay: 1000,
    reconnectionDelayMax: 10000,
  });
  socket.on("connect", () => { document.body.dataset.live = "on"; });
  socket.on("disconnect", () => { document.body.dataset.live = "off"; });
  socket.on("order", redraw);
}
