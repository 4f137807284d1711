// Staff console: the edit dialog. Quantities per product and size, a size change moves the
// quantity to the new size, new lines can be added; contact fields are edited in place.
import { api, clearNotice, el, sku, t } from "./console.js";

// `ctx`: order(code), lineup(), upsert(order) and report(result, code) of the queue.
export function editDialog(ctx) {

  const dialog = document.getElementById("edit");
  let editing = null;

  function openEdit(code) {
    const order = ctx.order(code);
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
    for (const entry of totals.values()) box.append(editLine(entry.code, entry.variant, entry.qty));
    const contact = order.contact || {};
    document.getElementById("edit-name").value = contact.name || "";
    document.getElementById("edit-phone").value = contact.phone || "";
    document.getElementById("edit-address").value = contact.address || "";
    dialog.showModal();
  }

  // A line of the edit dialog: the size can change (among that product's sizes) and the
  // quantity; 0 removes it. New lines start with qty 0 in data-qty so they count as a change.
  let lineIndex = 0;
  function editLine(code, variant, qty, fresh = false) {
    const id = `edit-qty-${lineIndex++}`;
    const product = ctx.lineup().find((p) => p.code === code);
    const sizes = product ? product.variants.map((v) => v.label) : [variant];
    const size = el("select", { class: "size", "aria-label": `${code} — ${t("console.edit.size")}` });
    for (const label of sizes) {
      size.append(el("option", { value: label, selected: label === variant }, label || "—"));
    }
    return el("div", { class: "edit-line", dataset: { code, variant, qty: fresh ? 0 : qty } },
      el("label", { for: id, class: "code" }, code), sizes.length > 1 ? size : el("span"),
      el("input", { id, type: "number", min: "0", step: "1", value: qty, inputmode: "numeric",
        class: "qty", "aria-label": `${sku(code, variant)} — ${t("console.edit.qty")}` }));
  }

  function editLines() {
    // One quantity per product and size: a size change moves the quantity to the new size.
    const want = new Map();
    let changed = false;
    for (const line of document.querySelectorAll("#edit-lines .edit-line")) {
      const code = line.dataset.code;
      const before = line.dataset.variant;
      const select = line.querySelector("select.size");
      const after = select ? select.value : before;
      const qty = Number.parseInt(line.querySelector("input.qty").value, 10) || 0;
      if (after !== before || String(qty) !== line.dataset.qty) changed = true;
      const from = sku(code, before);
      if (!want.has(from)) want.set(from, { code, variant: before, qty: 0 });
      const to = sku(code, after);
      if (!want.has(to)) want.set(to, { code, variant: after, qty: 0 });
      want.get(to).qty += qty;
    }
    return changed ? [...want.values()] : null;
  }

  const addProduct = document.getElementById("edit-add-product");
  document.getElementById("edit-add").addEventListener("click", () => {
    const product = ctx.lineup().find((p) => p.code === addProduct.value);
    if (!product) return;
    document.getElementById("edit-lines").append(
      editLine(product.code, product.variants[0]?.label || "", 1, true));
  });
  document.getElementById("edit-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const order = ctx.order(editing);
    if (!order) { dialog.close(); return; }
    const body = { version: order.version };
    const lines = editLines();
    if (lines) body.lines = lines;
    const contact = order.contact || {};
    const next = { name: document.getElementById("edit-name").value.trim(),
      phone: document.getElementById("edit-phone").value.trim(),
      address: document.getElementById("edit-address").value.trim() };
    if (Object.keys(next).some((key) => next[key] !== (contact[key] || ""))) body.contact = next;
    dialog.close();
    if (!body.lines && !body.contact) return;
    clearNotice();
    const result = await api("PATCH", `/api/orders/${encodeURIComponent(order.code)}`, body);
    if (result.ok) ctx.upsert(result.data); else ctx.report(result, order.code);
  });


  return { dialog, openEdit, addProduct };
}
