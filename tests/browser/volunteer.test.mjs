// volunteer.test.mjs: the check-in scanner (scan.html) and desk (desk.html)
// as volunteers use them, in real headless Chromium against the real Redis
// and splitlined, with 60 participants of which 15 are called Tara Jensen.
// Three tests, each on a stack of its own, so that each fails by itself on
// the old pages; every page is checked at 390 px (a phone) and 1920 px for
// horizontal overflow, console errors and visible text that looks like an
// internal code (words.js INTERNAL_RE: unknown_code, "closed (1006)",
// forbidden: ...):
//   - the scanner: a check-in, a duplicate, an unknown code, then the
//     server gone, all said in sentences;
//   - the desk: the search tells the 15 Tara Jensens apart (sex, age, club
//     on every hit) and says "Showing 30 of 45" when it draws 30 of 45
//     matches (no such note for 15 of 15), with an athlete's panel open;
//   - a wrong token and a reader's token (scanner, desk) and a token
//     revoked while the page is open:
//     a full-screen stop saying what to do, the scan field disabled.
//   node --test tests/browser/volunteer.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stackTest, SOURCE, getJson, log, waitFor, startStack, launchBrowser, watchErrors } from './harness.mjs';
import { INTERNAL_RE } from '../../clients/web/words.js';

const EVENT = 'boston-2015';
const RACE = 'marathon';
const TARAS = 15;
const RUNNERS = 45;

