// screens.test.mjs: the big screen (kiosk.html) and the announcer
// (announcer.html) at 390 px (a phone) and 1920 px (a big screen) in real
// headless Chromium, running in Tokyo's time zone, against the real Redis,
// splitlined and a replay of Boston 2015 (every 90th runner, reads cut at
// 3:00:00 of each runner's race: mid-race), plus 6 entrants who never start.
//   - both pages: no horizontal overflow, no console error;
//   - the big screen before the start and mid-race: women and men in lists
//     of their own (every row of the sex the list names, places within the
//     sex), the TIME column only times (a result, or a projection marked
//     "≈" with the legend saying so; never "30 km" nor "Registered"), no
//     cell of place, time or point cut, the last row shown whole inside its
//     box and the page; the results' state (provisional, then official after
//     `splitline race official`); the clock in New York time; on the big
//     screen a long name (the winner's, made long) drawn smaller, not cut;
//   - the big screen with a non-binary entrant: a third list once they have
//     started (none before), the three whole at both widths;
//   - the announcer mid-race: its results' state (provisional, then official),
//     names whole at 390 px (not "P..."), each
//     projection called "projected", the order said and kept (soonest
//     first), "late" on yellow explained above the list.
//   node --test tests/browser/screens.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeSlices } from './slice.mjs';
import { stackTest, BIN, SOURCE, getJson, log, sleep, waitFor, startStack, launchBrowser, watchErrors } from './harness.mjs';

const EVENT = 'boston-2015';
const RACE = 'marathon';
const EVERY = 90;
const CUT_S = 3 * 3600;
const NOT_STARTED = 6;
const LONG_NAME = 'Konstantinopoulou, Alexandra';
const WIDTHS = [[390, 844], [1920, 1080]];
// 2015-04-20 14:26:40 UTC: 10:26:40 in New York (EDT), 23:26:40 in Tokyo
const PINNED = 1429540000000;

const rowsOf = (doc) => (Array.isArray(doc) ? doc : doc.rows || doc.results);

/* The big screen as seen: panels, their rows, and what is cut or overflows. */
function kioskLook(page) {
  return page.evaluate(() => {
    const clipped = (el) => el.scrollWidth > el.clientWidth + 0.5;
    const panels = [...document.querySelectorAll('.k-panel:not([hidden])')].map((p) => {
      const vp = p.querySelector('.k-viewport').getBoundingClientRect();
      const rows = [...p.querySelectorAll('li[data-bib]')].map((li) => {
        const r = li.getBoundingClientRect();
        const cell = (c) => li.querySelector(c);
        return {
          bib: li.dataset.bib,
          place: cell('.k-place').textContent,
          time: cell('.k-time').textContent,
          proj: cell('.k-time').dataset.proj || null,
          at: cell('.k-at').textContent,
          // cut: a place, bib, point or time that does not fit its cell (a long name may end in "…")
          cut: ['.k-place', '.k-bib', '.k-time', '.k-at'].filter((c) => getComputedStyle(cell(c)).display !== 'none' && clipped(cell(c))),
          name: cell('.k-name').textContent,
          nameCut: clipped(cell('.k-name')),
          top: r.top,
          bottom: r.bottom,
        };
      });
      return { view: p.dataset.view, vpTop: vp.top, vpBottom: vp.bottom, rows, empty: p.querySelector('.k-rows').textContent };
    });
    return {
      scrollW: document.scrollingElement.scrollWidth,
      innerW: innerWidth,
      innerH: innerHeight,
      panels,
      state: document.getElementById('k-state').textContent,
      clock: document.getElementById('k-clock').textContent,
      legend: (document.querySelector('.k-legend') || {}).innerText || '',
    };
  });
}

const TIME_RE = /^(≈?\d+:\d\d:\d\d)?$/;

