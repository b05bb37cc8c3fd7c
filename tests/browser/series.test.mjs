// series.test.mjs: the series standings page (clients/web/series.html) and a
// race's teams and awards page (teams.html) in
// real headless Chromium against the real Redis and a splitlined of many
// events (no --event), set up as tests/integration/test_series.py does:
// three small road races s1, s2, s3 created at runtime, their athletes
// imported (fields.athlete_id matches them across events), their finishes
// sent as a reader's passings, then the series `cup` (table 10, 8, 6, 5, 4;
// best 2 of 3; ties [wins, last]).  Hand-computed in test_series.py:
//   a2 18, a1 18, a3 16, a4 11, a6 9, a7 4, a5 4 (places 1..7), with the
//   points per event below (in brackets: not counted); after a DQ of a1 in
//   s1: a2 20, a3 18, a1 14, a4 12, a6 9, a5 5, a7 4.
// Checked:
//   - before any series: the list says "No series yet"; ?series=cup says
//     there is no such series;
//   - the standings at 1920 px: every row's place, id, name, points per event
//     and total as computed; the three dropped results struck through (<s>,
//     "not counted" for screen readers) and nothing else; the legend "Best 2
//     of 3"; the events by name; one likely duplicate (a5, a7) in the
//     collapsed "Possible duplicates to check"; a real table with a caption
//     and column headers; the CSV link is /api/series/cup.csv and serves the
//     standings;
//   - a second series, cup2 (s1, s2 and s9, an event that does not exist;
//     1 point per placed result by sex, no tie-break): "no results yet"
//     beside s9; a table for women and one for men; the equal totals share
//     their place, shown "1=" (F: a1 2, a3 2, a5 1; M: a2 2, a4 2, a6 1);
//     the list page links both series;
//   - s1's teams page (teams.html) under /e/s1/ and by ?event=s1 (its first
//     race): X 3 (1st), Y 7 (2nd), Z incomplete and unranked, each runner's
//     team place; the awards Women Ann Lee, Men Bob Ray, category F Cid Moe,
//     category M Dan Fox (overall winners excluded); no race picker for one
//     race; an unknown race said so; after the DQ: Y 5 first, X and Z
//     incomplete, Women Cid Moe, category F Eve Park; 390 and 1920 px;
//   - at 390 px: no sideways scrolling, the per-event columns folded into a
//     line under the name (still struck through where dropped);
//   - the DQ: the open page (not reloaded) shows the new standings within
//     its 10 s poll (waited for up to 30 s), the teams page its new tables;
//   - the server stopped: the page keeps the standings and says it could not
//     refresh; no console error anywhere.
//   node --test tests/browser/series.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { layoutProblems } from './layout.mjs';
import { stackTest, getJson, log, waitFor, pageRequests, startStack, launchChromium, pageOpener } from './harness.mjs';

const EVENTS = ['s1', 's2', 's3'];
const START = 1772359200000; // 2026-03-01T10:00:00Z
const ATHLETES = { // id: [name, sex, club, birth]
  a1: ['Ann Lee', 'F', 'X', '1990-01-01'],
  a2: ['Bob Ray', 'M', 'X', '1988-02-02'],
  a3: ['Cid Moe', 'F', 'Y', '1991-03-03'],
  a4: ['Dan Fox', 'M', 'Y', '1985-04-04'],
  a5: ['Eve Park', 'F', 'Z', '1992-05-05'],
  a6: ['Fay Orr', 'M', 'Z', '1980-06-06'],
  a7: ['Eve Park', 'F', '', '1992-05-05'], // a5 under another id
};
const FINISHES = {
  s1: ['a1', 'a2', 'a3', 'a4', 'a5'],
  s2: ['a2', 'a1', 'a4', 'a3', 'a6'],
  s3: ['a3', 'a2', 'a1', 'a6', 'a7'],
};
// place, athlete, name, points per event ("" none, "(n)" not counted), total
const WANT = [
  ['1', 'a2', 'Bob Ray', '8,10,(8)', '18'],
  ['2', 'a1', 'Ann Lee', '10,8,(6)', '18'],
  ['3', 'a3', 'Cid Moe', '6,(5),10', '16'],
  ['4', 'a4', 'Dan Fox', '5,6,', '11'],
  ['5', 'a6', 'Fay Orr', ',4,5', '9'],
  ['6', 'a7', 'Eve Park', ',,4', '4'],
  ['7', 'a5', 'Eve Park', '4,,', '4'],
];
const WANT_DQ = [
  ['1', 'a2', 'Bob Ray', '10,10,(8)', '20'],
  ['2', 'a3', 'Cid Moe', '8,(5),10', '18'],
  ['3', 'a1', 'Ann Lee', ',8,6', '14'],
  ['4', 'a4', 'Dan Fox', '6,6,', '12'],
  ['5', 'a6', 'Fay Orr', ',4,5', '9'],
  ['6', 'a5', 'Eve Park', '5,,', '5'],
  ['7', 'a7', 'Eve Park', ',,4', '4'],
];

