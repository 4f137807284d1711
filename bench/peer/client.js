'use strict';
// Stock-client viewer load generator: N socket.io-client 4.8 viewers in one Node process.
//
// Each viewer is what a page does with the stock client, websocket only:
//   io(`${origin}/live`, { transports: ['websocket'], auth: { show }, forceNew: true })
// with the library's defaults otherwise (it offers permessage-deflate like a browser; the
// server decides), except that reconnection is off so a disconnect is counted once. The
// library answers Engine.IO pings itself. A `stock` event and the stock part of a merged
// `tick` frame count as one delivery; the latency is the receive time minus the payload's
// send time `t` (ms since the epoch, same clock on loopback), in a 0.1 ms histogram.
//
// Same protocol with the harness as bench/loadgen.py (one JSON object per line on stdout):
//   after the join phase:  {"event": "joined", ...join statistics}
//   stdin "window":        statistics since the previous "window" (then reset)
//   stdin "final" or end of input:  totals, then exit.
// The process also exits by itself after --duration seconds.
//
// Run alone: node bench/peer/client.js --url ws://127.0.0.1:8000/socket.io/ --viewers 1000

const readline = require('readline');
const { io } = require('socket.io-client');

const HIST_BINS = 100000; // 0.1 ms bins up to 10 s; the last bin holds everything slower

function parseArgs(argv) {
  const args = {
    url: 'ws://127.0.0.1:8000/socket.io/', viewers: 1000, show: 'show-1', wave: 50,
    joinTimeout: 15, joinDeadline: 120, settle: 0, duration: 300, versions: false,
  };
  const names = {
    'join-timeout': 'joinTimeout', 'join-deadline': 'joinDeadline',
  };
  for (let i = 2; i < argv.length; i += 1) {
    const key = argv[i].replace(/^--/, '');
    const name = names[key] || key;
    if (name === 'versions') { args.versions = true; continue; }
    if (name === 'deflate' || name === 'stalled') {
      // Options of the lean client this one does not have: the stock client always offers
      // deflate and never stops reading. Accept them so the harness can pass either.
      if (name === 'stalled') i += 1;
      continue;
    }
    const value = argv[i + 1];
    i += 1;
    args[name] = (name === 'url' || name === 'show') ? value : Number(value);
  }
  return args;
}

function nowMs() {
  return performance.timeOrigin + performance.now();
}

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function summarize(values) {
  if (values.length === 0) return { n: 0, mean: null, p50: null, p99: null, max: null };
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let total = 0;
  for (const v of sorted) total += v;
  return {
    n,
    mean: total / n,
    p50: sorted[Math.max(0, Math.ceil((50 * n) / 100) - 1)],
    p99: sorted[Math.max(0, Math.ceil((99 * n) / 100) - 1)],
    max: sorted[n - 1],
  };
}

function histSummary(hist) {
  let n = 0;
  for (let i = 0; i < hist.length; i += 1) n += hist[i];
  const out = { n, p50: null, p99: null, max: null };
  if (n === 0) return out;
  const marks = { p50: Math.ceil((50 * n) / 100), p99: Math.ceil((99 * n) / 100) };
  let seen = 0;
  for (let i = 0; i < hist.length; i += 1) {
    const count = hist[i];
    if (!count) continue;
    seen += count;
    for (const key of ['p50', 'p99']) {
      if (out[key] === null && seen >= marks[key]) out[key] = i / 10;
    }
    out.max = i / 10;
  }
  return out;
}

function emit(body) {
  process.stdout.write(`${JSON.stringify(body)}\n`);
}

function topKinds(counter, limit) {
  return Object.fromEntries(Object.entries(counter).sort((a, b) => b[1] - a[1]).slice(0, limit));
}

const args = parseArgs(process.argv);
const target = new URL(args.url);
const origin = `http://${target.hostname}:${target.port || 80}`;
const path = target.pathname && target.pathname !== '/' ? target.pathname : '/socket.io/';

