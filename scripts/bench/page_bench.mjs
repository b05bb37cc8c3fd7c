// page_bench.mjs: first render of a 26,598-runner leaderboard (clients/web
// index.html) in headless Chromium.  Not a test: it prints times, never fails
// on them.
//
// Two modes:
//
//   node scripts/bench/page_bench.mjs --server [--runs N] [--keep]
//     The REAL stack: redis-server (temp dir, --appendonly yes
//     --appendfsync always), build/release/server/splitlined (built with
//     cmake -DCMAKE_BUILD_TYPE=Release if missing) with the Boston 2015 event
//     (scripts/demo/boston-2015.yaml), data/boston-2015.csv
//     imported (splitline participants import --map sex=M/F --chip-from-bib)
//     and every read replayed (splitline-replay boston ... --speed 0).  Then,
//     per run, a fresh page at 1280x900 opens index.html?race=marathon&all=1
//     (the page asks the socket for a window of 1000 rows, paints them, and
//     with all=1 fetches /api/results/marathon.json at once).  Measured from
//     navigation start: first leaderboard rows painted; every runner held by
//     the page and painted.  References in the same run: raw HTTP fetch of
//     the export (node, and the page's own resource timing), JSON.parse of
//     the same export text in the page.  --keep leaves the stack running
//     after the runs (prints its URL) until Ctrl-C, to look at the page;
//     --csv FILE replays another file of the Boston shape (e.g. one with the
//     splits after some time blanked: a race in progress) instead.
//
//   node scripts/bench/page_bench.mjs            (no server)
//     The page served by a small node HTTP server; its WebSocket answered by
//     Playwright's routeWebSocket: hello -> ok, the results subscription ->
//     ok and one snapshot of every runner (?snap=30000, a generated field
//     shaped like Boston 2015).  Playwright's relay itself costs seconds on
//     12 MB, so this mode shows the page's own work after the frame arrives,
//     not the real end-to-end figure.
//
// Needs tests/browser/node_modules (playwright-core) and /usr/bin/chromium
// (SL_CHROMIUM overrides).  Env: RUNS (default 3), N (no-server mode field size).
import http from 'node:http';
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
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
const argv = process.argv.slice(2);
const opt = (name) => argv.includes(name);
const optVal = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const RUNS = Number(optVal('--runs', process.env.RUNS || 3));
const CHROMIUM = process.env.SL_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];


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
async function routedMode() {
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const rows = field(N);
const snapText = JSON.stringify({ t: 'snapshot', topic: 'results/marathon', n: N, offset: 0, ranking: 'net', precision_ms: 1000, rows });
console.log(`field: ${N} runners, snapshot ${(snapText.length / 1e6).toFixed(1)} MB of JSON`);

const browser = await chromium.launch({ executablePath: process.env.SL_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: CHROMIUM_ARGS });
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
}

/* ---- --server: the real stack ---- */