function checkKiosk(k, what, sexOf, wide, views = ['sex:F', 'sex:M']) {
  assert.ok(k.scrollW <= k.innerW, `${what}: scrolls sideways (${k.scrollW} > ${k.innerW})`);
  assert.deepEqual(k.panels.map((p) => p.view), views, `${what}: women and men (and X) in lists of their own`);
  for (const p of k.panels) {
    assert.ok(p.vpBottom <= k.innerH + 0.5, `${what} ${p.view}: the list's box ends below the screen (${p.vpBottom} > ${k.innerH})`);
    for (const r of p.rows) {
      assert.match(r.time, TIME_RE, `${what} ${p.view} bib ${r.bib}: the TIME column holds '${r.time}'`);
      assert.deepEqual(r.cut, [], `${what} ${p.view} bib ${r.bib}: cut cells`);
      // on the big screen a long name is drawn smaller, not cut
      if (wide) assert.ok(!r.nameCut, `${what} ${p.view} bib ${r.bib}: the name '${r.name}' is cut`);
      assert.ok(r.top >= p.vpTop - 0.5 && r.bottom <= p.vpBottom + 0.5, `${what} ${p.view} bib ${r.bib}: row ${r.top}-${r.bottom} not whole in its box ${p.vpTop}-${p.vpBottom}`);
      if (sexOf) assert.equal(`sex:${sexOf.get(r.bib)}`, p.view, `${what}: bib ${r.bib} in the ${p.view} list`);
    }
  }
}