const stats = {
  totalHist: new Uint32Array(HIST_BINS + 1),
  hist: new Uint32Array(HIST_BINS + 1),
  received: 0,
  closed: 0,
  errors: {},
  disconnects: {},
  closeFrames: 0, // viewers told of the end: a disconnect packet or a WebSocket close frame
  windowStart: performance.now(),
  windowCpu: cpuSeconds(),
};
const viewers = [];

function resetWindow() {
  stats.received = 0;
  stats.hist.fill(0);
  stats.windowStart = performance.now();
  stats.windowCpu = cpuSeconds();
}

function countError(reason) {
  const key = String(reason).slice(0, 60);
  stats.errors[key] = (stats.errors[key] || 0) + 1;
}

function markClean(viewer) {
  if (viewer.clean) return;
  viewer.clean = true;
  stats.closeFrames += 1;
}

function onStock(viewer, part) {
  viewer.received += 1;
  viewer.pushes += 1;
  stats.received += 1;
  if (part && typeof part.t === 'number') {
    const lat = Math.trunc((nowMs() - part.t) * 10);
    const bucket = lat > HIST_BINS ? HIST_BINS : (lat > 0 ? lat : 0);
    stats.hist[bucket] += 1;
    stats.totalHist[bucket] += 1;
  }
  if (args.versions && part && typeof part.v === 'number') viewer.version = part.v;
  if (!viewer.firstAt) viewer.firstAt = performance.now();
}

// Open one viewer; resolves once its namespace connect is acknowledged, rejects otherwise.
function openOne(index) {
  const viewer = {
    index, started: performance.now(), joinedAt: 0, firstAt: 0, received: 0, pushes: 0,
    version: 0, socket: null, deflate: false, joined: false, clean: false,
  };
  return new Promise((resolve, reject) => {
    const socket = io(`${origin}/live`, {
      path,
      transports: ['websocket'],
      auth: { show: args.show },
      forceNew: true,
      reconnection: false,
      timeout: args.joinTimeout * 1000,
    });
    viewer.socket = socket;
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('TimeoutError: join timeout'));
    }, args.joinTimeout * 1000);
    socket.on('connect', () => {
      clearTimeout(timer);
      viewer.joinedAt = performance.now();
      viewer.joined = true;
      const ws = socket.io.engine && socket.io.engine.transport && socket.io.engine.transport.ws;
      viewer.deflate = Boolean(ws && String(ws.extensions || '').includes('permessage-deflate'));
      resolve(viewer);
    });
    socket.on('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`ConnectionError: ${err && err.message}`));
    });
    socket.on('disconnect', (reason) => {
      if (!viewer.joined) return;
      stats.closed += 1;
      stats.disconnects[reason] = (stats.disconnects[reason] || 0) + 1;
      if (reason === 'io server disconnect') markClean(viewer);
    });
    // The WebSocket's close code tells a close frame (1005: one without a status code) from a
    // connection that just dropped (1006).
    socket.io.on('close', (reason, details) => {
      const code = details && details.context && details.context.code;
      if (viewer.joined && typeof code === 'number' && code !== 1006) {
        markClean(viewer);
      }
    });
    socket.on('stock', (payload) => onStock(viewer, payload));
    socket.on('tick', (frame) => {
      if (frame && frame.stock) onStock(viewer, frame.stock);
      else viewer.pushes += 1;
      if (!viewer.firstAt) viewer.firstAt = performance.now();
    });
    socket.onAny((event) => {
      if (event === 'stock' || event === 'tick') return;
      if (event !== 'snapshot') viewer.pushes += 1;
      if (!viewer.firstAt) viewer.firstAt = performance.now(); // e.g. a snapshot on connect
    });
  });
}

