// checkin.test.mjs: the check-in scanner (scan.html) and desk (desk.html)
// in real headless Chromium against the real Redis and splitlined, with a
// slice of Boston 2015 (every 90th runner) imported.
//   - the scanner (a scanner token, keyboard-wedge input: a code + Enter)
//     checks a bib in: the answer shows the runner's name;
//   - a second scan of it: the duplicate warning (already checked in);
//   - the scanner's browser context goes offline: a scan is queued
//     (pending 1, shown "queued"); back online it is sent with its seq,
//     saved, and answered with the name;
//   - the desk (a desk token, its own browser context) shows the counts
//     per race and wave following all of it, finds a runner by name, checks
//     one in with its button, and gets the duplicate warning for a bib the
//     scanner checked in;
//   - the scanner page reloaded keeps its outbox: the next seq goes on;
//   - screenshots go to SL_BROWSER_SHOTS (the build dir).
//   node --test tests/browser/checkin.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stackTest, DATA, SOURCE, getJson, log, waitFor, startStack, launchBrowser, pageOpener } from './harness.mjs';

const EVENT = 'boston-2015';
const RACE = 'marathon';
const EVERY = 90;

function writeSlice(out) {
  const lines = fs.readFileSync(path.join(DATA, 'boston-2015.csv'), 'utf8').split(/\r?\n/);
  const keep = [lines[0]];
  for (let i = 1; i < lines.length; i++) if (lines[i] && (i - 1) % EVERY === 0) keep.push(lines[i]);
  fs.writeFileSync(out, keep.join('\n') + '\n');
  return keep.length - 1;
}

const rowsOf = (doc) => (Array.isArray(doc) ? doc : doc.rows || doc.results);

