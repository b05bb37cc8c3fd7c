// fanout_peer.js: what a results site would build instead of splitlined, for
// the fan-out bench (scripts/bench/fanout drives it): Node with the `ws`
// package (scripts/bench/package.json; `npm ci` in scripts/bench).
//
//   node fanout_peer.js PORT RATE SIZE
//
// Once it gets SIGUSR2, it builds RATE messages a second (on an absolute
// schedule), each a JSON object of SIZE bytes with a sequence number, encodes
// each one ONCE into a Buffer and sends that Buffer as a text frame to every
// open client (ws frames it per client). No compression. It accepts any path and subprotocol, and drops
// what clients send.
'use strict';
const { WebSocketServer } = require('ws');

const [port, rate, size] = process.argv.slice(2).map(Number);
if (!(port > 0 && port < 65536 && rate > 0 && rate <= 1000 && size >= 40 && size < 65536)) {
  process.stderr.write('usage: node fanout_peer.js PORT RATE SIZE\n');
  process.exit(2);
}
const wss = new WebSocketServer({
  host: '127.0.0.1', port, backlog: 4096, perMessageDeflate: false, clientTracking: true,
  handleProtocols: (protocols) => protocols.values().next().value || false,
});
let seq = 0;

function tick() {
  const head = `{"t":"delta","seq":${++seq},"pad":"`;
  const msg = Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length - 2)) + '"}');
  for (const c of wss.clients) if (c.readyState === 1) c.send(msg, { binary: false });
}

// Tick k is due at go + k / rate (an absolute schedule: a late tick does not lower the rate).
let go = 0;
function schedule() {
  tick();
  setTimeout(schedule, Math.max(0, go + (seq * 1000) / rate - performance.now()));
}
process.on('SIGUSR2', () => {
  if (!go) {
    go = performance.now();
    schedule();
  }
});
process.on('SIGTERM', () => process.exit(0));
wss.on('listening', () => console.log(`fanout_peer listening on ${port}`));
