// A viewer on the stock Node socket.io-client, websocket only: prints one JSON line per step.
// Usage: node viewer.js URL SHOW
const { io } = require("socket.io-client");

const [url, show] = process.argv.slice(2);
const say = (what, data) => process.stdout.write(JSON.stringify({ what, data }) + "\n");
const socket = io(`${url}/live`, { transports: ["websocket"], auth: { show }, reconnection: false });
let acked = false;
let ticked = false;
const done = () => {
  if (acked && ticked) {
    socket.disconnect();
    process.exit(0);
  }
};
setTimeout(() => { say("timeout", null); process.exit(2); }, 15000);
socket.on("connect", () => say("connect", { transport: socket.io.engine.transport.name }));
socket.on("connect_error", (err) => { say("connect_error", err.message); process.exit(3); });
socket.on("snapshot", (snap) => {
  say("snapshot", { show: snap.show.id, stock: snap.stock });
  socket.emit("comment", { id: "node-1", name: "Node", text: "chốt A2" }, (ack) => {
    say("ack", ack);
    acked = true;
    done();
  });
});
socket.on("tick", (frame) => {
  if (frame.stock) {
    say("tick", frame.stock.stock);
    ticked = true;
    done();
  }
});
