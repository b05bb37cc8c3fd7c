// timezone.test.mjs: clock times on the pages are the event's, wherever the
// viewer is (issue 12: a 09:48 EDT split showed as 13:48 to a viewer in
// UTC).  Chromium runs in Asia/Tokyo (Playwright's timezoneId, UTC+9); the
// event's config says `timezone: America/New_York` and writes its wave
// start without an offset ("2024-05-05T09:00:00": the CLI reads it in that
// zone, 13:00 UTC).  Bib 1 crosses the start mat at 09:00:10 EDT, the 5 km
// mat at 09:48:05 EDT and the finish at 09:50:20 EDT.  Checked: the
// tracker's split rows show 09:48:05 and 09:50:20 (not 22:48:05 in Tokyo,
// nor 13:48:05 in UTC), the leaderboard's finish feed 09:50:20; then the
// same event sent again without a timezone: the viewer's own zone (22:48:05),
// as the pages did before.  Every page with clock times says which zone they
// are in ("New York time (EDT, UTC-04:00)" on the race day; "your own time
// zone" without one).
//   node --test tests/browser/timezone.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stackTest, getJson, log, waitFor, pageRequests, startStack, launchChromium, pageOpener } from './harness.mjs';

const EVENT = 'harbour-2024';
const EDT = 4 * 3600000; // New York is UTC-4 in May
const at = (h, m, s) => Date.UTC(2024, 4, 5, h, m, s) + EDT; // a clock time in New York

const YAML = (tz) => `event: ${EVENT}
name: Harbour 10K
date: 2024-05-05
${tz ? `timezone: ${tz}\n` : ''}races:
  - id: 10k
    name: Harbour 10K
    distance_m: 10000
    waves:
      - {id: "1", start: "${tz ? '2024-05-05T09:00:00' : '2024-05-05T09:00:00-04:00'}"}
    points:
      - {id: start, name: Start, distance_m: 0, role: start, window_s: 3600}
      - {id: 5k, name: "5 km", distance_m: 5000, role: split, min_s: 60}
      - {id: finish, name: Finish, distance_m: 10000, role: finish, min_s: 60}
`;

const READS = [
  { bib: '1', pt: 'start', t: at(9, 0, 10) },
  { bib: '1', pt: '5k', t: at(9, 48, 5) },
  { bib: '1', pt: 'finish', t: at(9, 50, 20) },
  { bib: '2', pt: 'start', t: at(9, 1, 0) },
];

