// Staff console: the review queue (comments the parser could not decide). A product is picked
// first, then only that product's sizes; ticked items are dismissed together.
import { api, clearNotice, el, notify, show, t } from "./console.js";
import { reasonText } from "./reading.js";
import { clock, fold } from "./staff_tools.js";

const base = `/api/shows/${encodeURIComponent(show.id)}`;
const reviews = new Map(); // id -> review item

// `ctx`: lineup() the show's products, upsert(order) and report(result, code) of the queue.
export function reviewQueue(ctx) {

  // Prefill the picker: a lineup code named by the parser's reason ("which variant of B5?")
  // or in the comment itself, else the pinned product.
  function guess(item) {
    for (const text of [item.reason, item.text]) {
      const words = fold(text).toUpperCase().split(/[^A-Z0-9]+/);
      const found = ctx.lineup().find((p) => words.includes(p.code.toUpperCase()));
      if (found) return found.code;
    }
    return show.pinned || ctx.lineup()[0]?.code;
  }

  // Product first, then only that product's sizes: a lineup of 117 products no longer renders
  // every size of every product for every review item.
  function sizePicker(code) {
    const product = ctx.lineup().find((p) => p.code === code);
    const select = el("select", { class: "size", "aria-label": t("console.review.size") });
    for (const variant of product ? product.variants : []) {
      select.append(el("option", { value: variant.label }, variant.label || "—"));
    }
    select.hidden = !product || product.variants.length < 2;
    return select;
  }

  function buildReview(item) {
    const code = guess(item);
    const picker = el("select", { class: "product", "aria-label": t("console.product") });
    for (const product of ctx.lineup()) {
      picker.append(el("option", { value: product.code, selected: product.code === code },
        `${product.code} — ${product.name}`));
    }
    let size = sizePicker(picker.value);
    picker.addEventListener("change", () => { const next = sizePicker(picker.value); size.replaceWith(next); size = next; });
    const qty = el("input", { type: "number", min: "1", step: "1", value: "1", class: "qty",
      inputmode: "numeric", "aria-label": t("console.edit.qty") });
    const pick = el("input", { type: "checkbox", class: "pick-review",
      "aria-label": t("console.select", { code: item.id }) });
    const form = el("form", { class: "review-form" }, pick, picker, size, qty,
      el("button", { type: "submit", class: "btn btn-small btn-primary" }, t("console.review.resolve")),
      el("button", { type: "button", class: "btn btn-small btn-quiet",
        onclick: () => reviewAction(item.id, "dismiss") }, t("console.review.dismiss")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.querySelector("select.size");
      reviewAction(item.id, "resolve", { items: [{ code: picker.value,
        variant: chosen && chosen.options.length ? chosen.value : null,
        qty: Number.parseInt(qty.value, 10) || 1 }] });
    });
    return el("li", { class: "review-item", dataset: { id: item.id } },
      el("div", { class: "review-head" },
        el("span", { class: "buyer" }, item.author_name || "—"),
        el("time", { class: "muted small" }, clock(item.created_at))),
      el("blockquote", { class: "comment-text" }, item.text),
      el("div", { class: "muted small review-reason", title: item.reason },
        reasonText(item.reason)),
      form);
  }

  async function reviewAction(id, action, body = {}) {
    clearNotice();
    const result = await api("POST", `/api/review/${id}/${action}`, body);
    if (!result.ok) {
      if (result.error.code === "insufficient_stock") ctx.report(result, "");
      else notify(t("console.error", { message: result.error.message }));
      return;
    }
    removeReview(id);
    if (action === "resolve" && result.data && result.data.code) {
      ctx.upsert(result.data);
      notify(t("console.review.resolved", { order: result.data.code }), "ok");
    }
  }

  document.getElementById("review-dismiss").addEventListener("click", async () => {
    const ids = [...document.querySelectorAll("#review .pick-review:checked")]
      .map((box) => Number(box.closest("li").dataset.id));
    if (!ids.length) return;
    const result = await api("POST", `${base}/review/bulk`, { action: "dismiss", ids });
    if (!result.ok) { notify(t("console.error", { message: result.error.message })); return; }
    for (const answer of result.data.results) if (answer.ok) removeReview(answer.id);
  });

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

  return { addReview, removeReview, reviewCount, reviews };
}
