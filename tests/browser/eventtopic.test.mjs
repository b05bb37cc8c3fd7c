// eventtopic.test.mjs: the pages reading the `event` topic and the status
// topic's per-race counts, in real headless Chromium against the real Redis
// and splitlined.  A small event made here: "Lakeside 10K", ranked by GUN
// time, two waves (09:00 and 09:10), split points named "Heartbreak Hill"
// (5 km) and "Lake Bridge" (8 km), named categories; and a net 5 km race.
// Reads sent by a reader device (passings), then a wave start (wave_start):
//   bib 1   wave 1, start mat 09:00:10, 5 km at 22:00 net, finish 45:00 net
//           -> finished: gun 45:10
//   bib 2   wave 1, start mat 09:08:00, 5 km at 20:00 -> proj 40:00 net,
//           gun 8:00 + 40:00 = 48:00
//   bib 101 wave 2, start mat 09:11:00, 5 km at 20:00 -> proj 40:00 net,
//           gun 1:00 + 40:00 = 41:00: projected 1st by gun (45:10, 48:00)
//   then wave 2's start is set to 09:05: bib 101's gun projection becomes
//   6:00 + 40:00 = 46:00, projected 2nd (after 45:10, before 48:00).
// Checked: the leaderboard (1920 px) heads its split columns with the point
// NAMES and shows the race names (menu, heading), the event name and date,
// the category names in the filter; the tracker shows bib 101's projected
// GUN finish and place, and both move when the wave start changes, without
// a reload; the announcer the same; the kiosk the per-race started and
// finished counts.  On the old pages (net projections, ids) these fail:
// SL_WEB_ROOT=<a copy of older pages> serves those instead.
//   node --test tests/browser/eventtopic.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stackTest, getJson, log, waitFor, pageRequests, startStack, launchChromium, pageOpener } from './harness.mjs';

const EVENT = 'lakeside-2024';
const MIN = 60000;
const T0 = Date.UTC(2024, 4, 5, 9, 0, 0);

const YAML = `event: ${EVENT}
name: Lakeside Gun Run
date: 2024-05-05
races:
  - id: 10k
    name: Lakeside 10K
    kind: mass
    distance_m: 10000
    ranking: gun
    precision_ms: 1000
    waves:
      - {id: "1", start: "2024-05-05T09:00:00Z", bibs: "1-99"}
      - {id: "2", start: "2024-05-05T09:10:00Z", bibs: "100-199"}
    points:
      - {id: start, name: Start, distance_m: 0, role: start, window_s: 3600}
      - {id: p1, name: "Heartbreak Hill", distance_m: 5000, role: split}
      - {id: p2, name: "Lake Bridge", distance_m: 8000, role: split}
      - {id: finish, name: Finish, distance_m: 10000, role: finish}
    categories:
      - {id: W40, name: "Women 40-49", sex: F, age_min: 40, age_max: 49}
      - {id: M40, name: "Men 40-49", sex: M, age_min: 40, age_max: 49}
  - id: 5k
    name: Lakeside 5K Fun Run
    kind: mass
    distance_m: 5000
    ranking: net
    precision_ms: 1000
    waves:
      - {id: "1", start: "2024-05-05T09:30:00Z"}
    points:
      - {id: start, name: Start, distance_m: 0, role: start, window_s: 3600}
      - {id: finish, name: Finish, distance_m: 5000, role: finish}
`;

const CSV = `bib,name,sex,age,race
1,Ann Alder,F,44,10k
2,Ben Birch,M,45,10k
101,Cat Cedar,F,41,10k
501,Dan Dogwood,M,30,5k
`;

const READS = [
  { bib: '1', pt: 'start', t: T0 + 10000 },
  { bib: '1', pt: 'p1', t: T0 + 10000 + 22 * MIN },
  { bib: '1', pt: 'finish', t: T0 + 10000 + 45 * MIN },
  { bib: '2', pt: 'start', t: T0 + 8 * MIN },
  { bib: '2', pt: 'p1', t: T0 + 28 * MIN },
  { bib: '101', pt: 'start', t: T0 + 11 * MIN },
  { bib: '101', pt: 'p1', t: T0 + 31 * MIN },
  { bib: '501', pt: 'start', t: T0 + 30 * MIN + 5000 },
  { bib: '501', pt: 'finish', t: T0 + 55 * MIN + 5000 },
].sort((a, b) => a.t - b.t);

const rowsOf = (doc) => (Array.isArray(doc) ? doc : doc.rows || doc.results);

