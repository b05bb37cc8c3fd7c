// pages.test.mjs: the tracker, the announcer screen and the big-screen kiosk
// (clients/web) in real headless Chromium against the real Redis, the real
// splitlined and a small real replay of Boston 2015 (every 90th runner).
//
// The replay runs in two legs.  Leg 1 feeds every read up to 3:00:00 of
// each runner's race (the fast ones finish, the rest are left on course);
// leg 2, from another device after a server restart, feeds the whole file.
//   - the tracker, opened before any read with two bibs, shows their splits
//     as they come, without a reload, and at the end their finish time and
//     place as the server exports them;
//   - after leg 1 the announcer lists exactly the runners that the export's
//     rows say reach the finish within its window, at the page's own clock
//     (computed here independently: start + proj within [now, now + 60 min]);
//   - the server is killed and restarted: every page says "reconnecting",
//     then is live again and catches up (leg 2) without a reload;
//   - the kiosk shows the export's top places;
//   - a screenshot of each page goes to SL_BROWSER_SHOTS (the build dir).
//   node --test tests/browser/pages.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeSlices } from './slice.mjs';
import { stackTest, BIN, SOURCE, getJson, log, sleep, waitFor, startStack, launchChromium, pageOpener } from './harness.mjs';

const EVENT = 'boston-2015';
const RACE = 'marathon';
const EVERY = 90;
const CUT_S = 3 * 3600; // leg 1: reads up to 3:00:00 of each runner's race
const WINDOW_MIN = 60;

const rowsOf = (doc) => (Array.isArray(doc) ? doc : doc.rows || doc.results);