stackTest('big screen and announcer at 390 and 1920 px: times only, per sex, whole rows, projections called so', { prefix: 'screens', timeout: 600000, keepShots: true }, async (t) => {
  const { tmp, shots, procs } = t;
  assert.ok(BIN.replay && fs.existsSync(BIN.replay), `replay binary not found (${BIN.replay})`);
  const { port, base, ctl } = await startStack(procs, tmp, EVENT);
  const full = path.join(tmp, 'slice.csv');
  const cut = path.join(tmp, 'slice-cut.csv');
  const n = writeSlices(full, cut, { every: EVERY, cutS: CUT_S }).length;
  // the winner gets a long name: the big screen must show it whole
  const lines = fs.readFileSync(full, 'utf8').split('\n');
  lines[1] = lines[1].replace(/^3,"[^"]*"/, `3,"${LONG_NAME}"`);
  assert.ok(lines[1].includes(LONG_NAME), 'bib 3 leads the slice');
  fs.writeFileSync(full, lines.join('\n'));
  const extra = path.join(tmp, 'not-started.csv');
  fs.writeFileSync(extra, ['bib,name,sex,age', ...Array.from({ length: NOT_STARTED }, (_, i) => `${90001 + i},Registered Only${i},${i % 2 ? 'M' : 'F'},${30 + i}`)].join('\n') + '\n');
  const yaml = path.join(SOURCE, 'scripts', 'demo', 'boston-2015.yaml');
  await ctl('event', 'create', yaml);
  await ctl('participants', 'import', full, '--map', 'sex=M/F', '--chip-from-bib');
  await ctl('participants', 'import', extra, '--race', RACE);
  const tok = (await ctl('token', 'issue', '--role', 'reader', '--device', 'screens-a')).trim();
  const total = n + NOT_STARTED;
  const exp0 = await waitFor('participants exported', async () => {
    const r = rowsOf(await getJson(`${base}/api/results/${RACE}.json`));
    return r && r.length === total ? r : null;
  }, 30000, 300);
  const sexOf = new Map(exp0.map((r) => [String(r.bib), r.sex]));
  log(`${total} participants (${NOT_STARTED} never start)`);

  const browser = (t.browser = await launchBrowser());
  const errors = [];
  const pages = {};
  for (const [w, hgt] of WIDTHS) {
    const ctx = await browser.newContext({ viewport: { width: w, height: hgt }, timezoneId: 'Asia/Tokyo' });
    const open = async (url) => {
      const p = await ctx.newPage();
      watchErrors(p, errors, `${w}px ${url}: `);
      await p.goto(`${base}/${url}`);
      await p.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
      return p;
    };
    pages[w] = {
      kiosk: await open(`kiosk.html?race=${RACE}&page=0&rows=1000&now=${PINNED}`),
      ann: await open(`announcer.html?race=${RACE}&window=60`),
    };
  }

  // Before the start: nobody listed as "Registered" in the TIME column; provisional; New York clock.
  for (const [w] of WIDTHS) {
    const kp = pages[w].kiosk;
    await kp.waitForFunction(() => /Provisional/.test(document.getElementById('k-state').textContent) && document.querySelectorAll('.k-panel').length >= 1, null, { timeout: 15000 }).catch(() => {});
    await sleep(1200);
    const k = await kioskLook(kp);
    checkKiosk(k, `kiosk ${w}px before the start`, sexOf);
    assert.equal(k.state, 'Provisional results', `kiosk ${w}px: the results' state`);
    assert.equal(k.clock, '10:26:40', `kiosk ${w}px: the clock in New York time, not Tokyo's`);
    await kp.screenshot({ path: path.join(shots, `screens-kiosk-before-${w}.png`) });
  }

  // Mid-race: the replay of every read up to 3:00:00.
  const leg = procs.start('replay', [BIN.replay, 'boston', cut, '--config', yaml, '--server', `ws://127.0.0.1:${port}/ws`, '--event', EVENT, '--token', tok, '--device', 'screens-a', '--speed', '2000', '--seed', '1'], { stdout: true });
  await procs.wait(leg, 300000);
  assert.equal(leg.exited.code, 0, `replay failed: ${fs.readFileSync(leg.logPath, 'utf8').slice(-1500)}`);
  await sleep(1500);
  const exp1 = rowsOf(await getJson(`${base}/api/results/${RACE}.json`));
  const byBib = new Map(exp1.map((r) => [String(r.bib), r]));
  const onCourse = exp1.filter((r) => r.status === 'on_course').length;
  assert.ok(onCourse > n / 3, `mid-race: ${onCourse} of ${n} on course`);

  for (const [w] of WIDTHS) {
    const kp = pages[w].kiosk;
    // the women's list reaches the runners on course (page 1 holds the finishers, then them)
    await kp.waitForFunction(() => document.querySelectorAll('.k-panel li[data-bib]').length > 4, null, { timeout: 20000 });
    await sleep(1200);
    let k = await kioskLook(kp);
    checkKiosk(k, `kiosk ${w}px mid-race`, sexOf, w >= 1920);
    // the first rows are the fastest women and men finishers, with their places within the sex
    for (const p of k.panels) {
      const sex = p.view.slice(4);
      const fins = exp1.filter((r) => r.sex === sex && r.status === 'finished').sort((a, b) => a.place_sex - b.place_sex);
      const shown = p.rows.slice(0, Math.min(3, fins.length));
      assert.ok(shown.length > 0, `kiosk ${w}px ${p.view}: rows`);
      assert.deepEqual(shown.map((r) => [r.bib, Number(r.place)]), fins.slice(0, shown.length).map((r) => [String(r.bib), r.place_sex]), `kiosk ${w}px ${p.view}: places within the sex`);
    }
    // every row on page 1 of a tall list: as many as fit, and no more
    // a list showing on-course runners marks their projections: rows=1000 and a few pages
    const anyProj = await kp.evaluate(async () => {
      // show the page that holds the first runner on course, in each list
      const s = globalThis.splitline.state;
      for (const p of s.panels) {
        const list = p.board.sorted().filter((e) => ['finished', 'on_course', 'started', 'dnf', 'dsq'].includes(e.row.status));
        const i = list.findIndex((e) => e.row.status === 'on_course');
        if (i >= 0 && p.per > 0) p.pageNo = Math.floor(i / p.per);
        p.drawn = -1;
      }
      globalThis.splitline.draw();
      return document.querySelectorAll('.k-time[data-proj]').length;
    });
    assert.ok(anyProj > 0, `kiosk ${w}px: projections shown`);
    k = await kioskLook(kp);
    checkKiosk(k, `kiosk ${w}px mid-race, the runners on course`, sexOf);
    for (const p of k.panels) {
      for (const r of p.rows) {
        const row = byBib.get(r.bib);
        if (row.status === 'on_course') {
          assert.match(r.time, /^(≈\d+:\d\d:\d\d)?$/, `bib ${r.bib} on course: a projection, marked`);
          if (r.proj) assert.equal(r.time, `≈${fmt(Number(r.proj))}`);
          assert.notEqual(r.at, '', `bib ${r.bib} on course: where`);
        }
      }
    }
    assert.match(k.legend, /≈\d:\d\d:\d\d projected finish/, `kiosk ${w}px: the legend says what ≈ is`);
    await kp.screenshot({ path: path.join(shots, `screens-kiosk-mid-${w}.png`) });
  }

  // The announcer mid-race: names whole, projections called so, the order said and kept.
  for (const [w] of WIDTHS) {
    const ap = pages[w].ann;
    await ap.waitForFunction(() => document.querySelectorAll('#calls li').length >= 3, null, { timeout: 30000 });
    const a = await ap.evaluate(() => ({
      scrollW: document.scrollingElement.scrollWidth,
      innerW: innerWidth,
      calls: [...document.querySelectorAll('#calls li')].map((li) => {
        const nm = li.querySelector('.call-name');
        return { bib: li.dataset.bib, eta: Number(li.dataset.eta), proj: li.dataset.proj || null, nameCut: nm.scrollWidth > nm.clientWidth + 0.5 || nm.scrollHeight > nm.clientHeight + 0.5 || getComputedStyle(nm).textOverflow === 'ellipsis', projText: li.querySelector('.call-proj').textContent, etaText: li.querySelector('.call-eta').textContent, late: li.classList.contains('overdue') };
      }),
      legend: document.querySelector('.calls-legend')?.innerText || '',
      state: document.getElementById('res-state')?.textContent || '',
    }));
    assert.ok(a.scrollW <= a.innerW, `announcer ${w}px: scrolls sideways (${a.scrollW} > ${a.innerW})`);
    assert.equal(a.state, 'Provisional results', `announcer ${w}px: the results' state is shown`);
    for (const c of a.calls) {
      assert.ok(!c.nameCut, `announcer ${w}px: bib ${c.bib}'s name is cut`);
      if (c.proj) assert.match(c.projText, /projected finish \d+:\d\d:\d\d/, `announcer ${w}px bib ${c.bib}: ${c.projText}`);
      if (/\d+(st|nd|rd|th)/.test(c.projText)) assert.match(c.projText, /projected \d+(st|nd|rd|th)/, `announcer ${w}px bib ${c.bib}: the place is called projected: ${c.projText}`);
      if (c.late) assert.match(c.etaText, /late/, `announcer ${w}px bib ${c.bib}: yellow says late`);
    }
    const etas = a.calls.map((c) => c.eta);
    assert.deepEqual(etas, [...etas].sort((x, y) => x - y), `announcer ${w}px: soonest first`);
    assert.match(a.legend, /soonest first/, `announcer ${w}px: the order is said: ${a.legend}`);
    assert.match(a.legend, /late\s*expected by now, not in yet/, `announcer ${w}px: yellow is explained: ${a.legend}`);
    assert.match(a.legend, /projected/, `announcer ${w}px: projections are said: ${a.legend}`);
    await ap.screenshot({ path: path.join(shots, `screens-announcer-${w}.png`) });
  }

  // The results made official: the big screen and the announcer say so.
  await ctl('race', 'official', RACE, '--official', 'chief');
  for (const [w] of WIDTHS) await pages[w].kiosk.waitForFunction(() => document.getElementById('k-state').textContent === 'Official results', null, { timeout: 15000 });
  for (const [w] of WIDTHS) await pages[w].ann.waitForFunction(() => document.getElementById('res-state').textContent === 'Official results', null, { timeout: 15000 });

  // A non-binary entrant: no third list while they have not started (the X list
  // holds them, hidden), then one once they cross the 5 km mat; all three fit.
  const xcsv = path.join(tmp, 'x.csv');
  fs.writeFileSync(xcsv, 'bib,name,sex,age,club\n95001,Sam Rivers-Delacroix,X,33,Boston Athletic Association\n');
  await ctl('participants', 'import', xcsv, '--race', RACE);
  for (const [w] of WIDTHS) {
    const kp = pages[w].kiosk;
    await kp.waitForFunction(() => globalThis.splitline.state.panels[2].board.entries.size === 1, null, { timeout: 20000 });
    await sleep(1200);
    assert.deepEqual((await kioskLook(kp)).panels.map((p) => p.view), ['sex:F', 'sex:M'], `kiosk ${w}px: no X list before anyone in it started`);
  }
  await ctl('passing', 'add', '--bib', '95001', '--pt', '5k', '--at', '11:45:00');
  for (const [w] of WIDTHS) {
    const kp = pages[w].kiosk;
    await kp.waitForFunction(() => document.querySelectorAll('.k-panel:not([hidden])').length === 3, null, { timeout: 20000 });
    await sleep(1200);
    const k = await kioskLook(kp);
    checkKiosk(k, `kiosk ${w}px with a non-binary runner`, null, w >= 1920, ['sex:F', 'sex:M', 'sex:X']);
    assert.deepEqual(k.panels[2].rows.map((r) => r.bib), ['95001'], `kiosk ${w}px: the X list`);
    await kp.screenshot({ path: path.join(shots, `screens-kiosk-x-${w}.png`) });
  }
  assert.deepEqual(errors, [], 'no console errors');
});

function fmt(ms) {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
