'use strict';
// Node.js socket.io reference peer for the livesell fan-out benchmarks.
//
// socket.io 4.8 with its defaults (no per-message deflate, 25 s pings). Viewers
// connect to the /live namespace and join one room; a timer at --rate Hz builds
// the payload with the current time and a version and broadcasts it with
// io.of('/live').to('show').emit('stock', payload).
//
// Control channel on the same port (plain HTTP):
//   GET /bench/stats[?reset=1]  push count, viewers, fan-out and lateness summaries
//   GET /bench/rate?hz=N        change the tick rate (0 stops pushing)
// Options: --port, --rate (Hz), --duration (s), --graceful 1 (io.close() on SIGTERM).

const http = require('http');
const { Server } = require('socket.io');

function parseArgs(argv) {
  const args = { port: 8000, rate: 0, duration: 600, host: '127.0.0.1' };
  for (let i = 2; i < argv.length; i += 1) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    i += 1;
    if (key === 'host') args.host = value;
    else args[key] = Number(value);
  }
  return args;
}

function summary(values) {
  if (values.length === 0) return { n: 0, p50: null, p99: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  let total = 0;
  for (const v of sorted) total += v;
  return {
    n: sorted.length,
    p50: pick(0.5),
    p99: pick(0.99),
    max: sorted[sorted.length - 1],
    mean: total / sorted.length,
  };
}

const args = parseArgs(process.argv);
const state = {
  rate: 0,
  version: 0,
  pushes: 0,
  deliveries: 0,
  fanoutMs: [],
  latenessMs: [],
  timer: null,
};

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/bench/stats') {
    const body = {
      peer: 'node',
      pid: process.pid,
      rate: state.rate,
      version: state.version,
      pushes: state.pushes,
      deliveries: state.deliveries,
      viewers: live.sockets.size,
      fanout_ms: summary(state.fanoutMs),
      lateness_ms: summary(state.latenessMs),
    };
    if (url.searchParams.get('reset') === '1') {
      state.pushes = 0;
      state.deliveries = 0;
      state.fanoutMs = [];
      state.latenessMs = [];
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  } else if (url.pathname === '/bench/rate') {
    setRate(Number(url.searchParams.get('hz') || '0'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ rate: state.rate }));
  } else if (!req.url.startsWith('/socket.io/')) {
    res.writeHead(404);
    res.end();
  }
});

const io = new Server(httpServer, { serveClient: false });
const live = io.of('/live');
live.on('connection', (socket) => {
  socket.join('show');
});

function tick(due) {
  const start = performance.now();
  state.latenessMs.push(start - due);
  state.version += 1;
  const payload = {
    v: state.version,
    t: Math.round((performance.timeOrigin + performance.now()) * 10) / 10,
    stock: { 'A1:500g': state.version % 50, 'A1:1kg': 3, 'B1:1l': 12 },
  };
  live.to('show').emit('stock', payload);
  state.fanoutMs.push(performance.now() - start);
  state.pushes += 1;
  state.deliveries += live.adapter.rooms.get('show')?.size ?? 0;
}

function setRate(hz) {
  if (state.timer !== null) clearTimeout(state.timer);
  state.timer = null;
  state.rate = hz;
  if (hz <= 0) return;
  const period = 1000 / hz;
  const t0 = performance.now();
  let k = 0;
  const schedule = () => {
    k += 1;
    const due = t0 + k * period;
    state.timer = setTimeout(() => {
      tick(due);
      schedule();
    }, Math.max(0, due - performance.now()));
  };
  schedule();
}

httpServer.listen(args.port, args.host, 1024, () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: args.port, pid: process.pid })}\n`);
  setRate(args.rate);
});

// Every run stops by itself.
setTimeout(() => process.exit(0), args.duration * 1000).unref();
// With --graceful 1, SIGTERM closes every client first (a disconnect packet each, then the
// connections), as a server being stopped on purpose would; bounded to 30 s.
process.on('SIGTERM', () => {
  if (!args.graceful) process.exit(0);
  setRate(0);
  setTimeout(() => process.exit(1), 30000).unref();
  io.close(() => process.exit(0));
});
process.on('SIGINT', () => process.exit(0));