stackTest('tracker, announcer and kiosk follow a replay in headless Chromium', { prefix: 'pages', timeout: 600000, keepShots: true }, async (t) => {
  const { tmp, shots, procs } = t;
  for (const [k, v] of Object.entries(BIN)) assert.ok(v && fs.existsSync(v), `${k} binary not found (${v})`);
  const stack = await startStack(procs, tmp, EVENT);
  const { port, base, serverArgv, ctl } = stack;
  let server = stack.server;

  const full = path.join(tmp, 'slice.csv');
  const cut = path.join(tmp, 'slice-cut.csv');
  const runners = writeSlices(full, cut, { every: EVERY, cutS: CUT_S });
  const n = runners.length;
  const yaml = path.join(SOURCE, 'scripts', 'demo', 'boston-2015.yaml');
  await ctl('event', 'create', yaml);
  await ctl('participants', 'import', full, '--map', 'sex=M/F', '--chip-from-bib');
  const tokA = (await ctl('token', 'issue', '--role', 'reader', '--device', 'pages-a')).trim();
  const tokB = (await ctl('token', 'issue', '--role', 'reader', '--device', 'pages-b')).trim();
  // Tracked: two runners who are still on course after leg 1 (official time past 3:30).
  const slow = runners.filter((r) => r.official > 3.5 * 3600 && r.official < 4.5 * 3600);
  assert.ok(slow.length >= 2, 'two runners between 3:30 and 4:30 in the slice');
  const tracked = [slow[0].bib, slow[Math.floor(slow.length / 2)].bib];
  log(`event created, ${n} participants; tracking ${tracked.join(', ')}`);

  const browser = (t.browser = await launchChromium(tmp, { width: 1280, height: 900 }));
  const pageErrors = [];
  const open = pageOpener(browser, base, pageErrors);
  const tracker = await open(`tracker.html?bibs=${tracked.join(',')}`);
  const announcer = await open(`announcer.html?race=${RACE}&window=${WINDOW_MIN}&grace=0`);
  const kiosk = await open(`kiosk.html?race=${RACE}&speed=0&sex=all`); // one overall list
  await tracker.waitForFunction((b) => b.every((x) => document.querySelector(`.card[data-bib="${x}"] .card-meta`)), tracked, { timeout: 15000 });
  const splitsOf = (bib) => tracker.evaluate((bib) => [...document.querySelectorAll(`.card[data-bib="${bib}"] tr.split`)].map((r) => r.dataset.pt), bib);
  assert.deepEqual(await splitsOf(tracked[0]), [], 'no split before the replay');

  // Leg 1.
  const replay = (csv, tok, dev) => procs.start(`replay-${dev}`, [BIN.replay, 'boston', csv, '--config', yaml, '--server', `ws://127.0.0.1:${port}/ws`, '--event', EVENT, '--token', tok, '--device', dev, '--speed', '2000', '--seed', '1'], { stdout: true });
  const leg1 = replay(cut, tokA, 'pages-a');
  const counts = new Set();
  while (!leg1.exited) {
    counts.add((await splitsOf(tracked[0])).length);
    await sleep(250);
  }
  assert.equal(leg1.exited.code, 0, `leg 1 failed: ${fs.readFileSync(leg1.logPath, 'utf8').slice(-1500)}`);
  log(`leg 1: ${leg1.out().trim()}`);
  await tracker.waitForFunction((bib) => document.querySelectorAll(`.card[data-bib="${bib}"] tr.split`).length >= 5, tracked[0], { timeout: 15000 });
  counts.add((await splitsOf(tracked[0])).length);
  assert.ok([...counts].filter((c) => c > 0).length >= 2, `the tracker showed splits one by one (counts seen: ${[...counts].join(', ')})`);
  const projText = await tracker.textContent(`.card[data-bib="${tracked[0]}"] .card-big`);
  assert.match(projText, /projected finish \d:\d\d:\d\d/, `tracked runner on course: ${projText}`);
  await tracker.waitForFunction((bib) => /projected \d+(st|nd|rd|th)/.test(document.querySelector(`.card[data-bib="${bib}"] .card-big`).textContent), tracked[0], { timeout: 15000 });

  // The announcer: the export says who reaches the finish within the window, at the page's clock.
  await sleep(1500); // the last deltas
  const exp1 = rowsOf(await getJson(`${base}/api/results/${RACE}.json`));
  const onCourse = exp1.filter((r) => r.status === 'on_course').length;
  assert.ok(onCourse > n / 3, `many runners on course after leg 1 (${onCourse} of ${n})`);
  await announcer.waitForFunction((k) => {
    const b = globalThis.splitline.state.board;
    return b.full() && [...b.entries.values()].filter((e) => e.row.status === 'on_course').length === k;
  }, onCourse, { timeout: 30000 });
  await sleep(1200); // one drawing with everything
  const shown = await announcer.evaluate(() => {
    const ol = document.getElementById('calls');
    return { now: Number(ol.dataset.now), bibs: [...ol.querySelectorAll('li[data-bib]')].map((li) => li.dataset.bib) };
  });
  const expected = exp1
    .filter((r) => (r.status === 'on_course' || r.status === 'started') && typeof r.proj === 'number' && typeof r.start === 'number')
    .map((r) => ({ bib: String(r.bib), at: r.start + r.proj }))
    .filter((x) => x.at >= shown.now && x.at <= shown.now + WINDOW_MIN * 60000)
    .sort((a, b) => a.at - b.at || (a.bib < b.bib ? -1 : 1))
    .map((x) => x.bib);
  log(`announcer at ${new Date(shown.now).toISOString()}: ${shown.bibs.length} runners due within ${WINDOW_MIN} min`);
  assert.ok(expected.length >= 1, 'someone is due at the finish within the window');
  assert.deepEqual(shown.bibs, expected, 'the announcer lists the runners the export projects within the window');
  await announcer.screenshot({ path: path.join(shots, 'announcer.png') });
  await tracker.screenshot({ path: path.join(shots, 'tracker-on-course.png'), fullPage: true });

  // The server dies and comes back; leg 2 (the whole file) from another device.
  await procs.kill(server);
  for (const p of [tracker, announcer, kiosk]) await p.waitForFunction(() => document.documentElement.dataset.conn === 'reconnecting', null, { timeout: 10000 });
  server = procs.start('server2', serverArgv);
  await waitFor('/health after restart', () => getJson(`${base}/health`), 60000);
  for (const p of [tracker, announcer, kiosk]) await p.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
  const leg2 = replay(full, tokB, 'pages-b');
  await procs.wait(leg2, 240000);
  assert.equal(leg2.exited.code, 0, `leg 2 failed: ${fs.readFileSync(leg2.logPath, 'utf8').slice(-1500)}`);
  await waitFor('every finisher on the server', async () => rowsOf(await getJson(`${base}/api/results/${RACE}.json`)).filter((r) => r.status === 'finished').length === n, 30000, 500);
  const exp = rowsOf(await getJson(`${base}/api/results/${RACE}.json`));
  const byBib = new Map(exp.map((r) => [String(r.bib), r]));

  // Tracker: both finished, with the export's time and place.
  for (const bib of tracked) {
    const r = byBib.get(bib);
    await tracker.waitForFunction(({ bib, t }) => {
      const big = document.querySelector(`.card[data-bib="${bib}"] .card-big`);
      return big && big.dataset.status === 'finished' && big.textContent.includes(t);
    }, { bib, t: fmt(r.net) }, { timeout: 30000 });
    const text = await tracker.textContent(`.card[data-bib="${bib}"] .card-big`);
    await tracker.waitForFunction(({ bib, p }) => document.querySelector(`.card[data-bib="${bib}"] .card-big`).textContent.includes(p), { bib, p: `${ord(r.place)} overall` }, { timeout: 10000 }).catch(() => {
      throw new Error(`bib ${bib}: "${text}" lacks ${ord(r.place)} overall`);
    });
    assert.ok((await splitsOf(bib)).includes('finish'));
  }
  await tracker.screenshot({ path: path.join(shots, 'tracker.png'), fullPage: true });

  // Kiosk: the export's top ten in order with their places.
  await sleep(1200);
  const top = exp.filter((r) => r.status === 'finished').sort((a, b) => a.place - b.place || a.net - b.net).slice(0, 10);
  await kiosk.waitForFunction((bibs) => {
    const got = [...document.querySelectorAll('#rows li[data-bib]')].slice(0, bibs.length).map((li) => li.dataset.bib);
    return got.join(',') === bibs.join(',');
  }, top.map((r) => String(r.bib)), { timeout: 30000 });
  const kplaces = await kiosk.evaluate(() => [...document.querySelectorAll('#rows li[data-bib] .k-place')].slice(0, 10).map((s) => Number(s.textContent)));
  assert.deepEqual(kplaces, top.map((r) => r.place));
  await kiosk.screenshot({ path: path.join(shots, 'kiosk.png') });

  // Officials' decisions show where people look (issue 12): a penalty on the
  // winner, the adjusted time and "+1:00" on the board; a disqualification
  // with its reason on the tracker card.
  const winner = String(top[0].bib);
  await ctl('adjust', winner, 'penalty', '--ms', '60000', '--reason', 'cup not in the bin', '--official', 'chief');
  await ctl('adjust', String(tracked[0]), 'dq', '--reason', 'shortcut at 20 km', '--official', 'chief');
  await tracker.waitForFunction((bib) => {
    const r = document.querySelector(`.card[data-bib="${bib}"] .card-reasons`);
    return r && r.textContent.includes('Disqualified: shortcut at 20 km');
  }, String(tracked[0]), { timeout: 15000 });

  // Made official: the board says so; a change after official marks it corrected, live.
  await ctl('race', 'official', RACE, '--official', 'chief');

  // The leaderboard with the new columns, for review.
  const board = await open(`index.html?race=${RACE}`);
  await board.waitForFunction((n) => globalThis.splitline.state.board.entries.size === n, n, { timeout: 30000 });
  await board.waitForFunction(() => {
    const r = document.querySelector('.res-state');
    return r && r.textContent === 'Official results' && /made official by chief/.test(r.title);
  }, null, { timeout: 15000 });
  await ctl('adjust', String(top[1].bib), 'penalty', '--ms', '30000', '--reason', 'late protest upheld', '--official', 'referee');
  await board.waitForFunction(() => {
    const r = document.querySelector('.res-state');
    return r && r.textContent === 'Corrected after official' && /corrected by referee.*late protest upheld/.test(r.title);
  }, null, { timeout: 15000 });
  const winnerCell = await board.waitForFunction((bib) => {
    const row = [...document.querySelectorAll('.row')].find((r) => r.querySelector('.c-bib') && r.querySelector('.c-bib').textContent.trim() === bib);
    const net = row && row.querySelector('.c-net');
    return net && net.textContent.includes('+1:00') ? [net.textContent, net.title] : null;
  }, winner, { timeout: 15000 });
  const [netText, netTitle] = await winnerCell.jsonValue();
  assert.match(netText, new RegExp(`^${fmt(top[0].net + 60000)} \\+1:00$`), 'the winner shows the adjusted time and the penalty');
  assert.match(netTitle, /measured \+1:00 .*Penalty: cup not in the bin/, 'and why, in the title');
  await sleep(400);
  await board.screenshot({ path: path.join(shots, 'leaderboard.png') });

  for (const p of [tracker, announcer, kiosk]) assert.equal(await p.evaluate(() => globalThis.__noReload), 42, 'never reloaded');
  assert.deepEqual(pageErrors, [], 'no script error in the pages');
  log(`screenshots in ${shots}`);
});

function fmt(ms) {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function ord(n) {
  const t = n % 100;
  return `${n}${t >= 11 && t <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th'}`;
}
