// scoreboard.test.mjs: the live scoreboard (clients/web) in real headless
// Chromium against the real Redis, the real splitlined and a small real
// replay of Boston 2015, over the real wire.
//
// One event, one page, loaded once before any read exists; then the
// fastest quarter is replayed and the page must show exactly them finished,
// then the rest is replayed (paced) and the page must follow without a
// reload: rows turn from
// registered to finished, the counts and the finish feed move, and at the
// end every visible place equals the server's export.  Then search, the
// category filter (a resubscription), windowed rendering (DOM rows stay
// few), and a server killed and restarted: "reconnecting", then live again
// with the same results, still without a reload.
//
// Paths come from the environment (tests/browser/browser.cmake passes them),
// else the first build directory that has the binaries:
//   SL_SERVER_BIN SL_CTL_BIN SL_REPLAY_BIN SL_REDIS_SERVER SL_SOURCE_DIR
//   SL_DATA_DIR SL_CHROMIUM (default /usr/bin/chromium)
//   SL_BROWSER_SHOTS: a directory for screenshots (default: the temp dir)
// Skips, saying so, only when Chromium is not installed.
//   node --test tests/browser/scoreboard.test.mjs
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { stackTest, SOURCE, DATA, BIN, log, sleep, freePort, redisCmd, waitFor, getJson, launchChromium, watchErrors } from './harness.mjs';

const EVENT = 'boston-2015';
const RACE = 'marathon';
const EVERY = 90; // every 90th runner of the file: ~300 runners from every wave

/* The slice of the results file: every EVERY-th runner with a good finish time. */
function writeSlice(dst) {
  const lines = fs.readFileSync(path.join(DATA, 'boston-2015.csv'), 'utf8').split(/\r?\n/);
  const out = [lines[0]];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    if ((i - 1) % EVERY !== 0) continue;
    if (!/,\d+:\d\d:\d\d,\d+,\d+,\d+$/.test(lines[i])) continue; // a clean Official Time
    out.push(lines[i]);
  }
  fs.writeFileSync(dst, out.join('\n') + '\n');
  return out.length - 1;
}

/* ---- the page, as the test sees it ---- */

async function pageState(page) {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('#list .row')].map((r) => ({
      bib: r.dataset.bib,
      place: r.querySelector('.c-place').textContent.trim(),
      y: r.getBoundingClientRect().top,
      status: r.querySelector('.c-status').textContent,
    }));
    rows.sort((a, b) => a.y - b.y);
    const b = globalThis.splitline.state.board;
    return {
      conn: document.documentElement.dataset.conn,
      counts: document.getElementById('counts').textContent,
      info: document.getElementById('info').textContent,
      feed: [...document.querySelectorAll('#feed-list li[data-bib]')].map((li) => li.dataset.bib),
      rows,
      held: b.entries.size,
      finished: [...b.entries.values()].filter((e) => e.row.status === 'finished').length,
      marker: globalThis.__noReload === 42,
      url: location.href,
    };
  });
}

