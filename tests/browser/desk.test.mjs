// desk.test.mjs: the check-in desk (desk.html) at bib pickup, in real
// headless Chromium against the real Redis and splitlined.
//   - an event whose race has a bib_pool (500-510, bib 500 already held by
//     an imported athlete), four athletes with bibs and three registrations
//     without one (rows with `reg` and no bib, sent as `participants`);
//   - the desk finds a registration by name, "Assign next bib": the page
//     shows the bib the server chose (501) large; a second registration,
//     selected by Enter on its registration code, gets the next (502) with
//     a chip typed by a keyboard-wedge reader into the chip field;
//   - "Pair chip" for an athlete with a bib;
//   - a bib from the desk's stack that another athlete holds: bib_taken,
//     naming them, and nothing changes;
//   - "Swap bibs" with a reason: the hit list shows the persons moved and
//     the audit trail (topic `audit`) shows the swap row, as the server's
//     audit topic does;
//   - "Transfer" to another person with a reason, in the audit trail too;
//   - every change went through the outbox: seqs 1..n of device desk-1;
//   - the page with a scanner token: its assign is refused (forbidden) and
//     shown so, and the outbox goes on (the next check-in takes its seq).
//   node --test tests/browser/desk.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stackTest, log, pageRequests, pageSnapshot, waitFor, startStack, launchBrowser, watchErrors } from './harness.mjs';

const EVENT = 'desk-test';
const RACE = '10k';
const YAML = `event: ${EVENT}
name: Desk test run
date: 2026-11-29
races:
  - id: ${RACE}
    name: Ten K
    kind: mass
    distance_m: 10000
    bib_pool: "500-510"
    waves:
      - {id: "1", start: "2026-11-29T10:00:00+01:00"}
    points:
      - {id: start, distance_m: 0, role: start}
      - {id: finish, distance_m: 10000, role: finish}
`;
const ROWS = [
  { bib: '101', name: 'Ann Abel', sex: 'F', age: 30, chips: ['C101'] },
  { bib: '102', name: 'Bo Berg', sex: 'M', age: 41, chips: ['C102'] },
  { bib: '103', name: 'Cy Cole', sex: 'M', age: 25, chips: ['C103'] },
  { bib: '500', name: 'Gus Grey', sex: 'M', age: 52, chips: ['C500'] },
  { reg: 'R-1', name: 'Dee Dunn', sex: 'F', age: 33 },
  { reg: 'R-2', name: 'Eve Eder', sex: 'F', age: 28 },
  { reg: 'R-3', name: 'Fay Fox', sex: 'F', age: 61 },
];

