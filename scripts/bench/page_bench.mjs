// page_bench.mjs: first render of a 26,598-runner leaderboard (clients/web
// index.html) in headless Chromium.  Not a test: it prints times, never fails
// on them.
//
// The page is served by a small node HTTP server from clients/web; its
// WebSocket is answered by Playwright's routeWebSocket: hello -> ok, the
// results subscription -> ok and one snapshot of every runner (?snap=30000,
// a generated field shaped like Boston 2015: 26,598 finishers with ten
// splits each).  Measured: navigation start to the first painted rows with
// every runner held; reference: JSON.parse of the same snapshot text in the
// same page, and the snapshot's size.
//   node scripts/bench/page_bench.mjs        (needs tests/browser/node_modules)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const WEB = path.join(ROOT, 'clients', 'web');
const require = createRequire(path.join(ROOT, 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');
const N = Number(process.env.N || 26598);
const RUNS = Number(process.env.RUNS || 3);

function field(n) {
  const pts = ['5k', '10k', '15k', '20k', 'half', '25k', '30k', '35k', '40k'];
  const d = [5, 10, 15, 20, 21.0975, 25, 30, 35, 40];
  const cats = ['M18-39', 'M40-44', 'F18-39', 'F40-44', 'M45-49', 'F45-49'];
  const t0 = Date.UTC(2015, 3, 20, 14, 0, 0);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const net = Math.round(7757000 + (i / n) * 4 * 3600000 + (i % 7) * 1000);
    const splits = {};
    pts.forEach((p, k) => (splits[p] = Math.round((net * d[k]) / 42.195)));
    splits.finish = net;
    const sex = i % 2 ? 'F' : 'M';
    const cat = cats[i % cats.length];
    rows.push({ bib: String(i + 1), name: `Runner${i} Surname${i % 997}`, sex, age: 20 + (i % 50), club: i % 3 ? '' : `Club ${i % 211}`,
      race: 'marathon', wave: String(1 + (i % 4)), cats: [cat], status: 'finished', place: i + 1, place_sex: (i >> 1) + 1,
      place_cat: { [cat]: Math.floor(i / 6) + 1 }, start: t0 + (i % 1200) * 1000, net, gun: net + (i % 1200) * 1000,
      pace: Math.round(net / 42.195), splits, last: 'finish', proj: null });
  }
  return rows;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ok: true, event: 'bench', redis: 'up', caught_up: true }));
  }
  const f = path.join(WEB, path.normalize(u.pathname === '/' ? '/index.html' : u.pathname));
  if (!f.startsWith(WEB) || !fs.existsSync(f)) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(f)] || 'application/octet-stream' });
  fs.createReadStream(f).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const rows = field(N);
const snapText = JSON.stringify({ t: 'snapshot', topic: 'results/marathon', n: N, offset: 0, ranking: 'net', precision_ms: 1000, rows });
console.log(`field: ${N} runners, snapshot ${(snapText.length / 1e6).toFixed(1)} MB of JSON`);

const browser = await chromium.launch({ executablePath: process.env.SL_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
try {
  for (let run = 1; run <= RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.routeWebSocket(/\/ws$/, (ws) => {
      ws.onMessage((m) => {
        const msg = JSON.parse(m);
        if (msg.t === 'hello') ws.send(JSON.stringify({ t: 'ok', id: msg.id, role: 'spectator', event: 'bench' }));
        else if (msg.t === 'subscribe') {
          ws.send(JSON.stringify({ t: 'ok', id: msg.id }));
          if (msg.topic === 'results/marathon') ws.send(snapText);
          else if (msg.topic === 'finishes/marathon') ws.send(JSON.stringify({ t: 'snapshot', topic: msg.topic, n: N, rows: rows.slice(-50) }));
        } else if (msg.id) ws.send(JSON.stringify({ t: 'ok', id: msg.id }));
      });
    });
    // When the snapshot frame reaches the page's code (its JSON.parse): what
    // comes before is the delivery through Playwright's WebSocket relay, not the page.
    await page.addInitScript(() => {
      const parse = JSON.parse;
      JSON.parse = function (s, r) {
        if (typeof s === 'string' && s.length > 1e6 && globalThis.__snapAt == null) globalThis.__snapAt = performance.now();
        return parse.call(this, s, r);
      };
    });
    await page.goto(`${base}/index.html?race=marathon&snap=30000`);
    await page.waitForFunction((n) => globalThis.splitline && globalThis.splitline.state.board.entries.size === n && document.querySelectorAll('#list .row').length > 10, N, { timeout: 60000, polling: 'raf' });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return { render: performance.now(), snapAt: globalThis.__snapAt, domInteractive: nav.domInteractive, rows: document.querySelectorAll('#list .row').length };
    });
    const parse = await page.evaluate((s) => {
      const t0 = performance.now();
      JSON.parse(s);
      return performance.now() - t0;
    }, snapText);
    console.log(`run ${run}: first render of ${N} runners ${t.render.toFixed(0)} ms after navigation start ` +
      `(snapshot frame received at ${t.snapAt.toFixed(0)} ms: the page's own work, parse + board + first paint, ${(t.render - t.snapAt).toFixed(0)} ms; ` +
      `DOM interactive ${t.domInteractive.toFixed(0)} ms; ${t.rows} rows in the DOM); reference: JSON.parse of the snapshot in the page ${parse.toFixed(0)} ms`);
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
