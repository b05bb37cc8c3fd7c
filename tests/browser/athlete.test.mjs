// athlete.test.mjs: the spectator pages of issue 17 in real headless
// Chromium against the real Redis and splitlined: a 10 km race of six
// athletes (one "José Núñez") with a GPX course in its config, reads sent by
// a reader token, times chosen so that every chart value is known by hand.
//   - name search from nothing (tracker and athlete page, nobody followed),
//     in every race: "jose" finds José, then Josefine of the 5K; "NÚÑEZ"
//     and "jsoe" (a typo) find José; "zzz" finds nobody;
//   - José's athlete page: splits; the pace chart has one point per segment
//     (4: 3 km, 5 km, 8 km, finish) with the paces computed here; the place
//     chart his place at each point (2, 3, 3, 3); the finish-time histogram
//     all 5 finishers with his bin marked, and the men's 2; the course from
//     the GPX: the 5 timing points, José at the finish and a followed
//     runner still on course at his projected share (marked projected);
//     the certificate link for a finisher only; no course for a race
//     without GPX; an unknown bib said so; follow/unfollow shared with
//     the tracker; the share link and its QR code (decoded back with jsQR);
//   - the leaderboard: every row's name and the finish feed link to the
//     athlete page; the printout links; the event's share link; the Regatta
//     link hidden (a road race); club and country filters (none where the
//     rows have none);
//   - index, tracker, athlete and regatta pages at 390 and 1920 px: no
//     horizontal overflow, nothing outside the viewport that cannot be
//     scrolled to, no console error.
//   node --test tests/browser/athlete.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { layoutProblems } from './layout.mjs';
import { stackTest, SOURCE, getJson, log, waitFor, pageRequests, startStack, launchChromium, pageOpener } from './harness.mjs';

const EVENT = 'harbour-2024';
const RACE = '10k';
const EDT = 4 * 3600000;
const T0 = Date.UTC(2024, 4, 5, 9, 0, 0) + EDT;
const min = (m, s = 0) => (m * 60 + s) * 1000;

// elapsed net times from each start crossing (T0 + 10 s)
const RUNNERS = [
  { bib: '1', name: 'José Núñez', sex: 'M', t: { '3k': min(12), '5k': min(20, 30), '8k': min(33), finish: min(41) } },
  { bib: '2', name: 'Ann Alder', sex: 'F', t: { '3k': min(11), '5k': min(19), '8k': min(31), finish: min(39) } },
  { bib: '3', name: 'Ben Birch', sex: 'M', t: { '3k': min(13), '5k': min(20), '8k': min(34), finish: min(43) } },
  { bib: '4', name: 'Cleo Dunn', sex: 'F', t: { '3k': min(12, 30), '5k': min(21), '8k': min(32), finish: min(40) } },
  { bib: '5', name: 'Dan Egan', sex: 'M', t: { '3k': min(15), '5k': min(25) } },
  { bib: '6', name: 'Eve Frost', sex: 'F', t: { '3k': min(16), '5k': min(27), '8k': min(44), finish: min(56) } },
];
const START = T0 + 10000;

// a straight course north, 11 points about a kilometre apart
const GPX = `<gpx version="1.1"><trk><trkseg>${Array.from({ length: 11 }, (_, i) => `<trkpt lat="${(42 + i * 0.009).toFixed(3)}" lon="-71.000"></trkpt>`).join('')}</trkseg></trk></gpx>`;

const YAML = `event: ${EVENT}
name: Harbour 10K
date: 2024-05-05
timezone: America/New_York
races:
  - id: ${RACE}
    name: Harbour 10K
    distance_m: 10000
    gpx: '${GPX}'
    waves:
      - {id: "1", start: "2024-05-05T09:00:00", bibs: "1-99"}
    points:
      - {id: start, name: Start, distance_m: 0, role: start, window_s: 3600}
      - {id: 3k, name: "3 km", distance_m: 3000, role: split, min_s: 60}
      - {id: 5k, name: "5 km", distance_m: 5000, role: split, min_s: 60}
      - {id: 8k, name: "8 km", distance_m: 8000, role: split, min_s: 60}
      - {id: finish, name: Finish, distance_m: 10000, role: finish, min_s: 60}
    categories:
      - {id: M, name: Men, sex: M}
      - {id: F, name: Women, sex: F}
  - id: 5k
    name: Harbour 5K
    distance_m: 5000
    waves:
      - {id: "5", start: "2024-05-05T09:30:00", bibs: "500-599"}
    points:
      - {id: start, name: Start, distance_m: 0, role: start, window_s: 3600}
      - {id: finish, name: Finish, distance_m: 5000, role: finish, min_s: 60}
`;

