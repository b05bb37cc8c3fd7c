// regatta.test.mjs: the regatta page (clients/web/regatta.html) in real
// headless Chromium against the real Redis and splitlined, with Hebda 2023
// loaded by the real splitline-regatta (import, then replay).
//   - the race list shows the event's races (16, 16A, 16B among them);
//   - race 16 (Men's Novice 4+, the final fed by heats 16A and 16B, and the
//     file's 10 s penalty: Grosse Ile "Finished Off Course(10s)") shows the
//     published places, raw and adjusted times, the penalty and its reason,
//     and the margins to the leader;
//   - its line-up panel shows the crews the heats send (3 from each heat);
//   - a 60 s penalty sent with `splitline adjust` moves Saline from 1st to
//     3rd on the open page, without a reload (a marker set in the page
//     survives), and the margins follow;
//   - heat 16A shows its places and no line-up panel (nothing feeds it);
//   - on a 390 px phone no race scrolls sideways (document or table), with
//     its flags (penalty, DSQ, ...) under the crew name;
//   - the other pages show the Regatta link (a regatta); the race's printout
//     links and its results' state (provisional);
//   - screenshots (phone and desktop) go to SL_BROWSER_SHOTS.
//   node --test tests/browser/regatta.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stackTest, BIN, DATA, getJson, guessBin, log, waitFor, startStack, launchChromium, pageOpener } from './harness.mjs';

const EVENT = 'regatta-hebda-2023';
const REGATTA_BIN = guessBin('SL_REGATTA_BIN', ['clients/regatta/splitline-regatta']);

/*
 * Whether the page fits a phone's width: no sideways scroll of the document
 * and none inside the tables' wrappers (a wrapper that scrolls hides the
 * flags just the same).  Returns what overflows, [] when everything fits.
 */
async function overflowOf(page) {
  return page.evaluate(() => {
    const out = [];
    const se = document.scrollingElement;
    if (se.scrollWidth > innerWidth) out.push(`document ${se.scrollWidth} > ${innerWidth}`);
    for (const w of document.querySelectorAll('.rg-wrap')) {
      if (w.closest('[hidden]')) continue;
      if (w.scrollWidth > w.clientWidth) out.push(`table wrapper ${w.scrollWidth} > ${w.clientWidth}`);
    }
    for (const c of document.querySelectorAll('#rows td')) {
      const r = c.getBoundingClientRect();
      if (r.width && r.right > innerWidth + 0.5) out.push(`${c.className} of ${c.parentNode.dataset.bib} ends at ${Math.round(r.right)}`);
    }
    return out;
  });
}

/* The table as the page shows it: [{bib, place, lane, crew, raw, pen, adj, margin, flags, reasons}] in order. */
async function tableOf(page) {
  return page.$$eval('#rows tr', (trs) =>
    trs.map((tr) => {
      const c = (k) => (tr.querySelector(`td.${k}`)?.firstChild?.textContent ?? '').trim();
      return { bib: tr.dataset.bib, place: c('place'), lane: c('lane'), crew: c('crew'), raw: c('raw'), pen: c('pen'), adj: c('adj'),
        margin: c('margin'), flags: tr.querySelector('td.flags').textContent, reasons: tr.querySelector('td.reasons').textContent };
    }));
}

