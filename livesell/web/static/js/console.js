// Shared helpers for the host and staff consoles: page data, translations, money, a fetch
// wrapper that carries the CSRF token, and the /staff Socket.IO connection.
// User-provided text is only ever set through textContent (see el()).

const page = JSON.parse(document.getElementById("console-data")?.textContent || "{}");
export const show = page.show || {};
export const lang = page.lang || "vi";
// The signed-in console user's name (claims show it to the other consoles).
export const me = page.user || "";
// Public base URL from settings, or this page's origin when none is configured.
export const baseUrl = page.base || location.origin;
const strings = page.i18n || {};

export function t(key, values = {}) {
  const text = strings[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

// Same shape as the server's format_vnd: dot thousands, a no-break space before ₫.
export function vnd(amount) {
  const n = Math.round(Number(amount) || 0);
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return `${n < 0 ? "-" : ""}${digits}\u00a0₫`;
}

export function num(value) {
  return new Intl.NumberFormat(lang === "en" ? "en-US" : "vi-VN").format(Number(value) || 0);
}

export function sku(code, variant) {
  return variant ? `${code}:${variant}` : code;
}

// Builds an element; the text argument and every attribute go in as plain text, never HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

// Every call resolves (never throws) to {ok, status, data, error}; error is the contract's
// {code, message}, or a made-up one when the network or the body failed.
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrf();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    return { ok: false, status: 0, data: null, error: { code: "network", message: String(err) } };
  }
  if (response.status === 401) {
    // The session ended (logout elsewhere, expiry): back to the login form, then here.
    window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data, error: null };
  const error = (data && data.error) || { code: "http_" + response.status, message: response.statusText };
  return { ok: false, status: response.status, data, error };
}

export function notify(message, kind = "error") {
  const box = document.getElementById("notice");
  if (!box) return;
  const text = document.getElementById("notice-text") || box;
  text.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
}

export function clearNotice() {
  const box = document.getElementById("notice");
  if (box) box.hidden = true;
}

// One Socket.IO connection to /staff for this show, authenticated by the session cookie.
export function connectStaff(handlers) {
  const status = document.getElementById("conn");
  // eslint-disable-next-line no-undef
  const socket = io("/staff", { auth: { show: show.id } });
  socket.on("connect", () => {
    if (status) { status.textContent = t("console.connection.ok"); status.dataset.state = "ok"; }
    handlers.connect?.();
  });
  socket.on("disconnect", () => {
    if (status) { status.textContent = t("console.connection.lost"); status.dataset.state = "lost"; }
  });
  socket.on("connect_error", () => {
    if (status) { status.textContent = t("console.connection.lost"); status.dataset.state = "lost"; }
  });
  for (const name of ["order", "review", "stats", "claim", "duty"]) {
    if (handlers[name]) socket.on(name, handlers[name]);
  }
  return socket;
}