stackTest('check-in desk in headless Chromium: next bib from the pool, chip, bib_taken, swap and the audit trail', { prefix: 'desk', timeout: 240000 }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ws, admin, ctl } = await startStack(procs, tmp, EVENT);
  const yaml = path.join(tmp, 'event.yaml');
  fs.writeFileSync(yaml, YAML);
  await ctl('event', 'create', yaml);
  const deskTok = (await ctl('token', 'issue', '--role', 'desk', '--device', 'desk-1')).trim();

  const browser = (t.browser = await launchBrowser());
  const pageErrors = [];
  const office = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  // The registrations without a bib: `participants` rows with `reg` (the CLI import is not needed for that).
  const tool = await office.newPage();
  await tool.goto(`${base}/style.css`); // a page of the origin that opens no socket itself
  const [imp] = await pageRequests(tool, ws, EVENT, admin, [{ t: 'participants', rows: ROWS.map((r) => ({ ...r, race: RACE })) }]);
  assert.equal(imp.t, 'ok', `participants imported: ${JSON.stringify(imp)}`);
  await tool.close();

  const desk = await office.newPage();
  watchErrors(desk, pageErrors, 'desk: ');
  await desk.goto(`${base}/desk.html?token=${deskTok}`);
  await desk.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
  const n = ROWS.length;
  const waitCounts = (k) => desk.waitForFunction(({ race, k, n }) => {
    const tr = document.querySelector(`tr.c-race[data-race="${race}"]`);
    return tr && Number(tr.dataset.in) === k && Number(tr.dataset.n) === n && Number(tr.dataset.noShows) === n - k;
  }, { race: RACE, k, n }, { timeout: 15000 });
  await waitCounts(0);
  await desk.locator('#noshows li[data-reg="R-1"]').waitFor({ timeout: 10000 });
  assert.match(await desk.textContent('#noshows li[data-reg="R-1"]'), /no bib.*Dee Dunn/);

  const fb = () => desk.evaluate(() => {
    const f = document.getElementById('feedback');
    return { cls: f.className, seq: f.dataset.seq, op: f.dataset.op, warning: f.dataset.warning, bib: document.getElementById('fb-bib').textContent, text: f.textContent.replace(/\s+/g, ' ').trim() };
  });
  const waitFb = (cls, seq, text) => desk.waitForFunction(({ cls, seq, text }) => {
    const f = document.getElementById('feedback');
    return f.classList.contains(cls) && f.dataset.seq === String(seq) && f.textContent.includes(text);
  }, { cls, seq, text }, { timeout: 15000 });
  const search = async (q) => {
    await desk.fill('#q', q);
  };

  // 1. A registration found by name: Give bib…, Assign next bib -> 501 (500 is held), shown large.
  await search('Dee');
  const dee = desk.locator('#hits li[data-reg="R-1"]');
  await dee.waitFor({ timeout: 10000 });
  assert.equal(await dee.getAttribute('data-bib'), '');
  await dee.locator('button').click();
  await desk.waitForFunction(() => !document.getElementById('act').hidden && document.getElementById('act').dataset.reg === 'R-1', null, { timeout: 5000 });
  assert.equal(await desk.isVisible('#do-assign-next'), true, 'a registration without a bib is offered a bib');
  assert.equal(await desk.isVisible('#do-pair'), false);
  await desk.click('#do-assign-next');
  await waitFb('fb-ok', 1, 'Dee Dunn');
  let f = await fb();
  assert.equal(f.op, 'assign');
  assert.equal(f.bib, '501', `the next free bib of the pool, shown large: ${f.text}`);
  log(`assign next: ${f.text}`);
  await waitCounts(1);
  await desk.waitForFunction(() => document.getElementById('act').dataset.bib === '501', null, { timeout: 5000 });
  await desk.screenshot({ path: path.join(shots, 'desk-assign.png'), fullPage: true });

  // 2. Enter on a registration code selects it; a wedge reader types the chip + Enter: the next bib, 502, with the chip.
  await search('R-2');
  await desk.press('#q', 'Enter');
  await desk.waitForFunction(() => document.getElementById('act').dataset.reg === 'R-2' && document.activeElement.id === 'chip', null, { timeout: 5000 });
  await desk.keyboard.type('E200-0002');
  await desk.keyboard.press('Enter');
  await waitFb('fb-ok', 2, 'Eve Eder');
  f = await fb();
  assert.equal(f.bib, '502', `a second assign gets the next bib: ${f.text}`);
  const ans2 = await desk.evaluate(() => globalThis.splitline.box.items.find((i) => i.seq === 2).answer);
  assert.deepEqual(ans2.chips, ['E200-0002'], 'the chip is paired with the bib');
  log(`assign next + chip: ${f.text}`);
  await waitCounts(2);

  // 3. Pair a chip for an athlete with a bib (select by the hit's name).
  await search('101');
  await desk.locator('#hits li[data-bib="101"] a.h-sel').click();
  await desk.waitForFunction(() => document.getElementById('act').dataset.bib === '101' && document.activeElement.id === 'chip', null, { timeout: 5000 });
  assert.equal(await desk.isVisible('#do-assign-next'), false);
  await desk.keyboard.type('E200-0101');
  await desk.keyboard.press('Enter');
  await waitFb('fb-ok', 3, 'Chip paired');
  const ans3 = await desk.evaluate(() => globalThis.splitline.box.items.find((i) => i.seq === 3).answer);
  assert.equal(ans3.op, 'pair');
  assert.equal(ans3.chips[0], 'E200-0101', `the chip becomes the first chip: ${JSON.stringify(ans3)}`);
  log(`pair: ${(await fb()).text}`);
  await waitCounts(3); // a pair checks the athlete in when not yet

  // 4. A bib from the stack that Bo holds: bib_taken, naming him; nothing changes.
  await search('Fay');
  await desk.locator('#hits li[data-reg="R-3"] button').click();
  await desk.waitForFunction(() => document.getElementById('act').dataset.reg === 'R-3', null, { timeout: 5000 });
  await desk.fill('#give-bib', '102');
  await desk.click('#do-assign');
  await waitFb('fb-bad', 4, 'Bib taken');
  f = await fb();
  assert.equal(f.warning, 'bib_taken');
  assert.match(f.text, /Bo Berg/, `the warning names who holds the bib: ${f.text}`);
  assert.equal(f.bib, '', 'no bib shown large for a warning');
  log(`bib taken: ${f.text}`);
  await desk.screenshot({ path: path.join(shots, 'desk-bib-taken.png'), fullPage: true });
  assert.equal(await desk.getAttribute('#act', 'data-bib'), '', 'Fay still has no bib');

  // 5. Swap Bo (102) and Cy (103): the persons move, the audit trail shows it.
  await search('102');
  await desk.locator('#hits li[data-bib="102"] a.h-sel').click();
  await desk.waitForFunction(() => document.getElementById('act').dataset.bib === '102', null, { timeout: 5000 });
  await desk.click('#swap-box summary');
  await desk.fill('#swap-with', '103');
  await desk.fill('#swap-reason', 'bibs handed out crossed');
  await desk.click('#do-swap');
  await waitFb('fb-ok', 5, 'swapped');
  assert.equal((await fb()).op, 'swap');
  log(`swap: ${(await fb()).text}`);
  const row = desk.locator('#audit tr[data-op="swap"]');
  await row.waitFor({ timeout: 10000 });
  const rowText = (await row.textContent()).replace(/\s+/g, ' ');
  log(`audit row: ${rowText}`);
  assert.match(rowText, /102/);
  assert.match(rowText, /103/);
  assert.match(rowText, /bibs handed out crossed/);
  assert.match(rowText, /Bo Berg.*→.*Cy Cole/, 'bib 102 went from Bo to Cy');
  await search('102');
  await desk.waitForFunction(() => (document.querySelector('#hits li[data-bib="102"]')?.textContent || '').includes('Cy Cole'), null, { timeout: 10000 });
  await desk.waitForFunction(() => (document.querySelector('#noshows li[data-bib="103"]')?.textContent || '').includes('Bo Berg'), null, { timeout: 10000 });

  // 6. Transfer Ann's entry (101) to Mia Berg, with a reason.
  await search('Ann');
  await desk.locator('#hits li[data-bib="101"] a.h-sel').click();
  await desk.waitForFunction(() => document.getElementById('act').dataset.bib === '101', null, { timeout: 5000 });
  await desk.click('#transfer-box summary');
  await desk.fill('#tr-name', 'Mia Berg');
  await desk.selectOption('#tr-sex', 'F');
  await desk.fill('#tr-age', '31');
  await desk.fill('#tr-reason', 'injured, entry sold on');
  await desk.click('#do-transfer');
  await waitFb('fb-ok', 6, 'transferred');
  log(`transfer: ${(await fb()).text}`);
  await desk.locator('#audit tr[data-op="transfer"]').waitFor({ timeout: 10000 });
  assert.match((await desk.textContent('#audit tr[data-op="transfer"]')).replace(/\s+/g, ' '), /Ann Abel.*→ Mia Berg, F, 31.*injured, entry sold on/);
  await desk.waitForFunction(() => document.querySelectorAll('#audit tr').length === 5, null, { timeout: 10000 });
  const ops = await desk.$$eval('#audit tr', (trs) => trs.map((t) => [t.dataset.op, t.dataset.bib]));
  assert.deepEqual(ops, [['transfer', '101'], ['swap', '102'], ['pair', '101'], ['assign', '502'], ['assign', '501']], 'the audit trail, newest first; bib_taken changed nothing');

  // 7. An official's decision is in the same trail, with before and after.
  await ctl('adjust', '102', 'penalty', '--ms', '60000', '--reason', 'outside assistance', '--official', 'chief');
  const pen = desk.locator('#audit tr[data-op="penalty"]');
  await pen.waitFor({ timeout: 10000 });
  assert.match((await pen.textContent()).replace(/\s+/g, ' '), /102.*none → \+0:01:00; 0 results changed \(outside assistance\).*chief/);
  await search('Mia');
  await desk.locator('#hits li[data-bib="101"]').waitFor({ timeout: 10000 });
  await desk.screenshot({ path: path.join(shots, 'desk-swap-audit.png'), fullPage: true });

  // The server's own audit topic says the same.
  const snap = await pageSnapshot(desk, ws, EVENT, deskTok, 'audit', { offset: 0, limit: 0 });
  assert.deepEqual(snap.rows.map((r) => [r.op, r.bib]), [['assign', '501'], ['assign', '502'], ['pair', '101'], ['swap', '102'], ['transfer', '101'], ['penalty', '102']]);
  assert.equal(snap.rows[3].with, '103');
  assert.equal(snap.rows[0].reg, 'R-1');

  // Everything went through the outbox of desk-1: seqs 1..6, all answered.
  const items = await desk.evaluate(() => globalThis.splitline.box.items.map((i) => [i.seq, i.op || 'checkin', i.state]));
  assert.deepEqual(items, [[1, 'assign', 'answered'], [2, 'assign', 'answered'], [3, 'pair', 'answered'], [4, 'assign', 'answered'], [5, 'swap', 'answered'], [6, 'transfer', 'answered']]);

  // 7. The desk page with a scanner token: an assign is refused (forbidden), shown so,
  //    and does not block the outbox: the next check-in takes its seq and is answered.
  const scanTok = (await ctl('token', 'issue', '--role', 'scanner', '--device', 'scan-9')).trim();
  const other = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const d2 = await other.newPage();
  watchErrors(d2, pageErrors, 'desk (scanner token): ');
  await d2.goto(`${base}/desk.html?token=${scanTok}`);
  await d2.waitForFunction(() => document.documentElement.dataset.conn === 'live' && document.getElementById('device').textContent === 'scan-9', null, { timeout: 30000 });
  await d2.fill('#q', 'Fay');
  await d2.locator('#hits li[data-reg="R-3"] button').click();
  await d2.click('#do-assign-next');
  await d2.waitForFunction(() => {
    const f = document.getElementById('feedback');
    return f.classList.contains('fb-bad') && f.dataset.warning === 'refused';
  }, null, { timeout: 15000 });
  const refused = (await d2.textContent('#feedback')).replace(/\s+/g, ' ');
  assert.match(refused, /This token is not allowed to do that/, `the reason is said: ${refused}`);
  assert.doesNotMatch(refused, /forbidden|scans\[/, `in words, not the server's code: ${refused}`);
  log(`refused: ${refused}`);
  await d2.fill('#q', '103');
  await d2.locator('#hits li[data-bib="103"] button').click();
  await d2.waitForFunction(() => {
    const f = document.getElementById('feedback');
    return f.classList.contains('fb-ok') && f.dataset.seq === '1';
  }, null, { timeout: 15000 });
  assert.match(await d2.textContent('#feedback'), /Bo Berg/, 'bib 103 is Bo since the swap');
  await waitCounts(4);

  assert.deepEqual(pageErrors, [], 'no errors in the page');
});