stackTest('regatta page: Hebda 2023 races, a penalty applied live, the final\'s line-up', { prefix: 'regatta-web' }, async (st) => {
  const { tmp, shots, procs } = st;
  for (const [k, v] of Object.entries({ ...BIN, regatta: REGATTA_BIN })) if (k !== 'replay') assert.ok(v && fs.existsSync(v), `${k} binary not found (${v})`);
  const { base, ws, adminFile, ctl } = await startStack(procs, tmp, EVENT);

  const csv = path.join(DATA, `${EVENT}.csv`);
  const regatta = (...a) => procs.run('regatta', [REGATTA_BIN, '--server', ws, '--token-file', adminFile, ...a]);
  await regatta('import', csv);
  await regatta('replay', csv);
  await waitFor('race 16 timed in the export', async () => {
    const d = await getJson(`${base}/api/results/16.json`);
    const rows = Array.isArray(d) ? d : d.rows;
    return rows.filter((r) => r.status === 'finished').length === 5;
  }, 30000);
  log('hebda imported and replayed');

  const browser = (st.browser = await launchChromium(tmp, { width: 390, height: 844 }));
  const pageErrors = [];
  const open = pageOpener(browser, base, pageErrors, { live: false });

  // ---- race 16: the published results, the penalty, the line-up ----
  const page = await open('regatta.html?race=16');
  await page.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 6, null, { timeout: 20000 });
  const races = await page.$$eval('#races a', (as) => as.map((a) => a.dataset.race));
  for (const r of ['16', '16A', '16B', '1', '4']) assert.ok(races.includes(r), `race list has ${r}: ${races.join(' ')}`);
  assert.match(await page.textContent('#race-name'), /Men's Novice 4\+/);
  assert.match(await page.textContent('#race-meta'), /4\+/);

  let t = await tableOf(page);
  log(`race 16: ${t.map((r) => `${r.place} ${r.crew} ${r.adj} ${r.margin}`).join(' | ')}`);
  // published: 1 Saline 6:32.347; 2 Grosse Ile 6:24.319 + 10 s = 6:34.319; 3 Roosevelt A 7:20.169; 4 Carlson; 5 Riverview; Parkersburg DQ
  assert.deepEqual(t.map((r) => [r.place, r.crew]), [['1', 'Saline'], ['2', 'Grosse Ile'], ['3', 'Roosevelt A'], ['4', 'Carlson'], ['5', 'Riverview'], ['', 'Parkersburg']]);
  const gi = t[1];
  assert.equal(gi.lane, '6');
  assert.equal(gi.raw, '6:24.319');
  assert.equal(gi.pen, '+0:10.000');
  assert.equal(gi.adj, '6:34.319');
  assert.equal(gi.margin, '+0:01.972');
  assert.match(gi.reasons, /penalty: Finished Off Course/);
  assert.match(gi.flags, /Penalty/);
  assert.equal(t[0].adj, '6:32.347');
  assert.equal(t[0].margin, '+0:00.000');
  assert.equal(t[2].adj, '7:20.169');
  assert.match(t[5].flags, /DSQ/);

  // the line-up: 3 from each heat
  await page.waitForFunction(() => !document.getElementById('lineup').hidden && document.querySelectorAll('#lineup-rows tr').length >= 6, null, { timeout: 20000 });
  const lineup = await page.$$eval('#lineup-rows tr', (trs) => trs.map((tr) => ({ bib: tr.dataset.bib,
    crew: tr.querySelector('td.crew').firstChild.textContent, from: tr.querySelector('td.from').textContent, lane: tr.querySelector('td.lane').textContent })));
  log(`line-up of 16: ${lineup.map((r) => `${r.lane} ${r.crew} (${r.from})`).join(' | ')}`);
  assert.equal(lineup.length, 6);
  assert.deepEqual(lineup.map((r) => r.crew).sort(), ['Carlson', 'Grosse Ile', 'Parkersburg', 'Riverview', 'Roosevelt A', 'Saline A']);
  for (const r of lineup) assert.ok(r.from === '16A' || r.from === '16B', `from a heat: ${r.from}`);
  assert.match(await page.textContent('#lineup-meta'), /16A, 16B/);
  await page.screenshot({ path: path.join(shots, 'regatta-16-phone.png'), fullPage: true });
  assert.equal(await page.evaluate(() => innerWidth), 390);
  assert.deepEqual(await overflowOf(page), [], 'race 16 fits a 390 px phone');

  // ---- a penalty over the protocol moves Saline from 1st to 3rd, live ----
  await page.evaluate(() => (window.__sameDocument = true));
  await ctl('adjust', '16-5', 'penalty', '--ms', '60000', '--reason', 'Wash (browser test)', '--official', 'chief-judge');
  await page.waitForFunction(() => document.querySelector('#rows tr')?.dataset.bib !== '16-5', null, { timeout: 10000 });
  await page.waitForFunction(() => {
    const tr = document.querySelector('#rows tr[data-bib="16-6"] td.margin');
    return tr && tr.textContent === '+0:00.000';
  }, null, { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  t = await tableOf(page);
  log(`race 16 after the penalty: ${t.map((r) => `${r.place} ${r.crew} ${r.adj} ${r.margin}`).join(' | ')}`);
  // Grosse Ile 6:34.319, Roosevelt A 7:20.169, Saline 6:32.347 + 60 s = 7:32.347, Carlson 7:34.481
  assert.deepEqual(t.map((r) => [r.place, r.crew]), [['1', 'Grosse Ile'], ['2', 'Roosevelt A'], ['3', 'Saline'], ['4', 'Carlson'], ['5', 'Riverview'], ['', 'Parkersburg']]);
  assert.equal(t[2].pen, '+1:00.000');
  assert.equal(t[2].adj, '7:32.347');
  assert.equal(t[2].margin, '+0:58.028');
  assert.match(t[2].reasons, /penalty: Wash \(browser test\)/);
  // two crews with flags and reasons now (penalties, DSQ): still no sideways scroll
  assert.deepEqual(await overflowOf(page), [], 'race 16 with two penalties fits a 390 px phone');
  await page.screenshot({ path: path.join(shots, 'regatta-16-phone-penalties.png'), fullPage: true });
  // the export agrees
  const exp = await getJson(`${base}/api/results/16.json`);
  const saline = (Array.isArray(exp) ? exp : exp.rows).find((r) => r.bib === '16-5');
  assert.equal(saline.place, 3);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(shots, 'regatta-16-desktop.png'), fullPage: true });

  // ---- choosing heat 16A from the list: its results, no line-up ----
  await page.click('#races a[data-race="16A"]');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 4 && document.querySelector('#rows tr').dataset.bib === '16A-5', null, { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  assert.match(page.url(), /race=16A/);
  t = await tableOf(page);
  assert.deepEqual(t.map((r) => [r.place, r.crew, r.adj]), [['1', 'Parkersburg', '6:39.503'], ['2', 'Saline A', '6:42.696'], ['3', 'Riverview', '7:02.603'], ['4', 'Crestwood', '9:01.030']]);
  assert.equal(await page.isHidden('#lineup'), true);
  await page.screenshot({ path: path.join(shots, 'regatta-16A.png'), fullPage: true });

  // ---- every race of the regatta on a 390 px phone: no sideways scroll ----
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = [];
  for (const r of races) {
    await page.click(`#races a[data-race="${r}"]`);
    await page.waitForFunction((r) => {
      const s = globalThis.splitline.state;
      return s.race === r && s.haveSnapshot && document.querySelectorAll('#rows tr').length === s.rows.size;
    }, r, { timeout: 10000 });
    const over = await overflowOf(page);
    if (over.length) wide.push(`${r}: ${over.slice(0, 3).join(', ')}`);
  }
  log(`${races.length} races checked at 390 px`);
  assert.deepEqual(wide, [], 'every race fits a 390 px phone');

  // the Regatta link on the other pages of a regatta (a road race hides it: athlete.test.mjs)
  const board = await open('index.html?race=16');
  await board.waitForFunction(() => { const a = document.querySelector('nav.nav a[href^="regatta.html"]'); return a && !a.hidden && a.offsetWidth > 0; }, null, { timeout: 15000 });
  // printouts of the race and its results' state
  assert.deepEqual(await page.$$eval('#printouts a', (as) => as.map((a) => a.getAttribute('href'))), ['/api/results/16A.pdf', '/api/results/16A.xlsx', '/api/awards/16A.pdf', '/api/results.xlsx'].map((h) => h.replace('16A', races[races.length - 1])));
  assert.match(await page.textContent('#res-state'), /Provisional results/);

  assert.deepEqual(pageErrors, [], 'page errors');
  log(`screenshots in ${shots}`);
});
