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
    const tick = () => {
      const left = flash.ends_at - clock.now();
      $("flash-countdown").textContent = formatCountdown(left);
      if (left <= 0) { clearInterval(timer); timer = null; box.hidden = true; }
    };
    tick();
    timer = setInterval(tick, 250);
  };
}
