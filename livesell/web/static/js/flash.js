// The flash-deal box shared by the viewer page and the overlay: what, price, units taken and
// a countdown on the server's clock. One timer at a time, replaced on every redraw.

import { fill, formatCountdown, formatVnd } from "./format.js";

export function flashPainter(clock, strings) {
  const $ = (id) => document.getElementById(id);
  let timer = null;
  return function drawFlash(flash) {
    const box = $("flash");
    clearInterval(timer);
    timer = null;
    if (!flash || flash.ends_at <= clock.now()) { box.hidden = true; return; }
    box.hidden = false;
    $("flash-what").textContent = flash.variant ? `${flash.code} ${flash.variant}` : flash.code;
    $("flash-price").textContent = formatVnd(flash.price);
    $("flash-taken").textContent = flash.quantity
      ? fill(strings.flash_taken, { taken: flash.taken || 0, quantity: flash.quantity }) : "";
    // The list price struck through and the discount, when the deal is below it.
    const listRow = $("flash-list-row");
    const discounted = flash.list_price && flash.list_price > flash.price;
    if (listRow) {
      listRow.hidden = !discounted;
      $("flash-list").textContent = discounted ? formatVnd(flash.list_price) : "";
      $("flash-off").textContent = discounted ? fill(strings.flash_off, {
        percent: Math.round(((flash.list_price - flash.price) * 100) / flash.list_price) }) : "";
    }
    // Every flash unit taken: say so, rather than a deal nobody can get any more.
    const out = $("flash-out");
    if (out) out.hidden = !(flash.quantity && (flash.taken || 0) >= flash.quantity);
    const tick = () => {
      const left = flash.ends_at - clock.now();
      $("flash-countdown").textContent = formatCountdown(left);
      if (left <= 0) { clearInterval(timer); timer = null; box.hidden = true; }
    };
    tick();
    timer = setInterval(tick, 250);
  };
}