function writeParticipants(file) {
  const lines = ['bib,name,sex,age,club'];
  for (let i = 1; i <= RUNNERS; i++) lines.push(`${i},Runner Number${i},${i % 2 ? 'M' : 'F'},${20 + i},Club ${String.fromCharCode(65 + (i % 26))}`);
  for (let i = 0; i < TARAS; i++) lines.push(`${101 + i},Tara Jensen,F,${19 + 3 * i},${i % 3 === 2 ? '' : `Fjord Runners ${i}`}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return RUNNERS + TARAS;
}

const WIDTHS = [390, 1920];

/* What a page looks like to the person at it: overflow, visible text, internal codes in it. */
function look(page) {
  return page.evaluate((src) => {
    const re = new RegExp(src.source, src.flags);
    const text = document.body.innerText;
    const m = re.exec(text);
    return { scrollW: document.scrollingElement.scrollWidth, innerW: innerWidth, text, code: m ? m[0] : null };
  }, { source: INTERNAL_RE.source, flags: INTERNAL_RE.flags });
}

async function assertClean(page, what) {
  const l = await look(page);
  assert.ok(l.scrollW <= l.innerW, `${what}: scrolls sideways (${l.scrollW} > ${l.innerW})`);
  assert.equal(l.code, null, `${what}: a volunteer sees an internal code '${l.code}' in:\n${l.text}`);
  return l;
}

/* The stack, the participants, the tokens and a browser; open(width, url, live) a page. */
async function setup(t) {
  const { tmp, procs } = t;
  const stack = await startStack(procs, tmp, EVENT);
  const { base, ctl } = stack;
  const csv = path.join(tmp, 'people.csv');
  const n = writeParticipants(csv);
  await ctl('event', 'create', path.join(SOURCE, 'scripts', 'demo', 'boston-2015.yaml'));
  await ctl('participants', 'import', csv, '--race', RACE, '--chip-from-bib');
  const tok = async (...a) => (await ctl('token', 'issue', ...a)).trim();
  const toks = {
    scan: await tok('--role', 'scanner', '--device', 'scan-1'),
    scan2: await tok('--role', 'scanner', '--device', 'scan-2'),
    desk: await tok('--role', 'desk', '--device', 'desk-1'),
    reader: await tok('--role', 'reader', '--device', 'mat-1'),
  };
  await waitFor('participants exported', async () => {
    const d = await getJson(`${base}/api/results/${RACE}.json`);
    return (Array.isArray(d) ? d : d.rows).length === n;
  }, 30000, 300);
  const browser = (t.browser = await launchBrowser());
  const errors = [];
  const open = async (width, url, live = true) => {
    const ctx = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 1080 } });
    const p = await ctx.newPage();
    watchErrors(p, errors, `${width}px ${url.replace(/token=\w+/, 'token=…')}: `);
    await p.goto(`${base}/${url}`);
    if (live) await p.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
    return p;
  };
  return { stack, ctl, n, toks, errors, open };
}

const fb = (p) => p.evaluate(() => ({ cls: document.getElementById('feedback').className, text: document.getElementById('feedback').innerText }));
const waitFb = (p, seq, cls) => p.waitForFunction(({ seq, cls }) => {
  const f = document.getElementById('feedback');
  return f.dataset.seq === String(seq) && f.classList.contains(cls);
}, { seq, cls }, { timeout: 15000 });

stackTest('scanner: sentences, never codes, at 390 and 1920 px, and with the server gone', { prefix: 'volunteer' }, async (t) => {
  const { shots, procs } = t;
  const { stack, toks, errors, open } = await setup(t);
  const scanTok = toks.scan;
  // 1. The scanner at both widths: a check-in, a duplicate, an unknown code; sentences only.
  let seq = 0;
  const scans = {};
  for (const w of WIDTHS) {
    const p = (scans[w] = await open(w, `scan.html?token=${scanTok}`));
    await p.waitForFunction(() => document.getElementById('device').textContent === 'scan-1', null, { timeout: 10000 });
    await assertClean(p, `scanner ${w}px, ready`);
    const bib = w === 390 ? '3' : '4';
    for (const [code, cls] of [[bib, 'fb-ok'], [bib, 'fb-bad'], ['ZZ-404', 'fb-bad']]) {
      await p.fill('#code', code);
      await p.press('#code', 'Enter');
      await waitFb(p, ++seq, cls);
      await assertClean(p, `scanner ${w}px after scanning ${code}`);
    }
    const last = await fb(p);
    assert.match(last.text, /Nobody has this bib, chip or code/, `the unknown code in words: ${last.text}`);
    await p.screenshot({ path: path.join(shots, `volunteer-scan-${w}.png`), fullPage: true });
  }
  const dupText = await scans[1920].evaluate(() => document.getElementById('recent').innerText);
  assert.match(dupText, /already checked in/, `the recent list says it in words: ${dupText}`);

  // The server gone: the scanner says so in words, not "closed (1006)".
  const p = scans[390];
  await procs.kill(stack.server);
  await p.waitForFunction(() => document.documentElement.dataset.conn === 'reconnecting' && document.getElementById('conn-why').textContent !== '', null, { timeout: 20000 });
  await p.fill('#code', '5');
  await p.press('#code', 'Enter');
  await p.waitForFunction(() => document.getElementById('feedback').classList.contains('fb-queued'), null, { timeout: 10000 });
  const gone = await assertClean(p, 'scanner 390px, server gone');
  log(`server gone: ${gone.text.replace(/\s+/g, ' ').slice(0, 300)}`);
  await p.screenshot({ path: path.join(shots, 'volunteer-scan-server-gone-390.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
});

stackTest('desk: namesakes told apart, "Showing 30 of 45", at 390 and 1920 px', { prefix: 'volunteer' }, async (t) => {
  const { shots } = t;
  const { n, toks, errors, open } = await setup(t);
  const deskTok = toks.desk;
  // 2. The desk: namesakes told apart, "showing 30 of 45", fits both widths.
  for (const w of WIDTHS) {
    const d = await open(w, `desk.html?token=${deskTok}`);
    await d.waitForFunction((n) => /participants loaded/.test(document.getElementById('hits-note').textContent) && document.getElementById('hits-note').textContent.startsWith(String(n)), n, { timeout: 15000 });
    await d.fill('#q', 'tara jensen');
    await d.waitForFunction((k) => document.querySelectorAll('#hits li').length === k, TARAS, { timeout: 10000 });
    const hits = await d.$$eval('#hits li', (lis) => lis.map((li) => ({ bib: li.dataset.bib, name: li.querySelector('.h-name')?.textContent, meta: li.querySelector('.h-meta')?.textContent })));
    const metas = new Set(hits.map((h) => h.meta));
    assert.equal(metas.size, TARAS, `every Tara Jensen reads differently: ${[...metas].join(' | ')}`);
    for (const h of hits) {
      const i = Number(h.bib) - 101;
      assert.equal(h.name, 'Tara Jensen');
      assert.match(h.meta, new RegExp(`\\bF ${19 + 3 * i}\\b`), `bib ${h.bib}: sex and age in ${h.meta}`);
      assert.match(h.meta, i % 3 === 2 ? /no club/ : new RegExp(`Fjord Runners ${i}\\b`), `bib ${h.bib}: club in ${h.meta}`);
    }
    const note15 = await d.textContent('#hits-note');
    assert.doesNotMatch(note15, /Showing/, `15 of 15 is not cut: ${note15}`);
    await assertClean(d, `desk ${w}px, 15 namesakes`);
    await d.screenshot({ path: path.join(shots, `volunteer-desk-namesakes-${w}.png`), fullPage: true });

    await d.fill('#q', 'runner');
    await d.waitForFunction(() => document.querySelectorAll('#hits li').length === 30, null, { timeout: 10000 });
    const note = await d.textContent('#hits-note');
    assert.match(note, new RegExp(`Showing 30 of ${RUNNERS}\\b`), `the cut says so: ${note}`);
    await d.click('#hits li:first-child .h-txt'); // the selected athlete's panel
    await d.waitForSelector('#act:not([hidden])');
    for (const box of ['#swap-box', '#transfer-box']) await d.click(`${box} summary`); // every field of the panel shown
    await assertClean(d, `desk ${w}px, 30 of 45 and an athlete selected`);
    await d.screenshot({ path: path.join(shots, `volunteer-desk-${w}.png`), fullPage: true });
    await d.context().close();
  }

  assert.deepEqual(errors, [], 'no console errors');
});

stackTest('scanner and desk: a wrong, foreign or revoked token is a full-screen stop saying what to do', { prefix: 'volunteer' }, async (t) => {
  const { shots } = t;
  const { ctl, toks, errors, open } = await setup(t);
  const [scan2Tok, readerTok] = [toks.scan2, toks.reader];
  // 3. Tokens that cannot work: a full-screen stop saying what to do, on both pages.
  const stopped = async (p, what, title) => {
    await p.waitForFunction(() => document.getElementById('stop') && !document.getElementById('stop').hidden, null, { timeout: 20000 });
    const s = await p.evaluate(() => {
      const r = document.getElementById('stop').getBoundingClientRect();
      const f = document.getElementById('code') || document.getElementById('q');
      return { r: [r.left, r.top, r.width, r.height], w: innerWidth, h: innerHeight, text: document.getElementById('stop').innerText, fieldDisabled: f.disabled };
    });
    assert.deepEqual(s.r, [0, 0, s.w, s.h], `${what}: the stop covers the whole screen`);
    assert.match(s.text, title, `${what}: ${s.text}`);
    assert.match(s.text, /Ask the timing team for a new token/, `${what}: says what to do`);
    assert.ok(s.fieldDisabled, `${what}: the scan field is disabled`);
    await assertClean(p, what);
    return s;
  };
  for (const w of WIDTHS) {
    const p = await open(w, 'scan.html?token=0123456789abcdef0123456789abcdef', false);
    await stopped(p, `scanner ${w}px, wrong token`, /This token is not valid/);
    await p.screenshot({ path: path.join(shots, `volunteer-scan-wrong-token-${w}.png`) });
    await p.context().close();
  }
  const dWrong = await open(390, 'desk.html?token=0123456789abcdef0123456789abcdef', false);
  await stopped(dWrong, 'desk, wrong token', /This token is not valid/);
  const rd = await open(390, `scan.html?token=${readerTok}`, false);
  await stopped(rd, "scanner, a reader's token", /Not a check-in token/);
  const dRd = await open(1920, `desk.html?token=${readerTok}`, false);
  await stopped(dRd, "desk, a reader's token", /Not a check-in token/);

  // Revoked while open (on this node: closed with 4001, then the hello is refused).
  const r = await open(390, `scan.html?token=${scan2Tok}`);
  await r.waitForFunction(() => document.getElementById('device').textContent === 'scan-2', null, { timeout: 10000 });
  await ctl('token', 'revoke', scan2Tok);
  const st = await stopped(r, 'scanner, token revoked while open', /This token was revoked/);
  log(`revoked: ${st.text.replace(/\s+/g, ' ')}`);
  await r.screenshot({ path: path.join(shots, 'volunteer-scan-revoked-390.png') });

  assert.deepEqual(errors, [], 'no console errors');
});