stackTest('check-in scanner and desk in headless Chromium: check-in, duplicate, offline scan synced', { prefix: 'checkin' }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ctl } = await startStack(procs, tmp, EVENT);

  const slice = path.join(tmp, 'slice.csv');
  const n = writeSlice(slice);
  await ctl('event', 'create', path.join(SOURCE, 'scripts', 'demo', 'boston-2015.yaml'));
  await ctl('participants', 'import', slice, '--map', 'sex=M/F', '--chip-from-bib');
  const scanTok = (await ctl('token', 'issue', '--role', 'scanner', '--device', 'scan-1')).trim();
  const deskTok = (await ctl('token', 'issue', '--role', 'desk', '--device', 'desk-1')).trim();
  const rows = await waitFor('participants exported', async () => {
    const r = rowsOf(await getJson(`${base}/api/results/${RACE}.json`));
    return r && r.length === n ? r : null;
  }, 30000, 300);
  const [A, B, C] = [rows[0], rows[Math.floor(n / 2)], rows[n - 1]].map((r) => ({ bib: String(r.bib), name: r.name, wave: String(r.wave) }));
  log(`${n} participants; scanning ${A.bib} (${A.name}), ${B.bib} (${B.name}); desk: ${C.bib} (${C.name})`);

  const browser = (t.browser = await launchBrowser());
  const pageErrors = [];
  const open = (ctx, url) => pageOpener(ctx, base, pageErrors)(url);
  const phone = await browser.newContext({ viewport: { width: 400, height: 820 }, deviceScaleFactor: 1 });
  const office = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const scan = await open(phone, `scan.html?token=${scanTok}`);
  const desk = await open(office, `desk.html?token=${deskTok}`);
  await scan.waitForFunction(() => document.getElementById('device').textContent === 'scan-1', null, { timeout: 10000 });

  const counts = (race) => desk.evaluate((race) => {
    const tr = document.querySelector(`tr.c-race[data-race="${race}"]`);
    return tr ? { in: Number(tr.dataset.in), n: Number(tr.dataset.n), noShows: Number(tr.dataset.noShows) } : null;
  }, race);
  const waitCounts = (k) => desk.waitForFunction(({ race, k, n }) => {
    const tr = document.querySelector(`tr.c-race[data-race="${race}"]`);
    return tr && Number(tr.dataset.in) === k && Number(tr.dataset.n) === n && Number(tr.dataset.noShows) === n - k;
  }, { race: RACE, k, n }, { timeout: 15000 });
  await waitCounts(0);
  await desk.waitForFunction((n) => document.querySelectorAll('#noshows li').length === Math.min(n, 300), n, { timeout: 15000 });

  // A scan: a keyboard wedge types the code and Enter into the focused field.
  const wedge = async (code) => {
    assert.equal(await scan.evaluate(() => document.activeElement && document.activeElement.id), 'code', 'the scan field has the focus');
    await scan.keyboard.type(code);
    await scan.keyboard.press('Enter');
  };
  const feedback = () => scan.evaluate(() => {
    const fb = document.getElementById('feedback');
    return { cls: fb.className, seq: fb.dataset.seq, warning: fb.dataset.warning, text: fb.textContent.replace(/\s+/g, ' ').trim() };
  });
  const waitFeedback = (page, cls, seq, text) => page.waitForFunction(({ cls, seq, text }) => {
    const fb = document.getElementById('feedback');
    return fb.classList.contains(cls) && fb.dataset.seq === String(seq) && fb.textContent.includes(text);
  }, { cls, seq, text }, { timeout: 15000 });

  // 1. A check-in.
  await wedge(A.bib);
  await waitFeedback(scan, 'fb-ok', 1, A.name);
  log(`scan 1: ${(await feedback()).text}`);
  await waitCounts(1);
  await scan.screenshot({ path: path.join(shots, 'scan-checked-in.png') });

  // 2. The same bib again: the duplicate warning, naming who checked it in.
  await wedge(A.bib);
  await waitFeedback(scan, 'fb-bad', 2, 'Already checked in');
  const dup = await feedback();
  assert.equal(dup.warning, 'already_checked_in');
  assert.match(dup.text, /scan-1/, `the warning names the device that checked in: ${dup.text}`);
  log(`scan 2: ${dup.text}`);
  await scan.screenshot({ path: path.join(shots, 'scan-duplicate.png') });
  assert.equal((await counts(RACE)).in, 1, 'a duplicate changes no count');

  // 3. Offline: the scan is queued, pending 1; online again: sent, saved, answered.
  await phone.setOffline(true);
  await scan.waitForFunction(() => !navigator.onLine && document.documentElement.dataset.conn !== 'live', null, { timeout: 10000 });
  await wedge(B.bib);
  await waitFeedback(scan, 'fb-queued', 3, B.bib);
  await scan.waitForFunction(() => document.getElementById('pending').textContent === '1', null, { timeout: 5000 });
  const stored = await scan.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('splitline.outbox.')).map(([k, v]) => [k, JSON.parse(v)]));
  assert.equal(stored.length, 1, 'one outbox in localStorage');
  assert.equal(stored[0][1].acked, 2);
  assert.equal(stored[0][1].next, 4);
  assert.deepEqual(stored[0][1].items.filter((i) => i.state === 'queued').map((i) => [i.seq, i.code]), [[3, B.bib]]);
  await scan.screenshot({ path: path.join(shots, 'scan-offline-queued.png') });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await counts(RACE)).in, 1, 'nothing reached the server while offline');
  await phone.setOffline(false);
  await waitFeedback(scan, 'fb-ok', 3, B.name);
  await scan.waitForFunction(() => document.getElementById('pending').textContent === '0' && document.documentElement.dataset.conn === 'live', null, { timeout: 15000 });
  log(`scan 3 after reconnect: ${(await feedback()).text}`);
  await waitCounts(2);
  await scan.screenshot({ path: path.join(shots, 'scan-synced.png') });

  // 4. The desk: per-wave counts, search by name, check in with the button, a duplicate.
  const waveIn = (wave) => desk.evaluate(({ race, wave }) => {
    const tr = document.querySelector(`tr.c-wave[data-race="${race}"][data-wave="${wave}"]`);
    return tr ? Number(tr.dataset.in) : null;
  }, { race: RACE, wave });
  const wantWave = new Map();
  for (const x of [A, B]) wantWave.set(x.wave, (wantWave.get(x.wave) || 0) + 1);
  for (const [w, k] of wantWave) assert.equal(await waveIn(w), k, `wave ${w} count`);
  assert.equal(await desk.locator(`#noshows li[data-bib="${A.bib}"]`).count(), 0, 'a checked-in bib is no no-show');
  await desk.fill('#q', C.name.split(/[ ,]+/).filter((s) => s.length > 2)[0] || C.name);
  const hit = desk.locator(`#hits li[data-bib="${C.bib}"]`);
  await hit.waitFor({ timeout: 10000 });
  assert.equal(await hit.getAttribute('data-in'), 'false');
  await hit.locator('button').click();
  await waitFeedback(desk, 'fb-ok', 1, C.name);
  await waitCounts(3);
  await desk.waitForFunction((bib) => document.querySelector(`#hits li[data-bib="${bib}"]`)?.dataset.in === 'true', C.bib, { timeout: 10000 });
  await desk.fill('#q', A.bib);
  const hitA = desk.locator(`#hits li[data-bib="${A.bib}"]`);
  await hitA.waitFor({ timeout: 10000 });
  assert.equal(await hitA.getAttribute('data-in'), 'true');
  await hitA.locator('button').click();
  await waitFeedback(desk, 'fb-bad', 2, 'Already checked in');
  await desk.screenshot({ path: path.join(shots, 'desk.png'), fullPage: true });
  await waitCounts(3);

  // 5. The scanner reloaded keeps its outbox and seqs.
  await scan.reload();
  await scan.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
  await scan.waitForFunction(() => document.getElementById('recent').children.length === 3, null, { timeout: 10000 });
  await wedge(C.bib);
  await waitFeedback(scan, 'fb-bad', 4, 'Already checked in');
  assert.match((await feedback()).text, /desk-1/, 'the desk checked that one in');

  assert.deepEqual(pageErrors, [], 'no errors in the pages');
});
