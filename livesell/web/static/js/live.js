// The live connection shared by the viewer page and the overlay.
//
// Holds the show's state, applies pushes in order, drops any push older than what it already
// holds (each kind of push carries its own version), and on every (re)connect replaces the
// whole state with the fresh snapshot the server sends, so a reconnect never leaves stale stock.

import { ServerClock } from "./format.js";

const KINDS = ["stock", "pinned", "flash", "show", "ticker", "comment"];
// The parts of a "tick" frame (one per show and server tick), in the order they are applied.
const TICK_PARTS = ["stock", "flash", "ticker", "comment"];

export class LiveShow extends EventTarget {
  constructor(showId, { tickerSize = 20, feedSize = 50 } = {}) {
    super();
    this.showId = showId;
    this.tickerSize = tickerSize;
    this.feedSize = feedSize;
    this.clock = new ServerClock();
    this.versions = {};
    this.state = { show: null, lineup: [], products: new Map(), stock: {}, pinned: null,
      flash: null, ticker: [], comments: [] };
    this.connected = false;
    this.retry = null;
  }

  /** Open the connection; returns this for chaining. */
  connect() {
    const io = globalThis.io;
    // Each tab gets its own connection; reconnection is left to socket.io with capped backoff.
    // A websocket first (the server's lean path: one round trip, no polling session); where
    // a proxy or network refuses websockets, tryAllTransports falls back to long-polling.
    this.socket = io("/live", {
      auth: { show: this.showId }, forceNew: true, reconnectionDelay: 500,
      reconnectionDelayMax: 5000, randomizationFactor: 0.3, timeout: 10000,
      transports: ["websocket", "polling"], tryAllTransports: true,
    });
    const s = this.socket;
    s.on("connect", () => this._status(true));
    s.on("disconnect", (reason) => {
      this._status(false);
      // The server closing us on purpose (shutdown, restart) also stops socket.io's retries.
      if (reason === "io server disconnect") this._retryLater();
    });
    s.on("connect_error", () => {
      this._status(false);
      // A refusal by the namespace (e.g. the server still starting) stops socket.io's own
      // retries; keep trying so an overlay left running for hours always comes back.
      if (!s.active) this._retryLater();
    });
    s.on("snapshot", (snap) => this._snapshot(snap));
    for (const kind of KINDS) s.on(kind, (push) => this._push(kind, push));
    s.on("tick", (frame) => this._tick(frame));
    return this;
  }

  _retryLater() {
    if (this.retry) return;
    this.retry = setTimeout(() => { this.retry = null; if (!this.socket.connected) this.socket.connect(); },
      1000 + Math.random() * 1000);
  }

  _status(connected) {
    if (this.connected === connected) return;
    this.connected = connected;
    this._emit("status", { connected });
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  _snapshot(snap) {
    if (!snap || !snap.show) return;
    const st = this.state;
    st.show = snap.show;
    st.lineup = snap.lineup || [];
    st.products = new Map(st.lineup.map((p) => [p.code, p]));
    st.stock = snap.stock || {};
    st.pinned = snap.pinned ?? null;
    st.pinnedVariant = snap.pinned_variant ?? null;
    st.flash = snap.flash ?? null;
    st.ticker = (snap.ticker || []).slice(-this.tickerSize);
    st.comments = (snap.comments || []).slice(-this.feedSize);
    this.clock.sync(snap.server_time);
    // A snapshot is the truth: versions restart from it (the server may have restarted).
    this.versions = { stock: snap.version ?? 0 };
    this._emit("snapshot", st);
  }

  _fresh(kind, push) {
    if (!push || typeof push !== "object") return false;
    const v = Number(push.v);
    const held = this.versions[kind];
    if (held !== undefined && v < held) return false;
    this.versions[kind] = v;
    return true;
  }

  /** One frame per server tick: each part is applied like the push of that name, with its
   *  own version, so an older part is dropped while the newer ones of the frame still apply. */
  _tick(frame) {
    if (!frame || typeof frame !== "object") return;
    for (const kind of TICK_PARTS) {
      if (frame[kind] !== undefined) this._push(kind, frame[kind]);
    }
  }

  _push(kind, push) {
    if (!this._fresh(kind, push)) return;
    const st = this.state;
    switch (kind) {
      case "stock":
        st.stock = { ...st.stock, ...(push.stock || {}) };
        this._emit("stock", st.stock);
        break;
      case "pinned":
        st.pinned = push.pinned ?? null;
        st.pinnedVariant = push.pinned_variant ?? null;
        this._emit("pinned", st.pinned);
        break;
      case "flash":
        this.clock.sync(push.server_time);
        st.flash = push.flash ?? null;
        this._emit("flash", st.flash);
        break;
      case "show": {
        const { v, ...show } = push;
        st.show = { ...st.show, ...show };
        this._emit("show", st.show);
        break;
      }
      case "ticker":
        st.ticker = st.ticker.concat(push.items || []).slice(-this.tickerSize);
        this._emit("ticker", push.items || []);
        break;
      case "comment":
        st.comments = st.comments.concat(push.items || []).slice(-this.feedSize);
        this._emit("comment", push.items || []);
        break;
    }
  }

  /** The pinned product (from the lineup), or null. */
  pinnedProduct() {
    return this.state.pinned ? this.state.products.get(this.state.pinned) ?? null : null;
  }

  /** Send a viewer comment; resolves with the server's ack, rejects on timeout/offline. */
  sendComment(name, text) {
    return new Promise((resolve, reject) => {
      if (!this.socket || !this.socket.connected) { reject(new Error("offline")); return; }
      this.socket.timeout(10000).emit("comment", { name, text }, (err, ack) => {
        if (err) reject(err); else resolve(ack || {});
      });
    });
  }
}