const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, fn, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function redisPing(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(2000, () => s.destroy(new Error('redis timeout')));
    s.on('error', reject);
    s.on('connect', () => s.write('*1\r\n$4\r\nPING\r\n'));
    s.on('data', (d) => {
      s.end();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

/* Children, killed by pid at the end. */
const children = [];
function start(tmp, name, args, { stdout = false } = {}) {
  const fd = fs.openSync(path.join(tmp, `${name}.log`), 'a');
  const p = spawn(args[0], args.slice(1).map(String), { cwd: tmp, stdio: ['ignore', stdout ? 'pipe' : fd, fd] });
  let out = '';
  if (stdout) p.stdout.on('data', (d) => (out += d));
  const rec = { name, p, fd, exited: null, out: () => out };
  p.on('exit', (code, sig) => (rec.exited = { code, sig }));
  children.push(rec);
  return rec;
}
async function run(tmp, name, args, timeoutMs = 600000) {
  const rec = start(tmp, name, args, { stdout: true });
  const st = await new Promise((resolve) => {
    if (rec.exited) return resolve(rec.exited);
    const t = setTimeout(() => resolve({ code: 'timeout' }), timeoutMs);
    rec.p.once('exit', (code, sig) => {
      clearTimeout(t);
      resolve({ code, sig });
    });
  });
  if (st.code !== 0) {
    const err = fs.readFileSync(path.join(tmp, `${name}.log`), 'utf8').slice(-2000);
    throw new Error(`${name} exited ${st.code ?? st.sig}:\n${rec.out()}\n${err}`);
  }
  return rec.out();
}
// Whatever way this process ends, no child outlives it.
process.on('exit', () => {
  for (const rec of children) if (!rec.exited) rec.p.kill('SIGKILL');
});
async function stopAll() {
  for (const rec of [...children].reverse()) {
    if (!rec.exited) {
      rec.p.kill('SIGTERM');
      await Promise.race([new Promise((r) => rec.p.once('exit', r)), sleep(5000)]);
      if (!rec.exited) rec.p.kill('SIGKILL');
    }
    fs.closeSync(rec.fd);
  }
}

function releaseBins() {
  const rel = path.join(ROOT, 'build', 'release');
  const bins = {
    server: path.join(rel, 'server', 'splitlined'),
    ctl: path.join(rel, 'clients', 'splitline'),
    replay: path.join(rel, 'clients', 'splitline-replay'),
  };
  if (!Object.values(bins).every((b) => fs.existsSync(b))) {
    log(`building ${rel} (Release, -j2)`);
    const sh = (a) => {
      const r = spawnSync(a[0], a.slice(1), { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`${a.join(' ')} failed`);
    };
    sh(['cmake', '-S', ROOT, '-B', rel, '-DCMAKE_BUILD_TYPE=Release']);
    sh(['cmake', '--build', rel, '-j2', '--target', 'splitlined', 'splitline', 'splitline-replay']);
  }
  return bins;
}

async function serverMode() {
  const bins = releaseBins();
  const data = path.resolve(process.env.SL_DATA_DIR || path.join(ROOT, 'data'));
  const csv = path.resolve(optVal('--csv', path.join(data, 'boston-2015.csv')));
  const yaml = path.join(ROOT, 'scripts', 'demo', 'boston-2015.yaml');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-page-bench-'));
  let browser = null;
  try {
    const redisPort = await freePort();
    fs.mkdirSync(path.join(tmp, 'redis'));
    start(tmp, 'redis', ['redis-server', '--port', redisPort, '--bind', '127.0.0.1', '--dir', path.join(tmp, 'redis'),
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']);
    await waitFor('redis PING', () => redisPing(redisPort), 30000);

    const adminFile = path.join(tmp, 'admin.token');
    fs.writeFileSync(adminFile, crypto.randomBytes(16).toString('hex') + '\n', { mode: 0o600 });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    start(tmp, 'server', [bins.server, '--event', 'boston-2015', '--listen', '127.0.0.1', '--port', port,
      '--redis', `127.0.0.1:${redisPort}`, '--admin-token-file', adminFile, '--web-root', WEB, '--log-level', 'warn']);
    await waitFor('/health', async () => (await fetch(`${base}/health`)).ok, 60000);

    const ctl = (name, ...a) => run(tmp, name, [bins.ctl, '--server', `ws://127.0.0.1:${port}/ws`, '--event', 'boston-2015', '--token-file', adminFile, ...a]);
    let t0 = performance.now();
    await ctl('create', 'event', 'create', yaml);
    await ctl('import', 'participants', 'import', csv, '--map', 'sex=M/F', '--chip-from-bib');
    log(`event created, participants imported in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const tok = (await ctl('token', 'token', 'issue', '--role', 'reader', '--device', 'bench')).trim();
    t0 = performance.now();
    const rep = await run(tmp, 'replay', [bins.replay, 'boston', csv, '--config', yaml, '--server', `ws://127.0.0.1:${port}/ws`,
      '--event', 'boston-2015', '--token', tok, '--device', 'bench', '--speed', '0']);
    log(`${rep.trim()} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

    // Wait until the export holds every runner and stops changing.
    const url = `${base}/api/results/marathon.json`;
    let prev = '';
    let doc = null;
    await waitFor('a stable export', async () => {
      const r = await fetch(url, { cache: 'no-store' });
      const j = await r.json();
      const rows = Array.isArray(j) ? j : j.rows || j.results || [];
      const key = `${rows.length}/${rows.filter((x) => x.status === 'finished').length}`;
      const same = key === prev;
      prev = key;
      doc = rows;
      return same;
    }, 120000, 1000);
    const total = doc.length;
    const fin = doc.filter((x) => x.status === 'finished').length;
    log(`export: ${total} runners, ${fin} finished`);
    console.log(`stack: redis-server (appendonly yes, appendfsync always) + ${path.relative(ROOT, bins.server)} at ${base}, ` +
      `boston-2015: ${total} runners (${fin} finished)`);

    // Reference: raw HTTP fetch of the export, from node.
    const fetches = [];
    let size = 0;
    for (let i = 0; i < 3; i++) {
      const f0 = performance.now();
      const r = await fetch(url, { cache: 'no-store' });
      const buf = await r.arrayBuffer();
      fetches.push(performance.now() - f0);
      size = buf.byteLength;
    }
    console.log(`reference: GET /api/results/marathon.json from node: ${(size / 1e6).toFixed(1)} MB in ` +
      `${fetches.map((x) => x.toFixed(0)).join(', ')} ms`);

    // Playwright's own SIGINT handler would exit before the finally below.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
      handleSIGINT: false, handleSIGTERM: false });
    for (let i = 1; i <= RUNS; i++) {
      // A fresh context per run: no HTTP cache, no warm connection.
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      // Every animation frame until done: when rows first exist in the list,
      // when the board holds every runner (and the frame that paints them).
      await page.addInitScript((total) => {
        const mark = () => {
          const s = globalThis.splitline;
          const now = performance.now();
          if (globalThis.__firstRows == null && document.querySelector('#list .row')) globalThis.__firstRows = now;
          if (globalThis.__firstRows != null && s && s.state.board.entries.size >= total && globalThis.__fullAt == null) globalThis.__fullAt = now;
          if (globalThis.__fullAt == null) requestAnimationFrame(mark);
        };
        requestAnimationFrame(mark);
      }, total);
      await page.goto(`${base}/index.html?race=marathon&all=1`);
      await page.waitForFunction(() => globalThis.__fullAt != null, null, { timeout: 120000, polling: 200 });
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource').find((e) => /\/api\/results\//.test(e.name));
        return {
          first: globalThis.__firstRows,
          full: globalThis.__fullAt,
          firstRows: globalThis.splitline.state.board.entries.size,
          domInteractive: nav.domInteractive,
          fetchStart: res ? res.startTime : null,
          fetchEnd: res ? res.responseEnd : null,
          domRows: document.querySelectorAll('#list .row').length,
        };
      });
      const parse = await page.evaluate(async (u) => {
        const text = await (await fetch(u, { cache: 'no-store' })).text();
        const p0 = performance.now();
        JSON.parse(text);
        return { ms: performance.now() - p0, mb: text.length / 1e6 };
      }, url);
      console.log(`run ${i}: first rows painted ${t.first.toFixed(0)} ms after navigation start; all ${total} runners held and painted ` +
        `${t.full.toFixed(0)} ms (export fetched ${t.fetchStart != null ? `${t.fetchStart.toFixed(0)}-${t.fetchEnd.toFixed(0)} ms` : '?'}; ` +
        `DOM interactive ${t.domInteractive.toFixed(0)} ms; ${t.domRows} rows in the DOM); ` +
        `reference: JSON.parse of the ${parse.mb.toFixed(1)} MB export in the page ${parse.ms.toFixed(0)} ms`);
      await ctx.close();
    }
    if (opt('--keep')) {
      console.log(`--keep: ${base}/index.html?race=marathon running; Ctrl-C to stop`);
      await new Promise((r) => {
        process.once('SIGINT', r);
        process.once('SIGTERM', r);
        setInterval(() => {}, 1 << 30); // stay up until then
      });
      return;
    }
  } finally {
    if (browser) await browser.close();
    await stopAll();
    if (!opt('--keep-tmp')) fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(0); // the --keep timer
}

if (opt('--server')) await serverMode();
else await routedMode();