async function joinAll() {
  const joinErrors = {};
  const cpu0 = cpuSeconds();
  const started = performance.now();
  const limit = args.wave > 0 ? args.wave : args.viewers;
  let next = 0;
  let deadlineHit = false;
  const deadline = setTimeout(() => { deadlineHit = true; }, args.joinDeadline * 1000);
  // `limit` workers, each opening one viewer after another: at most `limit` in flight.
  async function worker() {
    while (next < args.viewers && !deadlineHit) {
      const index = next;
      next += 1;
      try {
        viewers.push(await openOne(index));
      } catch (err) {
        const key = String(err.message).slice(0, 60);
        joinErrors[key] = (joinErrors[key] || 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, args.viewers) }, worker));
  clearTimeout(deadline);
  const notStarted = args.viewers - next;
  if (notStarted > 0) joinErrors['not joined by the join deadline'] = notStarted;
  let last = started;
  for (const v of viewers) if (v.joinedAt > last) last = v.joinedAt;
  if (args.settle > 0) await new Promise((r) => { setTimeout(r, args.settle * 1000); });
  const joined = viewers.length;
  const seconds = (last - started) / 1000;
  const firstMs = viewers.filter((v) => v.firstAt).map((v) => v.firstAt - v.started);
  let errors = 0;
  for (const k of Object.keys(joinErrors)) errors += joinErrors[k];
  return {
    event: 'joined',
    client: 'socket.io-client',
    viewers: args.viewers,
    joined,
    stalled: 0,
    deflate_negotiated: viewers.filter((v) => v.deflate).length,
    join_errors: errors,
    join_error_kinds: topKinds(joinErrors, 5),
    join_seconds: seconds,
    joins_per_s: seconds > 0 ? joined / seconds : null,
    connect_ms: summarize(viewers.map((v) => v.joinedAt - v.started)),
    first_message_ms: summarize(firstMs),
    first_message_n: firstMs.length,
    client_cpu_s: cpuSeconds() - cpu0,
  };
}

function windowStats() {
  const wall = (performance.now() - stats.windowStart) / 1000;
  const cpu = cpuSeconds() - stats.windowCpu;
  const body = {
    event: 'window',
    seconds: wall,
    received: stats.received,
    latency_ms: histSummary(stats.hist),
    open: viewers.filter((v) => v.socket.connected).length,
    active: viewers.length,
    errors: Object.values(stats.errors).reduce((a, b) => a + b, 0),
    closed: stats.closed,
    disconnect_reasons: { ...stats.disconnects },
    close_frames: stats.closeFrames,
    client_cpu_s: cpu,
    client_cpu_util: wall > 0 ? cpu / wall : null,
  };
  resetWindow();
  return body;
}

function finalStats() {
  const versions = viewers.map((v) => v.version);
  const newest = versions.reduce((a, b) => Math.max(a, b), 0);
  return {
    event: 'final',
    received: viewers.reduce((a, v) => a + v.received, 0),
    pushes: viewers.reduce((a, v) => a + v.pushes, 0),
    latency_ms: histSummary(stats.totalHist),
    errors: topKinds(stats.errors, 5),
    closed: stats.closed,
    disconnect_reasons: { ...stats.disconnects },
    newest_version: newest,
    viewers_on_newest: versions.filter((x) => x === newest).length,
    oldest_version: versions.reduce((a, b) => Math.min(a, b), versions.length ? Infinity : 0),
    stalled_received: 0,
  };
}

function closeAll() {
  for (const v of viewers) v.socket.close();
}

function stop(code) {
  closeAll();
  // Give stdout a turn to flush, then leave whatever is still open.
  setImmediate(() => process.exit(code));
}

setTimeout(() => {
  emit({ event: 'timeout', after_s: args.duration });
  stop(0);
}, args.duration * 1000).unref();

async function main() {
  emit(await joinAll());
  const rl = readline.createInterface({ input: process.stdin });
  let done = false;
  rl.on('line', (raw) => {
    const line = raw.trim();
    if (line === 'window') emit(windowStats());
    else if (line === 'final' || line === '') {
      if (done) return;
      done = true;
      emit(finalStats());
      stop(0);
    }
  });
  rl.on('close', () => {
    if (done) return;
    done = true;
    emit(finalStats());
    stop(0);
  });
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack}\n`);
  process.exit(1);
});