const yaml = (ev, day) => `event: ${ev}
name: Race ${ev}
date: 2026-03-0${day}
timezone: UTC
level: community
races:
  - id: r
    name: 5K
    kind: mass
    distance_m: 5000
    ranking: gun
    waves:
      - {id: "1", start: "2026-03-0${day}T10:00:00Z", bibs: "1-999"}
    points:
      - {id: finish, distance_m: 5000, role: finish, min_s: 60}
    categories:
      - {id: F, name: Women, sex: F}
      - {id: M, name: Men, sex: M}
    awards: {overall: 1, category: 1, exclude_overall: true}
    teams:
      - {id: clubs, field: club, score: places, n: 2, min: 2}
`;

const SERIES = `series: cup
name: Community Cup
events: [s1, s2, s3]
match: fields.athlete_id
points: {by: overall, table: [10, 8, 6, 5, 4]}
best: 2
ties: [wins, last]
`;

// s1's teams (place, team, score, runners with their team places) and awards
// (section, place, name, bib, time), before and after the DQ (test_series.py)
const TEAMS = [
  ['1', 'X', '3', 'Ann Lee 1, Bob Ray 2'],
  ['2', 'Y', '7', 'Cid Moe 3, Dan Fox 4'],
  ['–', 'Z incomplete, not ranked (1 finisher)', '–', 'Eve Park 5'],
];
const TEAMS_DQ = [
  ['1', 'Y', '5', 'Cid Moe 2, Dan Fox 3'],
  ['–', 'X incomplete, not ranked (1 finisher)', '–', 'Bob Ray 1'],
  ['–', 'Z incomplete, not ranked (1 finisher)', '–', 'Eve Park 4'],
];
const AWARDS = [
  ['Women, overall', '1st Ann Lee 101 0:20:00'],
  ['Men, overall', '1st Bob Ray 102 0:21:00'],
  ['Category: Women', '1st Cid Moe 103 0:22:00'],
  ['Category: Men', '1st Dan Fox 104 0:23:00'],
];
const AWARDS_DQ = [
  ['Women, overall', '1st Cid Moe 103 0:22:00'],
  ['Men, overall', '1st Bob Ray 102 0:21:00'],
  ['Category: Women', '1st Eve Park 105 0:24:00'],
  ['Category: Men', '1st Dan Fox 104 0:23:00'],
];

/* The teams page's team rows and award sections as TEAMS and AWARDS write them. */
function teamsPage(page) {
  return page.evaluate(() => ({
    teams: [...document.querySelectorAll('table.tm-table tbody tr')].map((tr) => [...tr.children].slice(0, 3).map((c) => c.textContent)
      .concat([[...tr.querySelectorAll('.tm-runners li')].map((li) => li.textContent).join(', ')])),
    awards: [...document.querySelectorAll('table.tm-award')].map((tb) => [tb.querySelector('caption').textContent,
      ...[...tb.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent).join(' '))]),
  }));
}

const bib = (ev, a) => String(100 * (EVENTS.indexOf(ev) + 1) + Number(a.slice(1)));

