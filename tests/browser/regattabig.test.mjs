// regattabig.test.mjs: the regatta page (clients/web/regatta.html) on the
// whole Boston 2015 field (26,598 entries), in real headless Chromium
// against the real Redis and splitlined (issue 17: it redrew every row per
// update and froze the browser).
//   - the page holds every row (the snapshot's 1000, the rest over HTTP) and
//     keeps only a window of them in the DOM: at the top, and scrolled to the
//     end (where the last row of the race is shown);
//   - a delta touches only the rows it changed (a MutationObserver on the
//     table): a 5 km read for a runner outside the window touches no row;
//     one for a runner in the window touches that row alone; a finish
//     that moves a runner up inside the window touches that row alone;
//   - at 390 and 1920 px: no horizontal overflow, no console error.
//   node --test tests/browser/regattabig.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { stackTest, DATA, SOURCE, log, waitFor, getJson, pageRequests, startStack, launchChromium, pageOpener } from './harness.mjs';
import { layoutProblems } from './layout.mjs';

const EVENT = 'boston-2015';
const RACE = 'marathon';
const T0 = Date.UTC(2015, 3, 20, 14, 0, 0); // wave 1, 10:00 EDT
const FIELD = 26598;
const MAX_DOM_ROWS = 80; // 844 px of ~40 px rows and 2 x 10 rows of overscan, with room to spare

