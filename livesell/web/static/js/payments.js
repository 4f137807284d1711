// Payments on the consoles: the buyer link and a ready message per order, the bank transfers
// no order code matched (staff attach them by hand), and the shop's bank account (host).
import { api, clearNotice, el, notify, show, t, vnd } from "./console.js";

async function copy(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    window.prompt("", text); // no clipboard (insecure page): let staff copy it by hand
  }
  button.textContent = t("console.pay.copied");
  setTimeout(() => { button.textContent = label; }, 1500);
}

/** The message staff paste into a chat: code, total and the buyer's link. */
export function buyerMessage(order) {
  return t("console.pay.message", { name: (order.contact || {}).name || order.buyer_name || "",
    code: order.code, total: vnd(order.total), link: order.buyer_url || "" });
}

/** Payment state and the copy buttons of one order row. */
export function payTools(order) {
  const box = el("div", { class: "pay-tools" });
  if (order.received || order.payment_flag) {
    const parts = [];
    if (order.received) parts.push(t("console.pay.received", { amount: vnd(order.received) }));
    if (order.payment_flag) parts.push(t(`console.pay.flag.${order.payment_flag}`));
    box.append(el("span", { class: `pay-state ${order.payment_flag || "ok"}` }, parts.join(" · ")));
  }
  if (order.buyer_url) {
    const link = el("button", { type: "button", class: "btn btn-small btn-quiet act-copy-link",
      onclick: (event) => copy(order.buyer_url, event.currentTarget) }, t("console.pay.copy_link"));
    const message = el("button", { type: "button", class: "btn btn-small btn-quiet act-copy-message",
      onclick: (event) => copy(buyerMessage(order), event.currentTarget) },
    t("console.pay.copy_message"));
    box.append(link, message);
  }
  return box;
}

// -- unmatched transfers (staff console) ------------------------------------------------------

const transfers = new Map(); // id -> transfer

function renderTransfers() {
  const list = document.getElementById("transfers");
  if (!list) return;
  const waiting = [...transfers.values()].filter((x) => x.status === "unmatched")
    .sort((a, b) => b.recorded_at - a.recorded_at);
  list.replaceChildren(...waiting.map((x) => {
    const input = el("input", { class: "attach-code", placeholder: t("console.pay.attach_prompt"),
      "aria-label": t("console.pay.attach_prompt"), maxlength: "40", autocomplete: "off" });
    const attach = async () => {
      const code = input.value.trim().toUpperCase();
      if (!code) { input.focus(); return; }
      clearNotice();
      const result = await api("POST", `/api/transfers/${encodeURIComponent(x.id)}/attach`,
        { order: code });
      if (result.ok) { transfers.set(x.id, result.data); renderTransfers(); }
      else notify(t("console.error", { message: result.error.message }));
    };
    return el("li", { class: "transfer", dataset: { id: x.id } },
      el("strong", {}, vnd(x.amount)), " ",
      el("span", { class: "muted small" }, x.at || ""),
      el("div", { class: "transfer-content" }, x.content || "—"),
      el("div", { class: "row-actions" }, input,
        el("button", { type: "button", class: "btn btn-small act-attach", onclick: attach },
          t("console.pay.attach"))));
  }));
  const empty = document.getElementById("transfers-empty");
  if (empty) empty.hidden = waiting.length > 0;
}

/** Load the unmatched transfers and keep them current from the /staff socket. */
export async function watchTransfers(socket) {
  if (!document.getElementById("transfers")) return;
  socket.on("transfer", (doc) => { transfers.set(doc.id, doc); renderTransfers(); });
  const load = async () => {
    const result = await api("GET", "/api/transfers?status=unmatched");
    if (!result.ok) return;
    for (const doc of result.data.transfers) transfers.set(doc.id, doc);
    renderTransfers();
  };
  socket.on("connect", load);
  await load();
}

// -- the shop's bank account (host console) ----------------------------------------------------

async function accountForm() {
  const form = document.getElementById("pay-account-form");
  if (!form) return;
  const state = document.getElementById("pay-account-state");
  const show = (account) => {
    state.textContent = account
      ? `${account.bank} · ${account.number}${account.holder ? ` · ${account.holder}` : ""}`
      : t("console.pay.none");
    if (account) {
      form.elements.bank.value = account.bank;
      form.elements.number.value = account.number;
      form.elements.holder.value = account.holder;
    }
  };
  const current = await api("GET", "/api/payment/account");
  if (current.ok) show(current.data.account);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearNotice();
    const result = await api("PUT", "/api/payment/account", { bank: form.elements.bank.value,
      number: form.elements.number.value, holder: form.elements.holder.value });
    if (result.ok) { show(result.data.account); state.textContent += ` — ${t("console.pay.saved")}`; }
    else notify(t("console.error", { message: result.error.message }));
  });
}

function deadlineForm() {
  const form = document.getElementById("pay-deadline-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearNotice();
    const hours = Number.parseInt(form.elements.hours.value, 10);
    const result = await api("POST", `/api/shows/${encodeURIComponent(show.id)}/payment-deadline`,
      { hours: Number.isInteger(hours) ? hours : null });
    if (result.ok) form.elements.hours.value = result.data.payment_hours ?? "";
    else notify(t("console.error", { message: result.error.message }));
  });
}

accountForm();
deadlineForm();