/* The rows of the page's overall table as WANT writes them. */
function pageRows(page) {
  return page.evaluate(() => [...document.querySelectorAll('table.ss-table[data-group=""] tbody tr')].map((tr) => [
    tr.querySelector('.ss-place').textContent,
    tr.dataset.athlete,
    tr.querySelector('.ss-name').textContent,
    [...tr.querySelectorAll('td.ss-ev')].map((td) => {
      const s = td.querySelector('s.dropped');
      const p = td.querySelector('.pts');
      return s ? `(${s.textContent})` : p ? p.textContent : '';
    }).join(','),
    tr.querySelector('.ss-total').textContent,
  ]));
}

stackTest('series standings and teams pages: hand-computed standings, dropped results, duplicates, CSV, teams and awards, a DQ live, 390 and 1920 px', { prefix: 'series', timeout: 300000, keepShots: true }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ws, ctl, server } = await startStack(procs, tmp, null);
  const browser = (t.browser = await launchChromium(tmp, { width: 1920, height: 1080 }));
  const errors = [];
  const open = pageOpener(browser, base, errors, { live: false });
  const loaded = (p) => p.waitForFunction(() => document.documentElement.dataset.loaded === '1', null, { timeout: 30000 });

  // ---- nothing yet ----
  let page = await open('series.html');
  await loaded(page);
  assert.match(await page.textContent('#info'), /No series yet/);
  await page.close();
  page = await open('series.html?series=cup');
  await loaded(page);
  assert.match(await page.textContent('#info'), /No series “cup”/);
  assert.equal(await page.isHidden('#series'), true);
  await page.close();

  // ---- three events, their athletes and finishes ----
  const wire = await browser.newPage();
  await wire.goto(`${base}/health`);
  for (const [i, ev] of EVENTS.entries()) {
    const y = path.join(tmp, `${ev}.yaml`);
    fs.writeFileSync(y, yaml(ev, i + 1));
    await ctl('--event', ev, 'event', 'create', y);
    const csv = path.join(tmp, `${ev}.csv`);
    fs.writeFileSync(csv, 'Bib,Name,Sex,Club,AID,Birth\n' + FINISHES[ev].map((a) => {
      const [name, sex, club, birth] = ATHLETES[a];
      return `${bib(ev, a)},${name},${sex},${club},${a},${birth}`;
    }).join('\n') + '\n');
    await ctl('--event', ev, 'participants', 'import', csv, '--map',
      'bib=Bib,name=Name,sex=Sex,club=Club,fields.athlete_id=AID,birth=Birth', '--chip-from-bib');
    const t0 = START + i * 86400000;
    const reads = FINISHES[ev].map((a, k) => ({ chip: bib(ev, a), pt: 'finish', t: t0 + (20 + k) * 60000 }));
    const reader = (await ctl('--event', ev, 'token', 'issue', '--role', 'reader', '--device', 'mat')).trim();
    const [ack] = await pageRequests(wire, ws, ev, reader, [{ t: 'passings', dev: 'mat', seq: 1, reads }]);
    assert.equal(ack.t, 'ack', `${ev}: ${JSON.stringify(ack)}`);
  }
  await wire.close();
  const seriesYaml = path.join(tmp, 'cup.yaml');
  fs.writeFileSync(seriesYaml, SERIES);
  await ctl('--event', 's1', 'series', 'put', seriesYaml);
  const api = (doc) => doc.rows.map((r) => `${r.place} ${r.athlete} ${r.total}`).join('; ');
  await waitFor('the series standings over HTTP', async () =>
    api(await getJson(`${base}/api/series/cup.json`)) === WANT.map((w) => `${w[0]} ${w[1]} ${w[4]}`).join('; '), 60000);

  // ---- the standings at 1920 px ----
  page = await open('series.html?series=cup');
  await page.evaluate(() => (globalThis.__noReload = 42));
  await page.waitForSelector('table.ss-table tbody tr', { timeout: 30000 });
  assert.deepEqual(await pageRows(page), WANT, 'the standings as computed by hand');
  assert.equal(await page.textContent('#title'), 'Community Cup');
  assert.equal(await page.locator('table.ss-table').count(), 1, 'one overall table');
  assert.equal(await page.textContent('table.ss-table caption'), 'Overall');
  // the names of events just created may reach /api/events.json a poll later
  const heads = () => page.$$eval('table.ss-table thead th', (ths) => ths.map((th) => `${th.scope}:${th.textContent}`).join(' '));
  await waitFor('the events\' names in the column heads', async () => (await heads()) === 'col:Place col:Athlete col:Race s1 col:Race s2 col:Race s3 col:Total', 30000, 500)
    .catch(async (e) => assert.fail(`${e.message}: ${await heads()}`));
  assert.equal(await page.locator('tbody th[scope="row"]').count(), 7, 'each row headed by its athlete');
  assert.equal(await page.locator('td.ss-ev s.dropped').count(), 3, 'three results dropped');
  assert.deepEqual(await page.$$eval('td.ss-ev s.dropped', (ss) => ss.map((s) => s.parentElement.textContent)),
    ['8 (not counted)2nd', '6 (not counted)3rd', '5 (not counted)4th'], 'a dropped result says so and keeps its place');
  assert.match(await page.textContent('#legend'), /^Best 2 of 3 results count/);
  assert.deepEqual(await page.$$eval('#events li', (lis) => lis.map((li) => li.textContent)), ['Race s1 (s1)', 'Race s2 (s2)', 'Race s3 (s3)']);
  assert.equal(await page.getAttribute('#dups', 'open'), null, 'the duplicates collapsed');
  assert.equal(await page.isVisible('#dups summary'), true);
  assert.match(await page.textContent('#dups summary'), /Possible duplicates to check \(1\)/);
  const dup = await page.textContent('#dups-list li[data-kind="same_person"]');
  assert.ok(/id a5/.test(dup) && /id a7/.test(dup) && /1992-05-05/.test(dup), dup);
  const href = await page.getAttribute('#csv', 'href');
  assert.equal(href, '/api/series/cup.csv');
  const csvText = await (await fetch(new URL(href, base))).text();
  assert.equal(csvText.split('\n')[1], '1,,a2,Bob Ray,18,8,10,(8)');
  assert.deepEqual(await layoutProblems(page), [], 'fits 1920 px');
  await page.screenshot({ path: path.join(shots, 'series-1920.png'), fullPage: true });

  // ---- an event without results, and the list of series ----
  const y2 = path.join(tmp, 'cup2.yaml');
  fs.writeFileSync(y2, 'series: cup2\nname: Two Cup\nevents: [s1, s2, s9]\nmatch: fields.athlete_id\npoints: {by: sex, table: [1, 1, 1]}\n');
  await ctl('--event', 's1', 'series', 'put', y2);
  const p2 = await open('series.html?series=cup2');
  await p2.waitForSelector('table.ss-table tbody tr', { timeout: 30000 });
  assert.deepEqual(await p2.$$eval('#events li', (lis) => lis.map((li) => li.textContent)), ['Race s1 (s1)', 'Race s2 (s2)', 's9 · no results yet']);
  assert.deepEqual(await p2.$$eval('table.ss-table', (ts) => ts.map((tb) => [tb.querySelector('caption').textContent,
    ...[...tb.querySelectorAll('tbody tr')].map((tr) => `${tr.querySelector('.ss-place').textContent} ${tr.dataset.athlete} ${tr.querySelector('.ss-total').textContent}`)])),
  [['Women', '1= a1 2', '1= a3 2', '3 a5 1'], ['Men', '1= a2 2', '1= a4 2', '3 a6 1']], 'one table per sex, shared places marked');
  assert.match(await p2.textContent('#legend'), /Every result counts \(3 events\)/);
  await p2.goto(`${base}/series.html`);
  await loaded(p2);
  assert.deepEqual(await p2.$$eval('#list-items a', (as) => as.map((a) => `${a.getAttribute('href')} ${a.textContent}`)),
    ['series.html?series=cup Community Cup', 'series.html?series=cup2 Two Cup']);
  await p2.close();

  // ---- s1's teams and awards: under /e/s1/, and by ?event= (the first race) ----
  const tp = await open('e/s1/teams.html?race=r');
  await loaded(tp);
  assert.deepEqual(await teamsPage(tp), { teams: TEAMS, awards: AWARDS }, 'teams and awards as computed by hand');
  assert.equal(await tp.textContent('table.tm-table caption'), 'Teams “clubs” · club, by places, lower wins');
  assert.equal(await tp.getAttribute('#awards-txt', 'href'), '/api/events/s1/awards/r.txt');
  assert.equal(await tp.getAttribute('#awards-pdf', 'href'), '/api/events/s1/awards/r.pdf');
  const txt = await (await fetch(`${base}/api/events/s1/awards/r.txt`)).text();
  assert.match(txt, /Women, 1st: Ann Lee \(101\), 0:20:00/, 'the text link serves the list read out');
  assert.equal(await tp.textContent('#title'), 'Race s1');
  assert.equal(await tp.isHidden('#race-pick'), true, 'no race picker for one race');
  const tq = await open('teams.html?event=s1');
  await loaded(tq);
  assert.deepEqual(await teamsPage(tq), { teams: TEAMS, awards: AWARDS }, 'the same by ?event=');
  await tq.goto(`${base}/teams.html?event=s1&race=nope`);
  await loaded(tq);
  assert.match(await tq.textContent('#info'), /No race “nope” in event “s1”/);
  assert.equal(await tq.isHidden('#teams'), true);
  await tq.close();

  // ---- 390 px ----
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  assert.deepEqual(await layoutProblems(page), [], 'fits 390 px');
  assert.equal(await page.isHidden('td.ss-ev >> nth=0'), true, 'no event columns on a phone');
  const line = page.locator('tr[data-athlete="a2"] .ss-line');
  assert.equal(await line.isVisible(), true);
  assert.equal((await line.textContent()).replace(/\s+/g, ' '), 's1 8s2 10s3 8 (not counted)');
  assert.equal(await page.locator('tr[data-athlete="a2"] .ss-line s.dropped').count(), 1);
  await page.screenshot({ path: path.join(shots, 'series-390.png'), fullPage: true });

  // ---- a DQ moves the open page's standings ----
  await ctl('--event', 's1', 'adjust', bib('s1', 'a1'), 'dq', '--reason', 'course cut', '--official', 'referee');
  await waitFor('the page to show the standings after the DQ', async () =>
    JSON.stringify(await pageRows(page)) === JSON.stringify(WANT_DQ), 30000, 500)
    .catch(async (e) => assert.fail(`${e.message}; the page shows ${JSON.stringify(await pageRows(page))}`));
  assert.equal(await page.evaluate(() => globalThis.__noReload), 42, 'updated in place, not reloaded');
  await waitFor('the teams page after the DQ', async () =>
    JSON.stringify(await teamsPage(tp)) === JSON.stringify({ teams: TEAMS_DQ, awards: AWARDS_DQ }), 30000, 500)
    .catch(async (e) => assert.fail(`${e.message}; the page shows ${JSON.stringify(await teamsPage(tp))}`));
  await tp.setViewportSize({ width: 390, height: 844 });
  await tp.waitForTimeout(300);
  assert.deepEqual(await layoutProblems(tp), [], 'the teams page fits 390 px');
  await tp.screenshot({ path: path.join(shots, 'teams-390.png'), fullPage: true });
  await tp.setViewportSize({ width: 1920, height: 1080 });
  await tp.waitForTimeout(300);
  assert.deepEqual(await layoutProblems(tp), [], 'the teams page fits 1920 px');
  await tp.screenshot({ path: path.join(shots, 'teams-1920.png'), fullPage: true });
  log('the DQ reached the pages');

  // ---- the server gone: the standings stay, the page says so ----
  await procs.kill(server);
  await page.waitForFunction(() => /Could not refresh/.test(document.getElementById('updated').textContent), null, { timeout: 30000 });
  assert.equal(await page.locator('table.ss-table tbody tr').count(), 7, 'the last standings stay');
  assert.deepEqual(errors, [], `page errors: ${errors.join('\n')}`);
  log(`screenshots in ${shots}`);
});