stackTest('athlete page, name search, charts, course, links and layouts of the spectator pages', { prefix: 'athlete', timeout: 300000, keepShots: true }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ws, ctl } = await startStack(procs, tmp, EVENT);
  const yaml = path.join(tmp, 'event.yaml');
  fs.writeFileSync(yaml, YAML);
  fs.writeFileSync(path.join(tmp, 'people.csv'), 'bib,name,sex,age,club,race,country\n' + RUNNERS.map((r, i) => `${r.bib},${r.name},${r.sex},${30 + i},${i % 2 ? 'Harbour RC' : 'Bay Striders'},${RACE},${i ? 'USA' : 'ESP'}`).join('\n') +
    '\n500,Josefine Ohl,F,40,,5k,\n');
  await ctl('event', 'create', yaml);
  await ctl('participants', 'import', path.join(tmp, 'people.csv'), '--map', 'fields.country=country');
  const reader = (await ctl('token', 'issue', '--role', 'reader', '--device', 'mat')).trim();
  const reads = [];
  for (const r of RUNNERS) {
    reads.push({ bib: r.bib, pt: 'start', t: START });
    for (const [pt, ms] of Object.entries(r.t)) reads.push({ bib: r.bib, pt, t: START + ms });
  }

  const browser = (t.browser = await launchChromium(tmp, { width: 1280, height: 900 }));
  const pageErrors = [];
  const open = pageOpener(browser, base, pageErrors);
  const wire = await browser.newPage();
  await wire.goto(`${base}/health`);
  const [ack] = await pageRequests(wire, ws, EVENT, reader, [{ t: 'passings', dev: 'mat', seq: 1, reads }]);
  assert.equal(ack.t, 'ack', JSON.stringify(ack));
  await waitFor('5 finishers in the export', async () => {
    const d = await getJson(`${base}/api/results/${RACE}.json`);
    return d.rows.filter((r) => r.status === 'finished').length === 5;
  }, 30000);
  const exp = (await getJson(`${base}/api/results/${RACE}.json`)).rows;
  const dan = exp.find((r) => r.bib === '5');
  assert.equal(dan.status, 'on_course');
  assert.equal(dan.proj, min(50), 'Dan projects 50:00 (25:00 at 5 km of 10)');

  // ---- name search with nobody followed ----
  const tracker = await open('tracker.html');
  await tracker.evaluate(() => localStorage.clear());
  const trackerFind = async (q) => {
    await tracker.fill('#who', q);
    await tracker.click('#add button[type=submit]');
    await tracker.waitForFunction(() => !/Searching/.test(document.getElementById('matches').textContent) && document.getElementById('matches').children.length > 0, null, { timeout: 15000 });
    return tracker.$$eval('#matches li', (lis) => lis.map((li) => li.dataset.bib || li.textContent));
  };
  assert.deepEqual(await trackerFind('jose'), ['1', '500'], 'tracker: "jose" finds José Núñez, then Josefine of the other race');
  assert.deepEqual(await trackerFind('NÚÑEZ'), ['1'], 'tracker: "NÚÑEZ" finds him too');
  assert.deepEqual(await trackerFind('jsoe'), ['1', '500'], 'tracker: a typo still finds them');
  assert.deepEqual(await trackerFind('zzz'), ['Nobody named “zzz”.']);
  await trackerFind('josé núñez');
  assert.equal(await tracker.getAttribute('#matches li[data-bib="1"] a', 'href'), `athlete.html?race=${RACE}&bib=1`);
  await tracker.click('#matches li[data-bib="1"] button');
  await tracker.waitForFunction(() => /Provisional results/.test(document.querySelector('.card[data-bib="1"] .card-state')?.textContent || ''), null, { timeout: 15000 });
  await tracker.waitForFunction((want) => document.querySelector('.card[data-bib="1"] .card-name a.name-link')?.getAttribute('href') === want, `athlete.html?race=${RACE}&bib=1`, { timeout: 15000 });
  log('ok: tracker finds José by name with nobody followed');

  const finder = await open('athlete.html');
  await finder.fill('#q', 'JOSE');
  await finder.click('#find button[type=submit]');
  await finder.waitForSelector('#found a[data-bib="1"]', { timeout: 15000 });
  assert.deepEqual(await finder.$$eval('#found a[data-bib]', (as) => as.map((a) => a.getAttribute('href'))), [`athlete.html?race=${RACE}&bib=1`, 'athlete.html?race=5k&bib=500']);
  await Promise.all([finder.waitForURL(/athlete\.html\?race=10k&bib=1$/), finder.click('#found a[data-bib="1"]')]);

  // ---- José's page: charts with the values computed by hand ----
  const now = START + min(30); // Dan projected at 30/50 of the course
  const ath = await open(`athlete.html?race=${RACE}&bib=1&now=${now}`);
  await ath.waitForFunction(() => document.querySelector('#chart-place')?.dataset.points === '4' && document.querySelector('#chart-course svg .tp'), null, { timeout: 20000 });
  assert.equal(await ath.textContent('#name'), 'José Núñez');
  const pace = await ath.$$eval('#chart-pace svg circle.pt', (cs) => cs.map((c) => [c.dataset.pt, Number(c.dataset.v)]));
  assert.deepEqual(pace, [['3k', 240000], ['5k', 255000], ['8k', 250000], ['finish', 240000]], 'pace per segment (ms per km)');
  const places = await ath.$$eval('#chart-place svg circle.pt', (cs) => cs.map((c) => [c.dataset.pt, Number(c.dataset.v)]));
  assert.deepEqual(places, [['3k', 2], ['5k', 3], ['8k', 3], ['finish', 3]], 'place at each timing point');
  assert.deepEqual(await ath.$$eval('#split-rows tr', (trs) => trs.map((tr) => tr.dataset.pt)), ['3k', '5k', '8k', 'finish']);
  assert.equal(await ath.textContent('#split-rows tr[data-pt="5k"] td:nth-child(3)'), '09:20:40', 'clock in New York time');
  // histogram: 5 finishers in 1-minute bins from 39:00; José's (41:00) marked
  assert.equal(await ath.getAttribute('#chart-hist', 'data-finishers'), '5');
  const bars = await ath.$$eval('#chart-hist rect.bar', (rs) => rs.map((r) => [Number(r.dataset.lo), Number(r.dataset.n), r.classList.contains('mine')]));
  assert.equal(bars.length, 18, '39:00 to 56:00 by the minute');
  assert.deepEqual(bars.filter((b) => b[2]).map((b) => [b[0] - bars[0][0], b[1]]), [[min(2), 1]], 'his bin is marked');
  assert.equal(await ath.locator('#chart-hist line.mark').count(), 1);
  await ath.selectOption('#hist-of', 'sex/M');
  await ath.waitForFunction(() => document.getElementById('chart-hist').dataset.finishers === '2');
  // the course: 5 timing points; José at the finish; Dan not shown until followed
  assert.equal(await ath.locator('#chart-course svg polyline.course').count(), 1);
  assert.deepEqual(await ath.$$eval('#chart-course svg circle.tp', (cs) => cs.map((c) => c.dataset.pt)), ['start', '3k', '5k', '8k', 'finish']);
  assert.deepEqual(await ath.$$eval('#chart-course g.who', (gs) => gs.map((g) => [g.dataset.bib, g.dataset.frac, g.classList.contains('projected')])), [['1', '1.0000', false]]);
  // certificate for a finisher
  assert.equal(await ath.isVisible('#cert'), true);
  assert.equal(await ath.getAttribute('#cert', 'href'), `/api/certificate/${RACE}/1.pdf`);
  assert.match(await ath.textContent('#res-state'), /Provisional results/);
  // follow / unfollow, shared with the tracker's list (where José was followed above)
  assert.equal(await ath.textContent('#follow'), 'Unfollow');
  await ath.click('#follow');
  assert.equal(await ath.textContent('#follow'), 'Follow');
  assert.deepEqual(await ath.evaluate(() => JSON.parse(localStorage.getItem('splitline.tracker.bibs'))), []);
  await ath.click('#follow');
  assert.equal(await ath.textContent('#follow'), 'Unfollow');
  assert.deepEqual(await ath.evaluate(() => JSON.parse(localStorage.getItem('splitline.tracker.bibs'))), ['1']);
  // share: the link and a QR code that decodes to it (jsQR, served beside the pages)
  const url = `${base}/athlete.html?race=${RACE}&bib=1`;
  await ath.waitForSelector('#share svg.qr', { timeout: 10000 });
  assert.equal(await ath.inputValue('#share .share-url'), url);
  assert.equal(await decodeQr(ath, '#share svg.qr'), url, 'the QR code holds the share link');
  await ath.screenshot({ path: path.join(shots, 'athlete-1280.png'), fullPage: true });
  log('ok: José\'s pace, places, histogram, course, certificate, follow, share');

  // Dan, followed, on course: hollow (projected) at 30/50 of the course; no certificate
  const danPage = await open(`athlete.html?race=${RACE}&bib=5&now=${now}`);
  await danPage.waitForFunction(() => document.querySelector('#chart-course g.who'), null, { timeout: 20000 });
  await danPage.click('#follow');
  await ath.reload();
  await ath.waitForFunction(() => document.querySelectorAll('#chart-course g.who').length === 2, null, { timeout: 20000 });
  assert.deepEqual(await ath.$$eval('#chart-course g.who', (gs) => gs.map((g) => [g.dataset.bib, g.dataset.frac, g.classList.contains('projected')])), [['1', '1.0000', false], ['5', '0.6000', true]]);
  assert.equal(await danPage.isVisible('#cert'), false, 'no certificate before the finish');
  assert.match(await danPage.textContent('#big'), /projected finish 0:50:00/);
  assert.equal(await danPage.getAttribute('#chart-pace', 'data-points'), '2');

  // a race without a GPX track: no course; an unknown bib: said so, nothing drawn
  const other = await open('athlete.html?race=5k&bib=500');
  await other.waitForFunction(() => document.getElementById('name').textContent === 'Josefine Ohl' && document.getElementById('chart-pace').dataset.points === '0', null, { timeout: 15000 });
  assert.equal(await other.isHidden('#chart-course'), true, 'no GPX, no course');
  assert.equal(await other.isHidden('#cert'), true, 'registered: no certificate');
  const nobody = await open('athlete.html?bib=9999');
  await nobody.waitForFunction(() => /No athlete with bib 9999/.test(document.getElementById('info').textContent), null, { timeout: 15000 });
  assert.equal(await nobody.isHidden('#athlete'), true);

  // ---- the leaderboard: links to the athletes, printouts, share; no Regatta link ----
  const board = await open(`index.html?race=${RACE}`);
  await board.waitForFunction(() => document.querySelectorAll('.list .row a.name-link').length === 6 && document.querySelectorAll('#feed-list a.name-link').length === 5, null, { timeout: 20000 });
  const links = await board.$$eval('.list .row', (rows) => rows.map((r) => [r.dataset.bib, r.querySelector('a.name-link').getAttribute('href')]));
  for (const [bib, href] of links) assert.equal(href, `athlete.html?race=${RACE}&bib=${bib}`);
  const feed = await board.$$eval('#feed-list a.name-link', (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(feed.sort(), ['1', '2', '3', '4', '6'].map((b) => `athlete.html?race=${RACE}&bib=${b}`));
  assert.deepEqual(await board.$$eval('#printouts a', (as) => as.map((a) => a.getAttribute('href'))),
    [`/api/results/${RACE}.pdf`, `/api/results/${RACE}.xlsx`, `/api/awards/${RACE}.pdf`, '/api/results.xlsx']);
  // the staff pages are reachable from the results page
  assert.deepEqual(await board.$$eval('footer.staff a', (as) => as.map((a) => a.getAttribute('href'))), ['desk.html', 'scan.html']);
  assert.equal(await board.isHidden('nav.nav a[href^="regatta.html"]'), true, 'no Regatta link on a road race');
  assert.match(await board.textContent('.res-state'), /Provisional results/);
  await board.click('#share-btn');
  await board.waitForSelector('#share-box svg.qr', { timeout: 10000 });
  assert.equal(await decodeQr(board, '#share-box svg.qr'), `${base}/index.html?race=${RACE}`);
  // the club filter: the rows' clubs, and only theirs
  await board.selectOption('#club', 'Harbour RC');
  await board.waitForFunction(() => document.querySelectorAll('.list .row').length === 3, null, { timeout: 10000 });
  assert.deepEqual((await board.$$eval('.list .row', (rows) => rows.map((r) => r.dataset.bib))).sort(), ['2', '4', '6']);
  await board.selectOption('#club', '');
  // the country filter (the participants' custom field `country`)
  await board.waitForFunction(() => document.querySelectorAll('.list .row').length === 6, null, { timeout: 10000 });
  assert.deepEqual(await board.$$eval('#country option', (os) => os.map((o) => o.value)), ['', 'ESP', 'USA']);
  await board.selectOption('#country', 'ESP');
  await board.waitForFunction(() => document.querySelectorAll('.list .row').length === 1, null, { timeout: 10000 });
  assert.equal(await board.getAttribute('.list .row', 'data-bib'), '1');
  assert.match(board.url(), /country=ESP/);
  await board.selectOption('#country', '');
  // the 5K's rows have neither clubs nor countries: no menus
  const board5 = await open('index.html?race=5k');
  await board5.waitForFunction(() => document.querySelectorAll('.list .row').length === 1, null, { timeout: 15000 });
  assert.equal(await board5.isHidden('#club'), true, 'no club menu without clubs');
  assert.equal(await board5.isHidden('#country'), true, 'no country menu without countries');
  await board5.close();

  // ---- every spectator page at 390 and 1920 px ----
  const bad = [];
  for (const [w, hgt] of [[390, 844], [1920, 1080]]) {
    for (const p of [`index.html?race=${RACE}`, 'tracker.html?bibs=1,5', `athlete.html?race=${RACE}&bib=1&now=${now}`, `regatta.html?race=${RACE}`]) {
      const page = await open(p);
      await page.setViewportSize({ width: w, height: hgt });
      await page.waitForTimeout(1500); // data and one drawing
      if (p.startsWith('athlete')) await page.waitForFunction(() => document.querySelector('#chart-place svg') && document.querySelector('#share svg.qr'), null, { timeout: 15000 });
      const probs = await layoutProblems(page);
      if (probs.length) bad.push(`${p} at ${w}px: ${probs.join('; ')}`);
      await page.screenshot({ path: path.join(shots, `spectator-${p.split('.')[0]}-${w}.png`), fullPage: true });
      await page.close();
    }
  }
  assert.deepEqual(bad, [], 'every page fits 390 and 1920 px');
  assert.deepEqual(pageErrors, [], `page errors: ${pageErrors.join('\n')}`);
  log(`screenshots in ${shots}`);
});

/* The text of the QR code drawn as sel in page, decoded by jsQR (clients/web/node_modules). */
async function decodeQr(page, sel) {
  const jsqr = fs.readFileSync(path.join(SOURCE, 'clients', 'web', 'node_modules', 'jsqr', 'dist', 'jsQR.js'), 'utf8');
  await page.addScriptTag({ content: jsqr });
  return page.evaluate(async (sel) => {
    const svg = document.querySelector(sel);
    const xml = new XMLSerializer().serializeToString(svg);
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(xml)}`;
    await img.decode();
    const size = 400;
    const c = document.createElement('canvas');
    c.width = c.height = size;
    const g = c.getContext('2d');
    g.imageSmoothingEnabled = false;
    g.drawImage(img, 0, 0, size, size);
    const d = g.getImageData(0, 0, size, size);
    const code = globalThis.jsQR(d.data, size, size);
    return code ? code.data : null;
  }, sel);
}
