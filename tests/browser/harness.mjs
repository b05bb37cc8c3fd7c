// harness.mjs: the browser tests' process harness (Redis, splitlined, the
// CLI, the replay; every child killed by pid), taken from
// scoreboard.test.mjs for the tests that came after it (pages.test.mjs), and
// stackTest(), the setup and teardown every test on its own stack shares.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE = path.resolve(process.env.SL_SOURCE_DIR || path.join(HERE, '..', '..'));
export const DATA = path.resolve(process.env.SL_DATA_DIR || path.join(SOURCE, 'data'));
export const CHROMIUM = process.env.SL_CHROMIUM || '/usr/bin/chromium';
// The pages served: clients/web, or SL_WEB_ROOT (e.g. an older copy, to see a test fail on it).
export const WEB_ROOT = path.resolve(process.env.SL_WEB_ROOT || path.join(SOURCE, 'clients', 'web'));

export function guessBin(name, subs) {
  if (process.env[name]) return process.env[name];
  const build = path.join(SOURCE, 'build');
  if (fs.existsSync(build)) {
    for (const d of fs.readdirSync(build).sort()) {
      for (const s of subs) {
        const p = path.join(build, d, s);
        try {
          fs.accessSync(p, fs.constants.X_OK);
          return p;
        } catch {
          /* next */
        }
      }
    }
  }
  return null;
}

export const BIN = {
  server: guessBin('SL_SERVER_BIN', ['server/splitlined']),
  ctl: guessBin('SL_CTL_BIN', ['clients/ctl/splitline', 'clients/splitline', 'clients/clients/splitline']),
  replay: guessBin('SL_REPLAY_BIN', ['clients/replay/splitline-replay', 'clients/splitline-replay', 'clients/clients/splitline-replay']),
  redis: process.env.SL_REDIS_SERVER || '/usr/bin/redis-server',
};

export const haveChromium = fs.existsSync(CHROMIUM);
export const log = (m) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/* ---- processes: every child is ours, killed by pid at the end ---- */

export class Procs {
  constructor(tmp) {
    this.tmp = tmp;
    this.list = [];
  }

  start(name, argv, opts = {}) {
    const logPath = path.join(this.tmp, `${name}.log`);
    const fd = fs.openSync(logPath, 'a');
    const p = spawn(argv[0], argv.slice(1).map(String), {
      cwd: opts.cwd || this.tmp,
      stdio: ['ignore', opts.stdout ? 'pipe' : fd, fd],
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' },
    });
    let out = '';
    if (opts.stdout) p.stdout.on('data', (d) => (out += d));
    const rec = { name, p, logPath, fd, exited: null, out: () => out };
    p.on('exit', (code, sig) => (rec.exited = { code, sig }));
    p.on('error', (e) => (rec.exited = { code: -1, sig: String(e) }));
    this.list.push(rec);
    return rec;
  }

  wait(rec, timeoutMs) {
    return new Promise((resolve, reject) => {
      if (rec.exited) return resolve(rec.exited);
      const t = setTimeout(() => reject(new Error(`${rec.name} still running after ${timeoutMs} ms`)), timeoutMs);
      rec.p.once('exit', (code, sig) => {
        clearTimeout(t);
        resolve({ code, sig });
      });
    });
  }

  async run(name, argv, timeoutMs = 120000) {
    const rec = this.start(name, argv, { stdout: true });
    const st = await this.wait(rec, timeoutMs);
    const err = fs.readFileSync(rec.logPath, 'utf8');
    if (st.code !== 0) throw new Error(`${name} exited ${st.code ?? st.sig}:\n${rec.out()}\n${err.slice(-2000)}`);
    return rec.out();
  }

  async kill(rec) {
    if (rec.exited) return;
    rec.p.kill('SIGKILL');
    await this.wait(rec, 10000).catch(() => {});
  }

  async cleanup() {
    for (const rec of [...this.list].reverse()) await this.kill(rec);
    for (const rec of this.list) fs.closeSync(rec.fd);
  }

  tails() {
    return this.list
      .map((r) => {
        const t = fs.existsSync(r.logPath) ? fs.readFileSync(r.logPath, 'utf8').trimEnd().split('\n').slice(-25).join('\n') : '';
        return t ? `---- ${r.name} (${r.logPath}):\n${t}` : '';
      })
      .filter(Boolean)
      .join('\n');
  }

  sanitizerReports() {
    const marks = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'];
    return this.list.filter((r) => {
      const t = fs.existsSync(r.logPath) ? fs.readFileSync(r.logPath, 'utf8') : '';
      return marks.some((m) => t.includes(m));
    });
  }
}

