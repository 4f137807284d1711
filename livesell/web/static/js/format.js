// Display helpers shared by the viewer, the overlay and the order page.

// NO-BREAK SPACE: "350.000" and "₫" must never wrap onto two lines (same rule as the server).
const NBSP = "\u00a0";

/** Whole đồng as shown to buyers: 350000 -> "350.000 ₫". */
export function formatVnd(amount) {
  const n = Math.trunc(Number(amount) || 0);
  const grouped = Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return `${n < 0 ? "-" : ""}${grouped}${NBSP}₫`;
}

/** Seconds left as "m:ss" (or "h:mm:ss"); never negative. */
export function formatCountdown(seconds) {
  const total = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${String(m).padStart(2, "0")}:${s}`;
}

/** Fill "{name}" placeholders; values are plain text, the result goes into textContent. */
export function fill(template, values = {}) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (all, key) =>
    key in values ? String(values[key]) : all);
}

/** The "còn 7 hũ" / "hết hàng" label for a variant, and its CSS state: the catalog's unit
 * for the variant (``named``) when there is one, else the category's. */
export function stockLabel(strings, available, category, named = "") {
  if (available === undefined || available === null) return { text: "", state: "" };
  if (available <= 0) return { text: strings.soldout, state: "out" };
  const unit = named || (strings[`unit.${category}`] ?? "");
  return { text: fill(strings.left, { n: available, unit }).trim(), state: available <= 5 ? "low" : "" };
}

/** The page's boot data from its <script type="application/json" id="boot"> block. */
export function readBoot() {
  const node = document.getElementById("boot");
  return node ? JSON.parse(node.textContent) : {};
}

/**
 * A clock aligned with the server's: countdowns use the server's idea of "now", so a phone
 * whose clock is minutes off still shows the right time left in a flash deal.
 */
export class ServerClock {
  constructor() { this.offset = 0; }
  sync(serverTime) {
    if (typeof serverTime === "number") this.offset = serverTime - Date.now() / 1000;
  }
  now() { return Date.now() / 1000 + this.offset; }
}

/** Create an element with a class and text (text only: user text never becomes markup). */
export function el(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}