stackTest('live scoreboard follows a replay in headless Chromium', { prefix: 'browser', timeout: 600000, keepShots: true }, async (t) => {
  const { tmp, shots, procs } = t;
  for (const [k, v] of Object.entries(BIN)) {
    assert.ok(v && fs.existsSync(v), `${k} binary not found (${v}); build first or set SL_${k.toUpperCase()}_BIN`);
  }
  // Redis from the shipped config, on a free port and a private dir.
  const redisPort = await freePort();
  const redisRoot = path.join(tmp, 'redis');
  fs.mkdirSync(path.join(redisRoot, 'var', 'redis'), { recursive: true });
  procs.start('redis', [BIN.redis, path.join(SOURCE, 'scripts', 'redis.conf'), '--port', redisPort, '--dir', path.join(redisRoot, 'var', 'redis'), '--bind', '127.0.0.1'], { cwd: redisRoot });
  await waitFor('redis PING', async () => (await redisCmd(redisPort, 'PING')).startsWith('+PONG'), 30000);

  // splitlined serving clients/web.
  const adminToken = crypto.randomBytes(16).toString('hex');
  const adminFile = path.join(tmp, 'admin.token');
  fs.writeFileSync(adminFile, adminToken + '\n', { mode: 0o600 });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serverArgv = [BIN.server, '--event', EVENT, '--listen', '127.0.0.1', '--port', port, '--redis', `127.0.0.1:${redisPort}`, '--admin-token-file', adminFile, '--web-root', path.join(SOURCE, 'clients', 'web'), '--log-level', 'info'];
  let server = procs.start('server', serverArgv);
  await waitFor('/health', () => getJson(`${base}/health`), 60000);

  // The event, ~300 participants, a reader token.
  const slice = path.join(tmp, 'slice.csv');
  const n = writeSlice(slice);
  const ctl = (...a) => procs.run('ctl', [BIN.ctl, '--server', `ws://127.0.0.1:${port}/ws`, '--event', EVENT, '--token-file', adminFile, ...a]);
  await ctl('event', 'create', path.join(SOURCE, 'scripts', 'demo', 'boston-2015.yaml'));
  await ctl('participants', 'import', slice, '--map', 'sex=M/F', '--chip-from-bib');
  const token = (await ctl('token', 'issue', '--role', 'reader', '--device', 'web-test')).trim();
  assert.match(token, /^[0-9a-fA-F]{16,128}$/);
  const tokenFirst = (await ctl('token', 'issue', '--role', 'reader', '--device', 'web-first')).trim();
  // The slice in two: the file is in finishing order, so its first quarter
  // are the fastest runners (a device of their own), the rest the replay's.
  const lines = fs.readFileSync(slice, 'utf8').trimEnd().split('\n');
  const nFirst = Math.floor(n / 4);
  const sliceFirst = path.join(tmp, 'slice-first.csv');
  const sliceRest = path.join(tmp, 'slice-rest.csv');
  fs.writeFileSync(sliceFirst, [lines[0], ...lines.slice(1, 1 + nFirst)].join('\n') + '\n');
  fs.writeFileSync(sliceRest, [lines[0], ...lines.slice(1 + nFirst)].join('\n') + '\n');
  log(`event created, ${n} participants`);

  // The page, before any read: every runner registered, nobody finished.
  // A fresh profile (--user-data-dir) in the temp dir.
  const browser = (t.browser = await launchChromium(tmp, { width: 1280, height: 900 }));
  const page = browser.pages()[0] || (await browser.newPage());
  const pageErrors = [];
  watchErrors(page, pageErrors);
  // No ?event= and no ?race=: the event comes from /health, the race falls back to "marathon".
  await page.goto(`${base}/`);
  await page.evaluate(() => (globalThis.__noReload = 42));
  await page.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
  await page.waitForFunction((n) => globalThis.splitline.state.board.entries.size === n, n, { timeout: 30000 });
  let st = await pageState(page);
  assert.equal(st.finished, 0, 'nobody finished before the replay');
  assert.match(st.counts, new RegExp(`0 finished .* ${n} registered`), `counts line: ${st.counts}`);
  // the heading: the event's name and date from the event topic (the config's), not its id
  await page.waitForFunction(() => document.getElementById('title').textContent === 'Boston Marathon 2015 20 Apr 2015', null, { timeout: 10000 });
  log(`page live with ${st.held} registered runners`);

  // First the fastest quarter, at once, and the page must show exactly them
  // finished while the others are still registered: a state of the race
  // that the page shows whatever the machine's timing (a replay paced by
  // the wall clock alone sent everything at once after a stall of the
  // machine, and the page went from 0 to every finisher: one CI run).
  const yaml = path.join(SOURCE, 'scripts', 'demo', 'boston-2015.yaml');
  const first = procs.start('replay-first', [BIN.replay, 'boston', sliceFirst, '--config', yaml, '--server', `ws://127.0.0.1:${port}/ws`, '--event', EVENT, '--token', tokenFirst, '--device', 'web-first', '--speed', '0', '--seed', '1'], { stdout: true });
  await waitFor('the first quarter replayed', async () => first.exited, 120000);
  assert.equal(first.exited.code, 0, `first replay failed: ${first.out()}`);
  await page.waitForFunction((k) => [...globalThis.splitline.state.board.entries.values()].filter((e) => e.row.status === 'finished').length === k, nFirst, { timeout: 30000 });
  st = await pageState(page);
  assert.equal(st.finished, nFirst, 'the page shows the first quarter finished');
  assert.ok(st.counts.startsWith(`${nFirst} finished`), `counts line while the others run: ${st.counts}`);
  log(`page shows ${nFirst} of ${n} finished after the first quarter`);

  // The rest: race time 2000x faster (about 12 s of wall time).
  const replay = procs.start('replay', [BIN.replay, 'boston', sliceRest, '--config', yaml, '--server', `ws://127.0.0.1:${port}/ws`, '--event', EVENT, '--token', token, '--device', 'web-test', '--speed', '2000', '--seed', '1'], { stdout: true });
  // Until the server has every finisher (the replay's own exit is the
  // integration tests' business: here it only feeds the server).
  const seen = new Set([nFirst]);
  const finishedOnServer = async () => {
    const doc = await getJson(`${base}/api/results/${RACE}.json`);
    const rows = Array.isArray(doc) ? doc : doc.rows || doc.results;
    return rows.filter((r) => r.status === 'finished').length;
  };
  const deadline = Date.now() + 240000;
  let lastCheck = 0;
  for (;;) {
    st = await pageState(page);
    seen.add(st.finished);
    if (replay.exited) break;
    if (Date.now() - lastCheck > 1000) {
      lastCheck = Date.now();
      if ((await finishedOnServer()) === n) break;
    }
    assert.ok(Date.now() < deadline, `the server has ${await finishedOnServer()} of ${n} finishers after 240 s`);
    await sleep(300);
  }
  if (replay.exited) {
    assert.equal(replay.exited.code, 0, `replay failed: ${replay.out()}\n${fs.readFileSync(replay.logPath, 'utf8').slice(-2000)}`);
    log(`replay done: ${replay.out().trim()}`);
  } else {
    log('every finisher is on the server; the replay has not exited yet: stopping it');
    await procs.kill(replay);
  }
  // (the first quarter's state was asserted above; how many more the page
  // showed while the rest ran depends on the machine's timing)
  log(`finished counts the page showed while the race ran: ${[...seen].sort((a, b) => a - b).join(', ')}`);

  // The end: every finisher of the export, with the export's places, in the page.
  const doc = await getJson(`${base}/api/results/${RACE}.json`);
  const exp = Array.isArray(doc) ? doc : doc.rows || doc.results;
  const expFinished = exp.filter((r) => r.status === 'finished');
  assert.equal(expFinished.length, n, 'every runner of the slice finished on the server');
  await page.waitForFunction((n) => globalThis.splitline.state.board.entries.size === n && [...globalThis.splitline.state.board.entries.values()].every((e) => e.row.status === 'finished'), n, { timeout: 30000 });
  await page.waitForFunction((n) => document.getElementById('counts').textContent.startsWith(`${n} finished`), n, { timeout: 15000 });
  await sleep(400); // one draw
  st = await pageState(page);
  assert.ok(st.marker, 'the page was never reloaded');
  const byBib = new Map(exp.map((r) => [String(r.bib), r]));
  const visible = st.rows.filter((r) => r.y >= 0 && r.y < 900);
  assert.ok(visible.length >= 10, `rows on screen: ${visible.length}`);
  for (const r of visible) {
    assert.equal(r.place, String(byBib.get(r.bib).place), `bib ${r.bib}: the page says place ${r.place}, the export ${byBib.get(r.bib).place}`);
  }
  const winner = expFinished.reduce((a, b) => (a.place <= b.place ? a : b));
  assert.equal(st.rows.find((r) => r.y >= 0).bib, String(winner.bib), 'the winner is on top');
  assert.ok(st.rows.length < 80, `windowed rendering: ${st.rows.length} rows in the DOM for ${n}`);
  assert.ok(st.feed.length > 0 && st.feed.length <= 50, `finish feed has ${st.feed.length} entries`);
  const lastAt = Math.max(...expFinished.map((r) => r.start + r.net));
  const newest = expFinished.filter((r) => r.start + r.net === lastAt).map((r) => String(r.bib));
  assert.ok(newest.includes(st.feed[0]), `the newest finisher heads the feed: ${st.feed[0]}, expected one of ${newest}`);
  await page.screenshot({ path: path.join(shots, 'scoreboard-desktop.png') });

  // Search: a bib.
  const someone = expFinished[Math.floor(expFinished.length / 2)];
  await page.fill('#q', String(someone.bib));
  await page.waitForFunction((bib) => {
    const rows = [...document.querySelectorAll('#list .row')];
    return rows.length >= 1 && rows.every((r) => r.dataset.bib.startsWith(bib));
  }, String(someone.bib), { timeout: 5000 });
  await page.fill('#q', '');

  // Category filter: a resubscription to results/<race>/cat/<cat>.
  const cat = 'M40-44';
  const members = expFinished.filter((r) => (r.cats || []).includes(cat));
  assert.ok(members.length > 2, `${cat} has ${members.length} finishers in the slice`);
  await page.waitForFunction((cat) => [...document.querySelectorAll('#cat option')].some((o) => o.value === `cat/${cat}`), cat, { timeout: 5000 });
  await page.selectOption('#cat', `cat/${cat}`);
  await page.waitForFunction((k) => globalThis.splitline.state.board.entries.size === k, members.length, { timeout: 15000 });
  await sleep(400);
  st = await pageState(page);
  assert.match(st.url, /[?&]cat=M40-44/);
  const firstCat = members.reduce((a, b) => (a.place_cat[cat] <= b.place_cat[cat] ? a : b));
  const top = st.rows.filter((r) => r.y >= 0);
  assert.equal(top[0].bib, String(firstCat.bib), `first of ${cat}`);
  assert.equal(top[0].place, '1');
  for (const r of top.slice(0, 10)) assert.equal(r.place, String(byBib.get(r.bib).place_cat[cat]), `bib ${r.bib} in ${cat}`);

  // A snapshot cut at 50 rows (?snap=50): the top comes over the socket,
  // the rest over HTTP once someone scrolls to the end; places still match.
  const page2 = await browser.newPage();
  watchErrors(page2, pageErrors, '?snap=50: ');
  await page2.goto(`${base}/?race=${RACE}&event=${EVENT}&snap=50`);
  await page2.waitForFunction(() => globalThis.splitline.state.board.hasSnapshot, null, { timeout: 30000 });
  const cut = await page2.evaluate(() => ({ held: globalThis.splitline.state.board.entries.size, n: globalThis.splitline.state.board.n }));
  assert.equal(cut.held, 50, 'the first snapshot holds 50 rows');
  assert.equal(cut.n, n);
  // Scroll to the end on every poll: under load the list may still be
  // growing when the first scroll lands, and one scroll then misses the end.
  await page2.waitForFunction(() => {
    scrollTo(0, document.body.scrollHeight);
    return globalThis.splitline.state.board.full();
  }, null, { timeout: 60000, polling: 250 });
  await sleep(400);
  const all = await page2.evaluate(() => globalThis.splitline.state.board.sorted().map((e) => [e.bib, e.place]));
  assert.equal(all.length, n);
  for (const [bib, place] of all) assert.equal(place, byBib.get(bib).place, `bib ${bib} after loading the whole list`);
  await page2.close();

  // Phone-sized viewport.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.selectOption('#cat', '');
  await page.waitForFunction((n) => globalThis.splitline.state.board.entries.size === n, n, { timeout: 15000 });
  await sleep(400);
  await page.screenshot({ path: path.join(shots, 'scoreboard-phone.png') });

  // The server dies: "reconnecting", the data stays; it comes back: live again.
  await procs.kill(server);
  await page.waitForFunction(() => document.documentElement.dataset.conn === 'reconnecting', null, { timeout: 10000 });
  st = await pageState(page);
  assert.equal(st.held, n, 'results stay on screen while reconnecting');
  await page.screenshot({ path: path.join(shots, 'scoreboard-phone-reconnecting.png') });
  server = procs.start('server2', serverArgv);
  await waitFor('/health after restart', () => getJson(`${base}/health`), 60000);
  await page.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
  await page.waitForFunction((n) => globalThis.splitline.state.board.hasSnapshot && globalThis.splitline.state.board.entries.size === n, n, { timeout: 30000 });
  st = await pageState(page);
  assert.ok(st.marker, 'reconnected without a reload');
  assert.equal(st.finished, n, 'the fresh snapshot after the reconnect has every finisher');
  assert.deepEqual(pageErrors, [], 'no script error in the page');
  log(`screenshots in ${shots}`);
});
