// The booth order form: live subtotal, a sticky cart bar on phones, JSON submit, then the
// buyer's own order page (with its VietQR code) takes over.
import { fill, formatCountdown, formatVnd, readBoot } from "./format.js";

const boot = readBoot();
const strings = boot.booth || {};
const form = document.getElementById("booth-form");
const inputs = [...form.querySelectorAll("input[type=number]")];
const totalEl = document.getElementById("cart-total");
const countEl = document.getElementById("cart-count");
const bar = document.getElementById("cart-bar");
const barTotal = document.getElementById("cart-bar-total");
const errorEl = document.getElementById("booth-error");
const submit = document.getElementById("booth-submit");

function chosen() {
  return inputs
    .map((input) => ({ input, qty: Math.max(0, Math.trunc(Number(input.value) || 0)) }))
    .filter(({ qty }) => qty > 0);
}

function refresh() {
  const items = chosen();
  const total = items.reduce((sum, { input, qty }) => sum + qty * Number(input.dataset.price), 0);
  const count = items.reduce((sum, { qty }) => sum + qty, 0);
  totalEl.textContent = formatVnd(total);
  countEl.textContent = count ? fill(strings.count, { n: count }) : "";
  barTotal.textContent = formatVnd(total);
  bar.hidden = count === 0;
}

function showError(text) {
  errorEl.textContent = text;
  errorEl.hidden = !text;
}

form.addEventListener("input", refresh);
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const items = chosen().map(({ input, qty }) => ({
    code: input.dataset.code, variant: input.dataset.variant, qty,
  }));
  if (!items.length) {
    showError(strings.pick);
    return;
  }
  const data = new FormData(form);
  submit.disabled = true;
  submit.textContent = strings.sending;
  showError("");
  try {
    const resp = await fetch("/api/booth/orders", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        items, name: data.get("name"), phone: data.get("phone"), address: data.get("address"),
      }),
    });
    const body = await resp.json().catch(() => ({}));
    if (resp.ok && body.buyer_url) {
      window.location.assign(body.buyer_url);
      return;
    }
    showError(body.error?.message || strings.failed);
  } catch {
    showError(strings.failed);
  }
  submit.disabled = false;
  submit.textContent = form.dataset.submitText || submit.textContent;
});
form.dataset.submitText = submit.textContent;

// Countdowns to planned shows (the server's clock is close enough for minutes).
const countdowns = [...document.querySelectorAll(".up-countdown[data-starts]")];
function tick() {
  const now = Date.now() / 1000;
  for (const el of countdowns) {
    const left = Number(el.dataset.starts) - now;
    el.textContent = left > 0 ? fill(strings.starts_in || "{left}", { left: formatCountdown(left) }) : "";
  }
}
if (countdowns.length) {
  tick();
  setInterval(tick, 1000);
}
refresh();
