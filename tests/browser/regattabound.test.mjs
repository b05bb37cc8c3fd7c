// regattabound.test.mjs: the regatta page's bound on rows drawn whole
// (clients/web/regatta.js ALL_ROWS = 150), in real headless Chromium against
// the real Redis and splitlined: a head race of exactly 150 crews has all
// 150 rows in the DOM (and the last crew's row); one of 151 is windowed
// (between 10 and 80 rows at 390 x 844, the first crews of its order
// first), and scrolled to its end shows its last crew, still windowed.
//   node --test tests/browser/regattabound.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stackTest, log, waitFor, getJson, startStack, launchChromium, pageOpener } from './harness.mjs';

const EVENT = 'bound-regatta';
const BOUND = 150;
const MAX_DOM_ROWS = 80;

const YAML = `event: ${EVENT}
name: Bound Regatta
date: "2026-06-06"
timezone: Europe/London
races:
${[BOUND, BOUND + 1].map((n) => `  - id: h${n}
    name: Head race of ${n}
    kind: trial
    start_interval_s: 15
    waves: [{id: "1"}]
    points:
      - {id: start, role: start}
      - {id: finish, role: finish, distance_m: 4000, min_s: 0}
`).join('')}`;

stackTest('regatta page: 150 crews drawn whole, 151 windowed', { prefix: 'regattabound' }, async (t) => {
  const { tmp, procs } = t;
  const { base, ctl } = await startStack(procs, tmp, EVENT);
  const yaml = path.join(tmp, 'event.yaml');
  fs.writeFileSync(yaml, YAML);
  const csv = path.join(tmp, 'crews.csv');
  const lines = ['bib,name,club,race,lane'];
  for (const n of [BOUND, BOUND + 1]) for (let i = 1; i <= n; i++) lines.push(`h${n}-${i},Crew ${i} of ${n},Club ${i % 7},h${n},${i}`);
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  await ctl('event', 'create', yaml);
  await ctl('participants', 'import', csv);
  for (const n of [BOUND, BOUND + 1]) {
    await waitFor(`h${n} exported`, async () => {
      const d = await getJson(`${base}/api/results/h${n}.json`);
      return (Array.isArray(d) ? d : d.rows).length === n;
    }, 30000, 300);
  }
  log('two head races imported');

  const browser = (t.browser = await launchChromium(tmp, { width: 390, height: 844 }));
  const errors = [];
  const open = pageOpener(browser, base, errors, { live: false });
  const domRows = (page) => page.evaluate(() => [...document.querySelectorAll('#rows tr[data-bib]')].map((tr) => tr.dataset.bib));

  // the bound: every row
  const p150 = await open(`regatta.html?race=h${BOUND}`);
  await p150.waitForFunction((n) => document.querySelectorAll('#rows tr[data-bib]').length === n, BOUND, { timeout: 30000 });
  let rows = await domRows(p150);
  assert.equal(rows.length, BOUND, 'a race of 150 crews: every row in the DOM');
  assert.equal(new Set(rows).size, BOUND, 'each crew once');
  assert.ok(rows.includes(`h${BOUND}-${BOUND}`), 'the last crew is there');

  // the bound + 1: a window
  const p151 = await open(`regatta.html?race=h${BOUND + 1}`);
  await p151.waitForFunction((n) => {
    const s = globalThis.splitline.state;
    return s.rows.size === n && document.querySelectorAll('#rows tr[data-bib]').length > 0;
  }, BOUND + 1, { timeout: 30000 });
  await p151.waitForTimeout(500);
  rows = await domRows(p151);
  log(`151 crews: ${rows.length} rows in the DOM`);
  assert.ok(rows.length >= 10 && rows.length <= MAX_DOM_ROWS, `a race of 151 crews is windowed: ${rows.length} rows in the DOM`);
  const order = await p151.evaluate(() => globalThis.splitline.state.sorted.map((r) => String(r.bib)));
  assert.equal(order.length, BOUND + 1);
  assert.deepEqual(rows.slice(0, 5), order.slice(0, 5), 'the window starts at the first crews of the order');
  // to the end, as a reader would: down until it stops
  for (let i = 0; i < 5; i++) {
    await p151.evaluate(() => scrollTo(0, document.scrollingElement.scrollHeight));
    await p151.waitForTimeout(300);
  }
  await p151.waitForFunction((last) => {
    const trs = document.querySelectorAll('#rows tr[data-bib]');
    return trs.length && trs[trs.length - 1].dataset.bib === last;
  }, order[order.length - 1], { timeout: 10000 });
  rows = await domRows(p151);
  assert.ok(rows.length <= MAX_DOM_ROWS, `scrolled to the end, still windowed: ${rows.length}`);
  assert.deepEqual(errors, [], 'no console errors');
});