stackTest('pages use the event topic: point and race names, gun projections that follow a wave start, per-race counts', { prefix: 'eventtopic' }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ws, admin, ctl } = await startStack(procs, tmp, EVENT);
  const yaml = path.join(tmp, 'event.yaml');
  const csv = path.join(tmp, 'people.csv');
  fs.writeFileSync(yaml, YAML);
  fs.writeFileSync(csv, CSV);
  await ctl('event', 'create', yaml);
  await ctl('participants', 'import', csv);

  const browser = (t.browser = await launchChromium(tmp, { width: 1920, height: 1000 }));
  const pageErrors = [];
  const open = pageOpener(browser, base, pageErrors);

  // The reads, as a timing device over the protocol (a token writes as its own device).
  const reader = (await ctl('token', 'issue', '--role', 'reader', '--device', 'test-mat')).trim();
  const wire = await browser.newPage();
  await wire.goto(`${base}/health`);
  const [ack] = await pageRequests(wire, ws, EVENT, reader, [{ t: 'passings', dev: 'test-mat', seq: 1, reads: READS }]);
  assert.equal(ack.t, 'ack', JSON.stringify(ack));
  await waitFor('the reads in the export', async () => {
    const r = rowsOf(await getJson(`${base}/api/results/10k.json`));
    const st = Object.fromEntries(r.map((x) => [x.bib, x.status]));
    return st['1'] === 'finished' && st['2'] === 'on_course' && st['101'] === 'on_course';
  }, 20000);
  const exp = Object.fromEntries(rowsOf(await getJson(`${base}/api/results/10k.json`)).map((x) => [x.bib, x]));
  assert.equal(exp['101'].proj, 40 * MIN, 'the server projects net');
  assert.equal(exp['1'].gun, 45 * MIN + 10000);
  log('event created, reads in');

  // ---- the leaderboard: split columns named by the config, race and category names ----
  const board = await open('index.html?race=10k');
  await board.waitForFunction(() => document.querySelectorAll('.thead .c-splits [role="columnheader"]').length > 0, null, { timeout: 15000 });
  const heads = await board.$$eval('.thead .c-splits [role="columnheader"]', (s) => s.map((x) => x.textContent));
  assert.deepEqual(heads, ['Heartbreak Hill', 'Lake Bridge'], 'split columns headed by the points\' names');
  const headVisible = await board.$eval('.thead .c-splits', (e) => e.getBoundingClientRect().width > 100 && getComputedStyle(e).display !== 'none');
  assert.ok(headVisible, 'the split heads are shown');
  await board.waitForFunction(() => document.querySelector('#list .row[data-bib="1"] .c-splits [data-pt="p1"]')?.textContent === '0:22:00', null, { timeout: 15000 });
  assert.match(await board.textContent('#title'), /^Lakeside Gun Run 5 May 2024$/);
  assert.equal(await board.textContent('#race'), '· Lakeside 10K');
  assert.deepEqual(await board.$$eval('#race-pick option', (o) => o.map((x) => [x.value, x.textContent])), [['10k', 'Lakeside 10K'], ['5k', 'Lakeside 5K Fun Run']]);
  assert.equal(await board.isVisible('#race-pick'), true);
  const cats = await board.$$eval('#cat option', (o) => o.map((x) => x.textContent));
  assert.ok(cats.includes('Women 40-49') && cats.includes('Men 40-49'), `category names in the filter: ${cats.join(', ')}`);
  // a gun race: gun time first, and the projection in gun time (bib 101: 41:00, not the server's net 40:00)
  assert.equal(await board.textContent('.thead .c-net'), 'Gun time');
  assert.equal(await board.textContent('#list .row[data-bib="1"] .c-net'), '0:45:10');
  assert.equal(await board.textContent('#list .row[data-bib="1"] .c-gun'), '0:45:00');
  assert.equal(await board.textContent('#list .row[data-bib="101"] .c-net'), '~0:41:00');
  // the on-course runners' last point by name
  assert.match(await board.textContent('#list .row[data-bib="2"] .c-last'), /^Heartbreak Hill 0:20:00$/);
  // the rows fit: no cell of the head row overlaps the next
  const overlap = await board.evaluate(() => {
    const cells = [...document.querySelectorAll('.thead > span, .thead .c-splits > span')].filter((c) => getComputedStyle(c).display !== 'none' && !c.classList.contains('c-splits'));
    const boxes = cells.map((c) => [c.className || c.dataset.pt, c.getBoundingClientRect()]).sort((a, b) => a[1].left - b[1].left);
    return boxes.filter((b, i) => i && b[1].left < boxes[i - 1][1].right - 0.5).map((b) => b[0]);
  });
  assert.deepEqual(overlap, [], 'head cells do not overlap');
  await board.screenshot({ path: path.join(shots, 'event-board-1920.png') });
  // a phone: no split columns, the race menu fits beside the search
  await board.setViewportSize({ width: 390, height: 844 });
  await board.waitForFunction(() => !document.querySelector('main.board').classList.contains('with-splits'), null, { timeout: 5000 });
  assert.ok(await board.evaluate(() => document.scrollingElement.scrollWidth <= innerWidth), 'the board fits 390 px');
  await board.screenshot({ path: path.join(shots, 'event-board-390.png') });
  // the race menu: the 5 km race by its name, then back
  await board.selectOption('#race-pick', '5k');
  await board.waitForFunction(() => document.querySelector('#list .row[data-bib="501"]') && document.getElementById('race').textContent === '· Lakeside 5K Fun Run', null, { timeout: 15000 });
  assert.match(board.url(), /race=5k/);
  assert.equal(await board.textContent('.thead .c-net'), 'Net time', 'the 5 km race ranks by net time');
  await board.selectOption('#race-pick', '10k');
  await board.waitForFunction(() => document.querySelector('#list .row[data-bib="101"]') && document.getElementById('race').textContent === '· Lakeside 10K', null, { timeout: 15000 });

  // ---- tracker and announcer: gun projection of bib 101 ----
  const tracker = await open('tracker.html?bibs=101');
  const announcer = await open(`announcer.html?race=10k&window=60&grace=0&now=${T0 + 30 * MIN}`);
  const big = '.card[data-bib="101"] .card-big';
  const trackerProj = () => tracker.evaluate((sel) => {
    const b = document.querySelector(sel);
    return b ? { proj: Number(b.dataset.proj), basis: b.dataset.basis, text: b.textContent } : null;
  }, big);
  await tracker.waitForFunction((sel) => /projected 1st/.test(document.querySelector(sel)?.textContent || ''), big, { timeout: 15000 }).catch(async () => {
    throw new Error(`tracker before the wave start: ${JSON.stringify(await trackerProj())}`);
  });
  let tp = await trackerProj();
  log(`tracker before: ${tp.text}`);
  assert.equal(tp.basis, 'gun');
  assert.equal(tp.proj, 41 * MIN);
  assert.match(tp.text, /projected finish 0:41:00 gun time/);
  assert.match(await tracker.textContent('.card[data-bib="101"] .card-meta'), /Women 40-49 · Lakeside 10K/);
  assert.deepEqual(await tracker.$$eval('.card[data-bib="101"] tr.split td.pt', (t) => t.map((x) => x.textContent)), ['Heartbreak Hill (5 km)']);
  assert.match(await tracker.textContent('#title'), /Lakeside Gun Run/);
  const annProj = () => announcer.evaluate(() => Object.fromEntries([...document.querySelectorAll('#calls li[data-bib]')].map((li) => [li.dataset.bib, [Number(li.dataset.proj), li.querySelector('.call-proj').textContent]])));
  await announcer.waitForFunction(() => document.querySelectorAll('#calls li[data-bib]').length === 2 && globalThis.splitline.state.projector, null, { timeout: 15000 });
  await announcer.waitForFunction(() => /1st/.test(document.querySelector('#calls li[data-bib="101"] .call-proj')?.textContent || ''), null, { timeout: 15000 });
  let ap = await annProj();
  log(`announcer before: ${JSON.stringify(ap)}`);
  assert.equal(ap['101'][0], 41 * MIN);
  assert.equal(ap['2'][0], 48 * MIN);
  assert.match(ap['101'][1], /^projected finish 0:41:00 gun time projected 1st/);
  assert.match(ap['2'][1], /^projected finish 0:48:00 gun time projected 3rd/);
  assert.equal(await announcer.textContent('#race'), '· Lakeside 10K');
  assert.deepEqual(await announcer.$$eval('#point option', (o) => o.map((x) => x.textContent)), ['Heartbreak Hill (5 km)', 'Lake Bridge (8 km)', 'Finish']);
  await tracker.screenshot({ path: path.join(shots, 'event-tracker-gun.png'), fullPage: true });

  // ---- kiosk: per-race started / finished ----
  const kiosk = await open('kiosk.html?race=10k&speed=0&sex=all');
  await kiosk.waitForFunction(() => document.querySelectorAll('#k-counts .k-count').length === 2, null, { timeout: 15000 });
  const counts = await kiosk.$$eval('#k-counts .k-count', (c) => c.map((x) => [x.dataset.race, x.textContent]));
  assert.deepEqual(counts, [['10k', 'Lakeside 10K 3 started · 1 finished'], ['5k', 'Lakeside 5K Fun Run 1 started · 1 finished']]);
  assert.match(await kiosk.textContent('.k-top h1'), /Lakeside Gun Run 5 May 2024 · Lakeside 10K/);
  // the list: the finisher's GUN time (the race ranks by it), the others at their last point by
  // name, their projected finish (gun time) marked ≈ in the TIME column
  await kiosk.waitForFunction(() => document.querySelectorAll('#rows li[data-bib]').length === 3, null, { timeout: 15000 }).catch(async () => {
    throw new Error(`kiosk rows: ${await kiosk.evaluate(() => JSON.stringify({ html: document.getElementById('rows').innerHTML.slice(0, 500), n: globalThis.splitline.state.board.entries.size, topic: globalThis.splitline.state.topic }))}`);
  });
  const kioskRows = () => kiosk.$$eval('#rows li[data-bib]', (li) => li.map((x) => [x.dataset.bib, x.querySelector('.k-at').textContent, x.querySelector('.k-time').textContent]));
  assert.deepEqual(await kioskRows(), [['1', '', '0:45:10'], ['2', 'Heartbreak Hill', '≈0:48:00'], ['101', 'Heartbreak Hill', '≈0:41:00']]);

  // ---- wave 2 started at 09:05 in fact: the gun projection follows, no reload ----
  const [wok] = await pageRequests(wire, ws, EVENT, admin, [{ t: 'wave_start', race: '10k', wave: '2', t0: T0 + 5 * MIN }]);
  assert.equal(wok.t, 'ok', JSON.stringify(wok));
  await tracker.waitForFunction((sel) => document.querySelector(sel)?.dataset.proj === String(46 * 60000), big, { timeout: 15000 }).catch(async () => {
    throw new Error(`tracker after the wave start: ${JSON.stringify(await trackerProj())}`);
  });
  await tracker.waitForFunction((sel) => /projected 2nd/.test(document.querySelector(sel)?.textContent || ''), big, { timeout: 15000 });
  tp = await trackerProj();
  log(`tracker after: ${tp.text}`);
  assert.match(tp.text, /projected finish 0:46:00 gun time/);
  await announcer.waitForFunction(() => /^projected finish 0:46:00 gun time projected 2nd/.test(document.querySelector('#calls li[data-bib="101"] .call-proj')?.textContent || ''), null, { timeout: 15000 });
  ap = await annProj();
  assert.equal(ap['101'][0], 46 * MIN);
  assert.match(ap['2'][1], /^projected finish 0:48:00 gun time projected 3rd/);
  await board.waitForFunction(() => document.querySelector('#list .row[data-bib="101"] .c-net')?.textContent === '~0:46:00', null, { timeout: 15000 });
  // the server still projects net, unchanged by the wave start
  const exp2 = Object.fromEntries(rowsOf(await getJson(`${base}/api/results/10k.json`)).map((x) => [x.bib, x]));
  assert.equal(exp2['101'].proj, 40 * MIN);
  await tracker.screenshot({ path: path.join(shots, 'event-tracker-gun-after.png'), fullPage: true });
  await kiosk.waitForFunction(() => document.querySelectorAll('#rows li[data-bib]').length === 3, null, { timeout: 15000 }).catch(async () => {
    throw new Error(`kiosk rows after the wave start: ${await kiosk.evaluate(() => JSON.stringify({ html: document.getElementById('rows').innerHTML.slice(0, 500), n: globalThis.splitline.state.board.entries.size, v: globalThis.splitline.state.board.version, d: globalThis.splitline.state.panels[0].drawn }))}`);
  });
  await kiosk.waitForFunction(() => document.querySelector('#rows li[data-bib="101"] .k-time')?.textContent === '≈0:46:00', null, { timeout: 15000 });
  assert.deepEqual(await kioskRows(), [['1', '', '0:45:10'], ['2', 'Heartbreak Hill', '≈0:48:00'], ['101', 'Heartbreak Hill', '≈0:46:00']]);
  await kiosk.screenshot({ path: path.join(shots, 'event-kiosk.png') });

  for (const p of [board, tracker, announcer, kiosk]) assert.equal(await p.evaluate(() => globalThis.__noReload), 42, 'never reloaded');
  assert.deepEqual(pageErrors, [], 'no script error in the pages');
});