stackTest('regatta page on the Boston field: windowed, a delta touches only its rows', { prefix: 'regattabig', timeout: 600000, keepShots: true }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ws, ctl } = await startStack(procs, tmp, EVENT);
  await ctl('event', 'create', path.join(SOURCE, 'scripts', 'demo', 'boston-2015.yaml'));
  await ctl('participants', 'import', path.join(DATA, 'boston-2015.csv'), '--map', 'sex=M/F', '--chip-from-bib');
  const reader = (await ctl('token', 'issue', '--role', 'reader', '--device', 'mat')).trim();
  log('boston imported');

  const browser = (t.browser = await launchChromium(tmp, { width: 390, height: 844 }));
  const pageErrors = [];
  const open = pageOpener(browser, base, pageErrors);
  const wire = await browser.newPage();
  await wire.goto(`${base}/health`);
  let seq = 1; // one seq per read
  const send = async (reads) => {
    const [ack] = await pageRequests(wire, ws, EVENT, reader, [{ t: 'passings', dev: 'mat', seq, reads }]);
    seq += reads.length;
    assert.equal(ack.t, 'ack', JSON.stringify(ack));
  };
  // two finishers first
  await send([{ bib: '3', pt: 'start', t: T0 + 1000 }, { bib: '3', pt: 'finish', t: T0 + 7758000 }, { bib: '4', pt: 'start', t: T0 + 1000 }, { bib: '4', pt: 'finish', t: T0 + 7789000 }]);
  await waitFor('two finishers', async () => (await getJson(`${base}/api/results/${RACE}.json`)).rows.filter((r) => r.status === 'finished').length === 2, 60000, 500);

  const page = await open(`regatta.html?race=${RACE}`);
  await page.waitForFunction((n) => {
    const s = globalThis.splitline.state;
    return s.full && s.rows.size === n && document.querySelectorAll('#rows tr').length > 0;
  }, FIELD, { timeout: 120000 });
  const domRows = () => page.evaluate(() => [...document.querySelectorAll('#rows tr')].map((tr) => tr.dataset.bib));
  let rows = await domRows();
  log(`${rows.length} rows in the DOM of ${FIELD}`);
  assert.ok(rows.length >= 10 && rows.length <= MAX_DOM_ROWS, `rows in the DOM at the top: ${rows.length}`);
  assert.deepEqual(rows.slice(0, 2), ['3', '4'], 'the finishers first');
  assert.deepEqual(await page.$$eval('#rows tr:nth-child(-n+2) td.place', (tds) => tds.map((td) => td.textContent)), ['1', '2']);

  // scrolled to the end: still a window, ending with the race's last row
  // to the end, as a reader would: down until it stops
  for (let i = 0; i < 5; i++) {
    await page.evaluate(() => scrollTo(0, document.scrollingElement.scrollHeight));
    await page.waitForTimeout(300);
  }
  await page.waitForFunction(() => {
    const s = globalThis.splitline.state;
    const trs = document.querySelectorAll('#rows tr');
    return trs.length && trs[trs.length - 1].dataset.bib === String(s.sorted[s.sorted.length - 1].bib);
  }, null, { timeout: 10000 }).catch(async (e) => {
    const d = await page.evaluate(() => {
      const s = globalThis.splitline.state;
      const trs = document.querySelectorAll('#rows tr');
      return { y: scrollY, h: document.scrollingElement.scrollHeight, ih: innerHeight, top: document.getElementById('rows-top').getBoundingClientRect().top,
        pad: document.querySelector('#rows-top td').style.height, bot: document.querySelector('#rows-bot td').style.height, n: trs.length,
        first: trs[0]?.dataset.bib, last: trs[trs.length - 1]?.dataset.bib, want: s.sorted[s.sorted.length - 1].bib };
    });
    throw new Error(`${e.message}: ${JSON.stringify(d)}`);
  });
  rows = await domRows();
  assert.ok(rows.length >= 10 && rows.length <= MAX_DOM_ROWS, `rows in the DOM at the end: ${rows.length}`);
  // a runner far down the list (a numbered bib: the elite women's F bibs have no chip of their number)
  const farBib = await page.evaluate(() => globalThis.splitline.state.sorted.slice(-500).map((r) => String(r.bib)).find((b) => /^\d+$/.test(b)));
  await page.screenshot({ path: path.join(shots, 'regattabig-end-390.png') });
  await page.evaluate(() => scrollTo(0, 0));
  await page.waitForFunction(() => document.querySelector('#rows tr')?.dataset.bib === '3', null, { timeout: 10000 });
  rows = await domRows();

  // every row touched from now on: added, removed, or changed inside
  await page.evaluate(() => {
    globalThis.__touched = new Set();
    new MutationObserver((ms) => {
      for (const m of ms) {
        const tr = m.target.nodeType === 1 ? m.target.closest('tr[data-bib]') : m.target.parentElement?.closest('tr[data-bib]');
        if (tr) globalThis.__touched.add(tr.dataset.bib);
        for (const n of m.addedNodes) if (n.nodeType === 1 && n.dataset.bib) globalThis.__touched.add(n.dataset.bib);
        for (const n of m.removedNodes) if (n.nodeType === 1 && n.dataset.bib) globalThis.__touched.add(n.dataset.bib);
      }
    }).observe(document.getElementById('rows'), { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const touchedBy = async (reads, bib, status) => {
    await page.evaluate(() => globalThis.__touched.clear());
    await send(reads);
    await page.waitForFunction(({ bib, status }) => status.includes(globalThis.splitline.state.rows.get(bib)?.status), { bib, status }, { timeout: 15000 }).catch(async (e) => {
      const exp = (await getJson(`${base}/api/results/${RACE}.json`)).rows.find((r) => String(r.bib) === bib);
      const got = await page.evaluate((bib) => globalThis.splitline.state.rows.get(bib), bib);
      throw new Error(`${e.message}: bib ${bib} in the export ${JSON.stringify(exp)}, on the page ${JSON.stringify(got)}`);
    });
    await page.waitForTimeout(1500); // its drawing and any other
    return page.evaluate(() => [...globalThis.__touched].sort());
  };
  // each runner's reads from their own wave's start (the row's `start` before any read)
  const t0 = (bib) => page.evaluate((bib) => globalThis.splitline.state.rows.get(bib).start, bib);
  assert.ok(!rows.includes(farBib));
  assert.deepEqual(await touchedBy([{ bib: farBib, pt: '5k', t: (await t0(farBib)) + 1500000 }], farBib, ['started', 'on_course']), [], 'a runner outside the window: no row touched');
  const inside = rows[6];
  assert.deepEqual(await touchedBy([{ bib: inside, pt: '5k', t: (await t0(inside)) + 1500000 }], inside, ['started', 'on_course']), [inside], 'a runner in the window: that row only');
  const mover = rows[12];
  const tm = await t0(mover);
  assert.deepEqual(await touchedBy([{ bib: mover, pt: 'start', t: tm + 3000 }, { bib: mover, pt: 'finish', t: tm + 9000000 }], mover, ['finished']), [mover], 'a finisher moving up: that row only');
  rows = await domRows();
  assert.deepEqual(rows.slice(0, 3), ['3', '4', mover], 'the new finisher third');
  assert.equal(await page.textContent(`#rows tr[data-bib="${mover}"] td.place`), '3');
  assert.ok(rows.length <= MAX_DOM_ROWS);

  assert.deepEqual(await layoutProblems(page), [], 'fits 390 px');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.waitForTimeout(500);
  rows = await domRows();
  assert.ok(rows.length <= MAX_DOM_ROWS + 20, `rows in the DOM at 1920x1080: ${rows.length}`);
  assert.deepEqual(await layoutProblems(page), [], 'fits 1920 px');
  await page.screenshot({ path: path.join(shots, 'regattabig-1920.png') });
  assert.deepEqual(pageErrors, [], `page errors: ${pageErrors.join('\n')}`);
});