/*
 * One browser test on a stack of its own: node:test's test(name) with the
 * timeout and the skip when Chromium is missing, the binaries checked, a tmp
 * dir (sl-<prefix>-*), the screenshots' dir (SL_BROWSER_SHOTS, else tmp) and
 * the process list.  body(t) gets t = {tmp, shots, procs, browser: null} and
 * sets t.browser when it launches one.  Afterwards, pass or fail: the browser
 * is closed, the processes killed; a failure prints their last log lines and
 * keeps tmp (its path printed); a pass removes tmp, but keeps the screenshots
 * written into it when keepShots (no SL_BROWSER_SHOTS: they are the only
 * copy); a sanitizer report in any process's log fails the test.
 */
export function stackTest(name, { prefix = 'browser', timeout = 300000, keepShots = false } = {}, body) {
  const skip = haveChromium ? false : `chromium not installed at ${CHROMIUM} (run scripts/setup): browser test skipped`;
  test(name, { timeout, skip }, async () => {
    for (const k of ['server', 'ctl', 'redis']) assert.ok(BIN[k] && fs.existsSync(BIN[k]), `${k} binary not found (${BIN[k]})`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sl-${prefix}-`));
    const shots = process.env.SL_BROWSER_SHOTS || tmp;
    fs.mkdirSync(shots, { recursive: true });
    const t = { tmp, shots, procs: new Procs(tmp), browser: null };
    let ok = false;
    try {
      await body(t);
      ok = true;
    } finally {
      if (t.browser) await t.browser.close().catch(() => {});
      await t.procs.cleanup();
      const bad = t.procs.sanitizerReports();
      if (!ok || bad.length) {
        process.stdout.write(`${t.procs.tails()}\nkept ${tmp}\n`);
      } else if (keepShots && shots === tmp) {
        for (const f of fs.readdirSync(tmp)) if (!f.endsWith('.png')) fs.rmSync(path.join(tmp, f), { recursive: true, force: true });
      } else {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      if (ok) assert.deepEqual(bad.map((r) => r.logPath), [], 'sanitizer reports in the processes\' logs');
    }
  });
}

/* ---- Redis, just enough RESP to ask PING and XREVRANGE ---- */

export function redisCmd(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    s.setTimeout(5000, () => s.destroy(new Error('redis timeout')));
    s.on('error', reject);
    s.on('connect', () => s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) {
        s.end();
        resolve(buf);
      }
    });
  });
}

export async function waitFor(what, fn, timeoutMs, everyMs = 100) {
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

export async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return r.json();
}

/*
 * A Redis of the shipped config (fsync always) on a free port, data under
 * tmp, started by procs; returns its port once it answers PING.
 */
export async function startRedis(procs, tmp) {
  const port = await freePort();
  const root = path.join(tmp, 'redis');
  const dir = path.join(root, 'var', 'redis');
  fs.mkdirSync(dir, { recursive: true });
  procs.start('redis', [BIN.redis, path.join(SOURCE, 'scripts', 'redis.conf'), '--port', port, '--dir', dir, '--bind', '127.0.0.1'], { cwd: root });
  await waitFor('redis PING', async () => (await redisCmd(port, 'PING')).startsWith('+PONG'), 30000);
  return port;
}

/* ---- talking the protocol from inside a page (node 20 has no WebSocket) ---- */


/* Debian's chromium, headless, with its profile in tmp (a persistent
 * context: it is the browser and its only context). */
/* extra: more context options, e.g. { timezoneId: 'Asia/Tokyo' } (the viewer's zone). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(tmp, viewport, extra = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
    ...extra,
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: CHROMIUM_ARGS,
  });
}

/* The same Chromium as a browser of several contexts (a phone and an
 * office side by side); moreArgs, e.g. a fake camera, come after ours. */
export async function launchBrowser(moreArgs = []) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...moreArgs] });
}

/* Page errors worth failing a test for: uncaught ones, and console errors
 * other than a WebSocket or a resource the test cut off on purpose (the
 * server stopped, the network taken offline). */
export function watchErrors(page, errors, prefix = '') {
  page.on('pageerror', (e) => errors.push(`${prefix}${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|Failed to load resource|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED/.test(m.text())) errors.push(`${prefix}${m.text()}`);
  });
}

/* open(url): a new page of base/url with its errors watched; with live, it
 * waits until the page is connected (and marks it, to catch a reload).
 * browser may be a persistent context, a browser or one of its contexts. */
export function pageOpener(browser, base, errors, { live = true } = {}) {
  return async (url) => {
    const p = await browser.newPage();
    watchErrors(p, errors, `${url}: `);
    await p.goto(`${base}/${url}`);
    if (live) {
      await p.evaluate(() => (globalThis.__noReload = 42));
      await p.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
    }
    return p;
  };
}

/*
 * The stack a page test needs: Redis on a free port, then splitlined on a
 * free port serving the web root, with a fresh admin token.  Returns
 * { redisPort, port, base, ws, admin, adminFile, serverArgv, server, ctl },
 * ctl(...args) running the officials' CLI as admin against it.  event null:
 * a server of many events (no --event; the token is the deployment admin's),
 * up once it answers /api/events.json, and ctl names no event (pass
 * '--event', id).
 */
export async function startStack(procs, tmp, event, { webRoot = WEB_ROOT } = {}) {
  const redisPort = await startRedis(procs, tmp);
  const adminFile = path.join(tmp, 'admin.token');
  const admin = crypto.randomBytes(16).toString('hex');
  fs.writeFileSync(adminFile, admin + '\n', { mode: 0o600 });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const ws = `ws://127.0.0.1:${port}/ws`;
  const serverArgv = [BIN.server, ...(event ? ['--event', event] : []), '--listen', '127.0.0.1', '--port', port,
    '--redis', `127.0.0.1:${redisPort}`, '--admin-token-file', adminFile, '--web-root', webRoot,
    '--log-level', 'info'];
  const server = procs.start('server', serverArgv);
  const ready = event ? '/health' : '/api/events.json';
  await waitFor(ready, () => getJson(`${base}${ready}`), 60000);
  const ctl = (...a) => procs.run('ctl', [BIN.ctl, '--server', ws, ...(event ? ['--event', event] : []), '--token-file', adminFile, ...a]);
  return { redisPort, port, base, ws, admin, adminFile, serverArgv, server, ctl };
}

/*
 * Opens a JSON WebSocket from page to ws (ws://host:port/ws), says hello
 * for event with token, sends msgs one after the other (each gets an id)
 * and resolves to their replies; a snapshot wanted (subscribe) comes back
 * as the reply's `snapshot`.  Rejects after timeoutMs.
 */
export function pageRequests(page, ws, event, token, msgs, timeoutMs = 15000) {
  return page.evaluate(
    ({ ws, event, token, msgs, timeoutMs }) =>
      new Promise((resolve, reject) => {
        const s = new WebSocket(ws, 'splitline.v1.json');
        const out = [];
        let id = 0;
        let waitingSnap = null;
        const timer = setTimeout(() => {
          s.close();
          reject(new Error(`no reply after ${timeoutMs} ms (${out.length} of ${msgs.length} done)`));
        }, timeoutMs);
        const next = () => {
          if (out.length === msgs.length) {
            clearTimeout(timer);
            s.close();
            resolve(out);
            return;
          }
          s.send(JSON.stringify({ ...msgs[out.length], id: ++id }));
        };
        s.onopen = () => s.send(JSON.stringify({ t: 'hello', id: ++id, event, ...(token ? { token } : {}) }));
        s.onerror = () => reject(new Error(`websocket error on ${ws}`));
        s.onmessage = (ev) => {
          const m = JSON.parse(ev.data);
          if (m.t === 'snapshot' && waitingSnap) {
            waitingSnap.snapshot = m;
            waitingSnap = null;
            next();
            return;
          }
          if (m.id !== id) return;
          if (id === 1) {
            if (m.t !== 'ok') reject(new Error(`hello: ${JSON.stringify(m)}`));
            else next();
            return;
          }
          const req = msgs[out.length];
          out.push(m);
          if (req.t === 'subscribe' && m.t === 'ok') {
            waitingSnap = m;
            return;
          }
          next();
        };
      }),
    { ws, event, token, msgs, timeoutMs },
  );
}

/* The current snapshot of topic, seen through page (see pageRequests). */
export async function pageSnapshot(page, ws, event, token, topic, opts = {}) {
  const [r] = await pageRequests(page, ws, event, token, [{ t: 'subscribe', topic, ...opts }]);
  if (r.t !== 'ok') throw new Error(`subscribe ${topic}: ${JSON.stringify(r)}`);
  return r.snapshot;
}

/* ---- a camera for Chromium's fake capture device ---- */

/*
 * Writes a Y4M video (YUV 4:2:0, what --use-file-for-fake-video-capture
 * reads) of `frames` identical frames w x h: the QR matrix `dark(r, c)` of
 * `modules` modules, scale px per module, centred on white with the quiet
 * zone the standard asks (4 modules).
 */
export function writeQrY4m(file, modules, dark, { w = 640, h = 480, frames = 10 } = {}) {
  const scale = Math.floor(Math.min(w, h) / (modules + 8));
  const size = modules * scale;
  const x0 = Math.floor((w - size) / 2);
  const y0 = Math.floor((h - size) / 2);
  const y = Buffer.alloc(w * h, 235);
  for (let r = 0; r < modules; r++) {
    for (let c = 0; c < modules; c++) {
      if (!dark(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) y.fill(16, (y0 + r * scale + dy) * w + x0 + c * scale, (y0 + r * scale + dy) * w + x0 + (c + 1) * scale);
    }
  }
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < frames; i++) parts.push(Buffer.from('FRAME\n'), y, chroma);
  fs.writeFileSync(file, Buffer.concat(parts));
  return { scale, size };
}