stackTest('clock times are shown in the event\'s time zone, not the viewer\'s', { prefix: 'timezone' }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ws, ctl } = await startStack(procs, tmp, EVENT);
  const yaml = path.join(tmp, 'event.yaml');
  fs.writeFileSync(yaml, YAML('America/New_York'));
  fs.writeFileSync(path.join(tmp, 'people.csv'), 'bib,name,sex,age\n1,Ann Alder,F,44\n2,Ben Birch,M,45\n');
  await ctl('event', 'create', yaml);
  await ctl('participants', 'import', path.join(tmp, 'people.csv'));

  const browser = (t.browser = await launchChromium(tmp, { width: 1280, height: 900 }, { timezoneId: 'Asia/Tokyo' }));
  const pageErrors = [];
  const open = pageOpener(browser, base, pageErrors);
  const reader = (await ctl('token', 'issue', '--role', 'reader', '--device', 'test-mat')).trim();
  const wire = await browser.newPage();
  await wire.goto(`${base}/health`);
  assert.equal(await wire.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'Asia/Tokyo', 'the browser runs in Tokyo');
  const [ack] = await pageRequests(wire, ws, EVENT, reader, [{ t: 'passings', dev: 'test-mat', seq: 1, reads: READS }]);
  assert.equal(ack.t, 'ack', JSON.stringify(ack));
  await waitFor('bib 1 finished', async () => {
    const r = await getJson(`${base}/api/results/10k.json`);
    const rows = Array.isArray(r) ? r : r.rows || r.results;
    return rows.find((x) => x.bib === '1' && x.status === 'finished');
  }, 30000);

  const clocks = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.card[data-bib="1"] tr.split')].map((tr) => [tr.dataset.pt, tr.querySelectorAll('td')[2].textContent])));
  const tracker = await open('tracker.html?bibs=1');
  await tracker.waitForFunction(() => {
    const tr = document.querySelector('.card[data-bib="1"] tr.split[data-pt="5k"]');
    return tr && tr.querySelectorAll('td')[2].textContent === '09:48:05';
  }, null, { timeout: 15000 }).catch(async () => {
    assert.fail(`tracker clock times ${JSON.stringify(await clocks(tracker))}, wanted 09:48:05 at 5k (New York), not 22:48:05 (Tokyo)`);
  });
  const c = await clocks(tracker);
  assert.equal(c.finish, '09:50:20', JSON.stringify(c));
  await tracker.screenshot({ path: path.join(shots, 'timezone-tracker.png'), fullPage: true });

  const board = await open('index.html?race=10k');
  await board.waitForFunction(() => /· 09:50:20$/.test((document.querySelector('#feed-list li .f-meta') || {}).textContent || ''), null, { timeout: 15000 }).catch(async () => {
    assert.fail(`finish feed: ${await board.textContent('#feed-list')}, wanted 09:50:20 (New York)`);
  });
  log('ok: tracker and finish feed show New York clock times in a Tokyo browser');
  const zoneNote = (page) => page.waitForFunction(() => /Times of day/.test((document.getElementById('clock-zone') || {}).textContent || ''), null, { timeout: 15000 }).then(() => page.textContent('#clock-zone'));
  const NY = 'Times of day: New York time (EDT, UTC-04:00)';
  for (const [name, page] of [['tracker', tracker], ['leaderboard', board]]) assert.equal(await zoneNote(page), NY, `${name}'s zone note`);
  // a decision whose values are times: the desk's audit trail shows them as New York clock times
  await ctl('wave', 'start', '10k', '1', '--at', '09:00:30', '--reason', 'horn was late', '--official', 'starter');
  const deskTok = (await ctl('token', 'issue', '--role', 'desk', '--device', 'desk-1')).trim();
  const scanTok = (await ctl('token', 'issue', '--role', 'scanner', '--device', 'scan-1')).trim();
  for (const p of ['announcer.html?race=10k', 'kiosk.html?race=10k', `desk.html?token=${deskTok}`, `scan.html?token=${scanTok}`]) {
    const page = await open(p);
    assert.equal(await zoneNote(page), NY, `${p}'s zone note`);
    if (p.startsWith('desk')) {
      await page.waitForFunction(() => /09:00:00 → 09:00:30/.test((document.querySelector('#audit tr[data-op="wave_start"]') || {}).textContent || ''), null, { timeout: 15000 }).catch(async () => {
        assert.fail(`desk audit: ${await page.textContent('#audit')}, wanted the wave start 09:00:00 → 09:00:30 (New York)`);
      });
      // the desk asks for the export again on a reload: nothing changed, so the server
      // answers 304 to the browser's If-None-Match and the body comes from its cache (ETag)
      const exports = [];
      page.on('response', async (r) => {
        if (new URL(r.url()).pathname !== '/api/results.json') return;
        const sent = await r.request().allHeaders();
        exports.push({ inm: sent['if-none-match'] || null, etag: r.headers().etag, body: (await r.request().sizes()).responseBodySize });
      });
      await page.reload();
      await waitFor('the desk asking for the export again', () => exports.length > 0, 15000);
      // (Chromium reports the revalidated answer as the cached 200: the 304 shows as no body bytes)
      assert.ok(exports.length === 1 && exports[0].inm && exports[0].inm === exports[0].etag && exports[0].body === 0, `the export after a reload: ${JSON.stringify(exports)}`);
    }
    await page.screenshot({ path: path.join(shots, `timezone-${p.split('.')[0]}.png`) });
    await page.close();
  }
  log('ok: the tracker, leaderboard, announcer, big screen, desk and scanner say their clock times are New York time');

  // The event without a timezone: the viewer's own clock, as before.
  fs.writeFileSync(yaml, YAML(null));
  await ctl('event', 'create', yaml);
  await tracker.waitForFunction(() => {
    const tr = document.querySelector('.card[data-bib="1"] tr.split[data-pt="5k"]');
    return tr && tr.querySelectorAll('td')[2].textContent === '22:48:05';
  }, null, { timeout: 15000 }).catch(async () => {
    assert.fail(`without a timezone: tracker clock times ${JSON.stringify(await clocks(tracker))}, wanted the viewer's 22:48:05`);
  });
  assert.equal(await tracker.textContent('#clock-zone'), 'Times of day: your own time zone (the event names none)');
  log('ok: without a timezone, the viewer\'s own zone, and the page says so');
  assert.deepEqual(pageErrors, [], `page errors: ${pageErrors.join('\n')}`);
});
