// Host console: health of every comment source of the show (refreshed every few seconds),
// start/stop per connector, and the Facebook post whose Page webhook comments feed the show.
import { api, el, notify, num, show, t } from "./console.js";

const base = `/api/shows/${encodeURIComponent(show.id)}`;
const REFRESH_MS = 3000;

function ago(at) {
  if (!at) return t("console.connectors.never");
  const seconds = Math.max(0, Math.round(Date.now() / 1000 - at));
  return seconds < 60 ? t("console.connectors.seconds_ago", { n: seconds })
    : t("console.connectors.minutes_ago", { n: Math.round(seconds / 60) });
}

function fact(label, value) {
  return el("div", {}, el("dt", {}, label), el("dd", {}, value));
}

async function act(index, action) {
  const result = await api("POST", `${base}/connectors/${index}/${action}`);
  if (!result.ok) notify(t("console.error", { message: result.error.message }));
  await refresh();
}

function card(c) {
  const head = el("div", { class: "connector-head" },
    el("span", { class: "connector-name" }, `${t("console.connectors.kind." + c.kind)} · ${c.name}`),
    el("span", { class: `state state-${c.state}`, dataset: { state: c.state } },
      t(`console.connectors.state.${c.state}`)));
  if (!c.official) head.append(el("span", { class: "unofficial" }, t("console.connectors.unofficial")));
  if (c.index >= 0) {
    const running = !["stopped", "ended"].includes(c.state);
    head.append(el("button", {
      type: "button", class: running ? "btn btn-quiet" : "btn btn-primary",
      dataset: { connector: String(c.index) },
      onclick: () => act(c.index, running ? "stop" : "start"),
    }, running ? t("console.connectors.stop") : t("console.connectors.start")));
  }
  const facts = el("dl", { class: "connector-facts" },
    fact(t("console.connectors.last"), ago(c.last_comment_at)),
    fact(t("console.connectors.per_min"), num(c.comments_per_minute)),
    fact(t("console.connectors.comments"), num(c.comments)),
    c.lag_seconds !== null ? fact(t("console.connectors.lag"), `${c.lag_seconds.toFixed(1)} s`) : null,
    fact(t("console.connectors.errors"), num(c.errors)),
    fact(t("console.connectors.reconnects"), num(c.reconnects)),
    c.poll_seconds !== null ? fact(t("console.connectors.poll"), `${c.poll_seconds} s`) : null,
    c.quota_budget !== null
      ? fact(t("console.connectors.quota"), `${num(c.quota_used)} / ${num(c.quota_budget)}`) : null);
  const item = el("li", { class: "connector", dataset: { kind: c.kind } }, head, facts);
  if (c.missing > 0) {
    item.append(el("p", { class: "connector-warn missing" }, t("console.connectors.missing", { n: num(c.missing) })));
  }
  for (const warning of c.warnings) item.append(el("p", { class: "connector-warn" }, warning));
  if (c.last_error && c.state === "retrying") {
    item.append(el("p", { class: "connector-warn" }, c.last_error));
  }
  return item;
}

async function refresh() {
  const result = await api("GET", `${base}/connectors`);
  if (!result.ok) return;
  const list = result.data.connectors;
  document.getElementById("connectors").replaceChildren(...list.map(card));
  document.getElementById("connectors-none").hidden = list.length > 0;
  const missing = list.reduce((sum, c) => sum + c.missing, 0);
  const box = document.getElementById("connectors-missing");
  box.hidden = missing === 0;
  box.textContent = t("console.connectors.missing", { n: num(missing) });
}

async function refreshReplies() {
  const result = await api("GET", `${base}/replies`);
  if (!result.ok) return;
  const { sent, failed, queued, replies } = result.data;
  const box = document.getElementById("replies-summary");
  const last = replies.filter((r) => r.state === "failed").pop();
  box.textContent = t("console.connectors.replies", { sent: num(sent), failed: num(failed), queued: num(queued) })
    + (last ? ` — ${last.order}: ${last.error}` : "");
  box.classList.toggle("connector-warn", failed > 0);
}

document.getElementById("talk-back")?.addEventListener("change", async (event) => {
  const box = event.target;
  const result = await api("POST", `${base}/talkback`, { enabled: box.checked });
  if (!result.ok) {
    box.checked = !box.checked;
    notify(t("console.error", { message: result.error.message }));
  }
});

document.getElementById("facebook-post-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("facebook-post");
  const result = await api("POST", `${base}/facebook`, { post_id: input.value.trim() });
  if (result.ok) notify(t("console.connectors.saved"), "ok");
  else notify(t("console.error", { message: result.error.message }));
});

if (document.getElementById("connectors")) {
  const both = () => { refresh(); refreshReplies(); };
  both();
  setInterval(both, REFRESH_MS);
}
