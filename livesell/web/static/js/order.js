// The buyer's order page: counts down the hold on the server's clock.

import { formatCountdown, readBoot, ServerClock } from "./format.js";

const boot = readBoot();
const clock = new ServerClock();
clock.sync(boot.server_time);
const hold = document.getElementById("hold");
const out = document.getElementById("hold-countdown");

if (hold && out) {
  const until = Number(hold.dataset.until);
  const tick = () => {
    const left = until - clock.now();
    out.textContent = left > 0 ? formatCountdown(left) : (boot.strings || {}).expired;
    if (left <= 0) clearInterval(timer);
  };
  const timer = setInterval(tick, 1000);
  tick();
}
