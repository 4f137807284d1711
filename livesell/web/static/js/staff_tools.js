// Staff console helpers for rush hour: claims (who is on which order, live), new-order alerts
// (sound and desktop notification, off until switched on), and a delayed action with undo.
import { api, el, lang, me, t } from "./console.js";

// Search and matching ignore case and Vietnamese diacritics, like the server's parser.
export function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase();
}

export function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(lang === "en" ? "en-GB" : "vi-VN",
    { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}


// --- claims ----------------------------------------------------------------------------------

export const claims = new Map(); // code -> {holder, expires_at}
let offset = 0; // server clock minus ours, seconds

export function serverNow() { return Date.now() / 1000 + offset; }

export function liveClaim(code) {
  const claim = claims.get(code);
  return claim && claim.holder && claim.expires_at > serverNow() ? claim : null;
}

export function applyClaim(claim) {
  if (!claim || !claim.code) return;
  if (claim.holder) claims.set(claim.code, claim); else claims.delete(claim.code);
}

export async function loadClaims(showId) {
  const result = await api("GET", `/api/shows/${encodeURIComponent(showId)}/claims`);
  if (!result.ok) return;
  offset = result.data.server_time - Date.now() / 1000;
  claims.clear();
  for (const claim of result.data.claims) applyClaim(claim);
  applyRoster(result.data.duty);
}

// The chip and button a row shows: "An đang xử lý" to others, "Bạn đang xử lý" + release to
// the holder, "Nhận xử lý" when nobody holds it.
export function claimControls(code, onChange) {
  const claim = liveClaim(code);
  const box = el("span", { class: "claim" });
  if (claim && claim.holder !== me) {
    box.append(el("span", { class: "claim-chip other", dataset: { holder: claim.holder } },
      t("console.claim.other", { name: claim.holder })));
    return box;
  }
  if (claim) box.append(el("span", { class: "claim-chip mine" }, t("console.claim.mine")));
  const mine = Boolean(claim);
  box.append(el("button", { type: "button", class: "btn btn-small btn-quiet act-claim",
    "aria-pressed": String(mine),
    onclick: async () => {
      const result = await api(mine ? "DELETE" : "POST",
        `/api/orders/${encodeURIComponent(code)}/claim`);
      if (result.ok && !mine) applyClaim(result.data);
      else if (result.ok) claims.delete(code);
      else if (result.data && result.data.claim) applyClaim(result.data.claim);
      onChange(code, result);
    } }, mine ? t("console.claim.release") : t("console.claim")));
  return box;
}

// --- alerts ----------------------------------------------------------------------------------

const ALERT_KEY = "livesell.alerts";
let audio = null;

export function alertsOn() { return localStorage.getItem(ALERT_KEY) === "1"; }

export function wireAlerts(toggle) {
  toggle.checked = alertsOn();
  toggle.addEventListener("change", async () => {
    localStorage.setItem(ALERT_KEY, toggle.checked ? "1" : "0");
    if (toggle.checked) {
      audio = audio || new AudioContext();
      if ("Notification" in window && Notification.permission === "default") {
        try { await Notification.requestPermission(); } catch { /* ignored */ }
      }
    }
  });
}

export function alertNewOrder(order) {
  if (!alertsOn()) return;
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  } catch { /* no sound on this device */ }
  if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
    new Notification(t("console.alerts.title", { code: order.code }),
      { body: order.buyer_name || "", tag: order.code });
  }
}

// --- delayed action with undo ----------------------------------------------------------------

// Runs `run` after `seconds` unless undone; the toast counts down. Leaving the page sends it
// at once (a reject the user confirmed is never lost).
export function withUndo(message, seconds, run, onUndo) {
  const toast = document.getElementById("undo");
  const text = document.getElementById("undo-text");
  const button = document.getElementById("undo-button");
  let left = seconds;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    window.removeEventListener("pagehide", finish);
    toast.hidden = true;
    run();
  };
  const draw = () => { text.textContent = message(left); };
  const timer = setInterval(() => { left -= 1; if (left <= 0) finish(); else draw(); }, 1000);
  window.addEventListener("pagehide", finish);
  button.onclick = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    window.removeEventListener("pagehide", finish);
    toast.hidden = true;
    onUndo();
  };
  draw();
  toast.hidden = false;
  button.focus({ preventScroll: true });
}

// --- who gets which order: the roster of staff on duty ----------------------------------------

export const roster = []; // [{holder, products, until}]

export function applyRoster(duty) {
  roster.splice(0, roster.length, ...(duty || []).filter((d) => d.until > serverNow()));
}

// Twin of domain/claims.py `assignee`: the staff on duty for one of the order's products (or
// everyone on duty), the order's number-th in name order. Same roster, same answer everywhere.
export function assignee(order) {
  const live = roster.filter((d) => d.until > serverNow());
  if (!live.length) return null;
  const seq = Number.parseInt((order.code.match(/(\d+)\D*$/) || ["", "0"])[1], 10) || 0;
  const wanted = new Set(order.lines.map((line) => line.code.toUpperCase()));
  const chosen = live.filter((d) => d.products.some((p) => wanted.has(p.toUpperCase())));
  const general = live.filter((d) => !d.products.length);
  const pool = (chosen.length ? chosen : general.length ? general : live)
    .map((d) => d.holder).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return pool[seq % pool.length];
}

let dutyTimer = null;

// Join the roster (renewed every minute while on), or leave it.
export async function setDuty(showId, on, products) {
  clearInterval(dutyTimer);
  const send = async () => {
    const result = await api("POST", `/api/shows/${encodeURIComponent(showId)}/duty`,
      { on, products });
    if (result.ok) applyRoster(result.data.duty);
    return result;
  };
  if (on) dutyTimer = setInterval(send, 60000);
  return send();
}
