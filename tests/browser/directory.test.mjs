// directory.test.mjs: the event directory (issue 15) in real headless
// Chromium against the real Redis and one splitlined started without
// --event (a server of many events), its events created at runtime:
//   harbour-2024     district   Harbour 10K, today; Ann (bib 1) finished, Ben on course: live
//   spring-regatta   district   a lane race, no reads: upcoming, with a Regatta link
//   elm-street-2024  street     Carl (bib 1 too) finished, the only runner: provisional,
//                               then `race official`: official
//   oak-lane-2024    community  today, a long name, no reads: upcoming, then a read: live
//   club-night-2024  no level   under Other
// Checked, at 1920 and 390 px ("today" pinned by ?now=):
//   - / is the directory; before any event, "No events yet";
//   - the groups District, Street, Community, Other in that order, the
//     events in each (live first, then by date), their state badges as
//     /api/events.json says, their links under /e/<event>/ (each served);
//   - the search as you type (name, venue, a date as shown; a search that
//     matches nothing says so and is kept in the URL) and Today / Upcoming /
//     Past;
//   - a state changing on the server reaches the open page (no reload);
//     the list is asked for again with If-None-Match (304-friendly);
//   - the error state: a failing list before any load says so; after a
//     load the list stays, with a note, and goes once the server answers;
//   - no horizontal scroll at 390 px, no console error;
//   - an event's results page under /e/<event>/ shows that event's rows
//     (Carl for elm-street, Ann for harbour: the same bib in both), asks
//     only that event's API (/api/events/<event>/...), its printout links
//     and nav stay in the event (and lead back to the directory); the
//     tracker and athlete page there follow that event's bib 1 (the
//     certificate link that event's); the regatta page lists its race;
//     an unknown event's page is refused.
//   node --test tests/browser/directory.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { layoutProblems } from './layout.mjs';
import { stackTest, getJson, log, waitFor, pageRequests, startStack, launchChromium, pageOpener, watchErrors } from './harness.mjs';

const EDT = 4 * 3600000;
const at = (h, m, s = 0) => Date.UTC(2024, 4, 5, h, m, s) + EDT; // a clock time on 5 May 2024 in New York
const NOW = '2024-05-05T16:00:00Z'; // noon in New York: "today" is 5 May

const road = ({ id, name, date, level, venue, organizer, race, bibs }) => `event: ${id}
name: ${name}
date: ${date}
timezone: America/New_York
${level ? `level: ${level}\n` : ''}${venue ? `venue: ${venue}\n` : ''}${organizer ? `organizer: ${organizer}\n` : ''}races:
  - id: ${race}
    name: ${name}
    distance_m: 5000
    waves:
      - {id: "1", start: "${date}T09:00:00", bibs: "${bibs}"}
    points:
      - {id: start, name: Start, distance_m: 0, role: start, window_s: 3600}
      - {id: finish, name: Finish, distance_m: 5000, role: finish, min_s: 60}
`;

const EVENTS = [
  { id: 'harbour-2024', yaml: road({ id: 'harbour-2024', name: 'Harbour 10K', date: '2024-05-05', level: 'district', venue: 'Harbour Front', organizer: 'District Sports Bureau', race: '10k', bibs: '1-99' }),
    people: 'bib,name,sex,age\n1,Ann Alder,F,44\n2,Ben Birch,M,45\n' },
  { id: 'spring-regatta', yaml: `event: spring-regatta
name: Spring Regatta
date: 2024-06-01
timezone: America/New_York
level: district
venue: Old River Canal
races:
  - id: m1x
    name: Men's single sculls
    kind: lanes
    waves: [{id: "1"}]
    points:
      - {id: start, role: start}
      - {id: finish, role: finish, distance_m: 1000, min_s: 0}
` },
  { id: 'elm-street-2024', yaml: road({ id: 'elm-street-2024', name: 'Elm Street 5K', date: '2024-04-28', level: 'street', venue: 'Elm Street', organizer: 'Elm Street Residents', race: '5k', bibs: '1-99' }),
    people: 'bib,name,sex,age\n1,Carl Cedar,M,51\n' },
  { id: 'oak-lane-2024', yaml: road({ id: 'oak-lane-2024', name: 'Oak Lane Fun Run along the Long Reach of the Old Canal Towpath', date: '2024-05-05', level: 'community', venue: 'Oak Lane Community Garden and Allotments', organizer: 'Oak Lane Neighbours', race: 'fun', bibs: '1-99' }),
    people: 'bib,name,sex,age\n7,Dora Dune,F,30\n' },
  { id: 'club-night-2024', yaml: road({ id: 'club-night-2024', name: 'Club Night 3K', date: '2024-03-01', race: '3k', bibs: '1-99' }) },
];

const LABEL = { upcoming: 'Upcoming', live: 'Live', provisional: 'Provisional', official: 'Official' };

/* What the page shows: per group its level, heading and events (id, state, badge, links). */
function shown(page) {
  return page.evaluate(() => [...document.querySelectorAll('#groups section.ev-group')].map((s) => ({
    level: s.dataset.level,
    heading: s.querySelector('h2').textContent,
    events: [...s.querySelectorAll('li.ev')].map((li) => ({
      id: li.dataset.event,
      state: li.dataset.state || null,
      badge: li.querySelector('.ev-state')?.textContent || null,
      links: [...li.querySelectorAll('.ev-links a')].map((a) => [a.textContent, a.getAttribute('href')]),
      title: li.querySelector('.ev-name a').getAttribute('href'),
    })),
  })));
}

const ids = async (page) => (await shown(page)).flatMap((g) => g.events.map((e) => e.id));

async function serverStates(base) {
  const doc = await getJson(`${base}/api/events.json`);
  return Object.fromEntries(doc.events.map((e) => [e.id, e.state]));
}

stackTest('event directory and an event\'s pages under /e/<event>/ on a server of many events', { prefix: 'directory' }, async (t) => {
  const { tmp, shots, procs } = t;
  const { base, ws, ctl } = await startStack(procs, tmp, null);
  const browser = (t.browser = await launchChromium(tmp, { width: 1920, height: 1080 }));
  const pageErrors = [];
  const open = pageOpener(browser, base, pageErrors, { live: false });

  // / is the directory; no event yet
  const dir = await open(`?now=${NOW}`);
  assert.equal(await dir.title(), 'Events · Splitline', '/ serves the directory');
  await dir.waitForFunction(() => document.getElementById('info').textContent === 'No events yet.', null, { timeout: 15000 });
  assert.equal(await dir.textContent('#counts'), '0 events');
  assert.equal(await dir.$$eval('#groups section', (s) => s.length), 0);
  // a page outside /e/<event>/ names no event on this server: it goes to the directory
  const lost = await open('tracker.html');
  await lost.waitForURL(`${base}/`, { timeout: 15000 });
  assert.equal(await lost.title(), 'Events · Splitline', 'tracker.html without an event leads to the directory');
  await lost.close();
  await dir.evaluate(() => (globalThis.__noReload = 42));
  // every poll of the list, with what the browser sent and got
  const polls = [];
  dir.on('response', async (r) => {
    if (new URL(r.url()).pathname !== '/api/events.json') return;
    const sent = await r.request().allHeaders();
    polls.push({ inm: sent['if-none-match'] || null, etag: r.headers().etag || null, status: r.status() });
  });

  // the events, created at runtime, with their runners and reads
  for (const ev of EVENTS) {
    const yaml = path.join(tmp, `${ev.id}.yaml`);
    fs.writeFileSync(yaml, ev.yaml);
    await ctl('--event', ev.id, 'event', 'create', yaml);
    if (ev.people) {
      const csv = path.join(tmp, `${ev.id}.csv`);
      fs.writeFileSync(csv, ev.people);
      await ctl('--event', ev.id, 'participants', 'import', csv);
    }
  }
  const wire = await browser.newPage();
  await wire.goto(`${base}/api/events.json`);
  const send = async (event, reads, seq = 1) => {
    const reader = (await ctl('--event', event, 'token', 'issue', '--role', 'reader', '--device', 'mat')).trim();
    const [ack] = await pageRequests(wire, ws, event, reader, [{ t: 'passings', dev: 'mat', seq, reads }]);
    assert.equal(ack.t, 'ack', `${event}: ${JSON.stringify(ack)}`);
  };
  await send('harbour-2024', [{ bib: '1', pt: 'start', t: at(9, 0, 5) }, { bib: '1', pt: 'finish', t: at(9, 25, 40) }, { bib: '2', pt: 'start', t: at(9, 0, 9) }]);
  await send('elm-street-2024', [{ bib: '1', pt: 'start', t: Date.UTC(2024, 3, 28, 13, 0, 3) }, { bib: '1', pt: 'finish', t: Date.UTC(2024, 3, 28, 13, 22, 48) }]);
  const want = { 'harbour-2024': 'live', 'spring-regatta': 'upcoming', 'elm-street-2024': 'provisional', 'oak-lane-2024': 'upcoming', 'club-night-2024': 'upcoming' };
  const sameStates = async () => {
    const got = await serverStates(base);
    return Object.keys(want).every((id) => got[id] === want[id]);
  };
  await waitFor(`the server's states ${JSON.stringify(want)}`, sameStates, 30000)
    .catch(async (e) => assert.fail(`${e.message}; server says ${JSON.stringify(await serverStates(base))}`));

  // the open page picks them up by itself (polls every 10 s)
  await dir.waitForFunction(() => document.querySelectorAll('li.ev[data-state="provisional"]').length === 1 && document.querySelectorAll('li.ev').length === 5, null, { timeout: 30000 });
  const groups = await shown(dir);
  const allIds = groups.flatMap((g) => g.events.map((e) => e.id));
  assert.deepEqual(groups.map((g) => [g.level, g.heading]), [['district', 'District (2)'], ['street', 'Street (1)'], ['community', 'Community (1)'], ['other', 'Other (1)']]);
  assert.deepEqual(groups.map((g) => g.events.map((e) => e.id)), [['harbour-2024', 'spring-regatta'], ['elm-street-2024'], ['oak-lane-2024'], ['club-night-2024']]);
  for (const e of groups.flatMap((g) => g.events)) {
    assert.equal(e.state, want[e.id], `${e.id}'s state`);
    assert.equal(e.badge, LABEL[want[e.id]], `${e.id}'s badge`);
    assert.equal(e.title, `/e/${e.id}/`, `${e.id}'s name links to its results`);
  }
  const links = Object.fromEntries(groups.flatMap((g) => g.events.map((e) => [e.id, e.links])));
  assert.deepEqual(links['harbour-2024'], [['Results', '/e/harbour-2024/'], ['Tracker', '/e/harbour-2024/tracker.html'], ['Big screen', '/e/harbour-2024/kiosk.html']]);
  assert.deepEqual(links['spring-regatta'].map(([text]) => text), ['Results', 'Regatta', 'Tracker', 'Big screen'], 'a regatta: its Regatta page too');
  assert.equal(links['spring-regatta'][1][1], '/e/spring-regatta/regatta.html');
  for (const [text, href] of Object.values(links).flat()) {
    const r = await fetch(`${base}${href}`);
    assert.equal(r.status, 200, `${text}: GET ${href}`);
  }
  assert.match(await (await fetch(`${base}/e/harbour-2024/`)).text(), /<title>Live results · Splitline<\/title>/, '/e/<event>/ is the results page');
  assert.equal(await dir.textContent('#counts'), '5 events · 1 live');
  assert.match(await dir.textContent('li.ev[data-event="harbour-2024"] .ev-meta'), /^Today · 5 May 2024 · Harbour Front$/);
  assert.equal(await dir.textContent('li.ev[data-event="harbour-2024"] .ev-org'), 'Organised by District Sports Bureau');
  await dir.screenshot({ path: path.join(shots, 'directory-1920.png'), fullPage: true });
  log('ok: grouped by level, states, links under /e/<event>/, at 1920 px');

  // search as you type, and when
  const search = async (q) => {
    await dir.fill('#q', q);
    return ids(dir);
  };
  assert.deepEqual(await search('elm'), ['elm-street-2024']);
  assert.deepEqual(await search('front harbour'), ['harbour-2024'], 'venue, words in any order');
  assert.deepEqual(await search('28 apr'), ['elm-street-2024'], 'a date as shown');
  assert.deepEqual(await search('2024-05-05'), ['harbour-2024', 'oak-lane-2024'], 'a date as written');
  assert.deepEqual(await search('zzz'), []);
  assert.equal(await dir.textContent('#info'), 'No event matches “zzz”.');
  assert.equal(new URL(dir.url()).searchParams.get('q'), 'zzz', 'the search is kept in the URL');
  assert.deepEqual(await search(''), allIds);
  const when = async (w) => {
    await dir.selectOption('#when', w);
    return ids(dir);
  };
  assert.deepEqual(await when('today'), ['harbour-2024', 'oak-lane-2024']);
  assert.deepEqual(await when('upcoming'), ['spring-regatta']);
  assert.deepEqual(await when('past'), ['elm-street-2024', 'club-night-2024']);
  assert.equal(new URL(dir.url()).searchParams.get('when'), 'past');
  assert.deepEqual(await when('all'), allIds);
  log('ok: search and when filters');

  // states change on the server: the open page follows without a reload
  await ctl('--event', 'elm-street-2024', 'race', 'official', '5k', '--official', 'chief');
  await send('oak-lane-2024', [{ bib: '7', pt: 'start', t: at(10, 0, 2) }]);
  await dir.waitForFunction(() => document.querySelector('li.ev[data-event="elm-street-2024"]')?.dataset.state === 'official'
    && document.querySelector('li.ev[data-event="oak-lane-2024"]')?.dataset.state === 'live', null, { timeout: 40000 })
    .catch(async () => assert.fail(`states on the page ${JSON.stringify((await shown(dir)).flatMap((g) => g.events.map((e) => [e.id, e.state])))}, server ${JSON.stringify(await serverStates(base))}`));
  assert.equal(await dir.textContent('li.ev[data-event="elm-street-2024"] .ev-state'), 'Official');
  assert.equal(await dir.textContent('#counts'), '5 events · 2 live');
  assert.deepEqual((await shown(dir))[2].events.map((e) => e.badge), ['Live']);
  assert.equal(await dir.evaluate(() => globalThis.__noReload), 42, 'not reloaded');
  assert.ok(polls.length >= 2, `polls: ${JSON.stringify(polls)}`);
  // 304-friendly: the page revalidates (fetch cache 'no-cache'), so the browser sends the ETag
  // it has as If-None-Match; a server that sends none gets no conditional request (said so)
  if (polls.some((p) => p.etag)) {
    for (let i = 1; i < polls.length; i++) if (polls[i - 1].etag) assert.equal(polls[i].inm, polls[i - 1].etag, `poll ${i} revalidates: ${JSON.stringify(polls)}`);
  } else {
    log('note: the server sends no ETag with /api/events.json, so every poll is a full 200');
  }
  log(`ok: official and live reached the open page (${polls.length} polls)`);

  // the error state: after a load, the list stays with a note until the server answers again
  const n = (await ids(dir)).length;
  await dir.route('**/api/events.json', (r) => r.fulfill({ status: 503, body: 'down' }));
  await dir.waitForFunction(() => !document.getElementById('stale').hidden, null, { timeout: 30000 });
  assert.match(await dir.textContent('#stale'), /^Could not refresh the list \(HTTP 503\); showing it as of \d\d:\d\d:\d\d\. Trying again every 10 s\.$/);
  assert.equal((await ids(dir)).length, n, 'the list stays');
  await dir.unroute('**/api/events.json');
  await dir.waitForFunction(() => document.getElementById('stale').hidden, null, { timeout: 30000 });
  // before any load: says so, and nothing else
  const down = await browser.newPage();
  watchErrors(down, pageErrors, 'down: ');
  await down.route('**/api/events.json', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: '{"oops":1}' }));
  await down.goto(`${base}/directory.html`);
  await down.waitForFunction(() => /cannot be loaded/.test(document.getElementById('info').textContent), null, { timeout: 15000 });
  assert.equal(await down.textContent('#info'), 'The events cannot be loaded (no "events" list). Trying again every 10 s.');
  assert.equal(await down.textContent('#counts'), 'Not available');
  await down.close();
  log('ok: error states');

  // phone: no sideways scroll, long names wrap
  await dir.setViewportSize({ width: 390, height: 844 });
  await dir.waitForTimeout(300);
  assert.deepEqual(await layoutProblems(dir), [], 'the directory fits 390 px');
  await dir.screenshot({ path: path.join(shots, 'directory-390.png'), fullPage: true });
  await dir.setViewportSize({ width: 1920, height: 1080 });
  assert.deepEqual(await layoutProblems(dir), [], 'the directory fits 1920 px');
  log('ok: layouts at 390 and 1920 px');

  // an event's pages under /e/<event>/: its own rows, its own API
  const apiAsked = [];
  const openEvent = async (url) => {
    const p = await browser.newPage();
    watchErrors(p, pageErrors, `${url}: `);
    p.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/api/') || u.pathname === '/health') apiAsked.push(u.pathname);
    });
    await p.goto(`${base}${url}`);
    await p.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
    return p;
  };
  const names = (p) => p.$$eval('#list .row .c-name', (els) => els.map((e) => e.textContent));
  for (const [event, mine, theirs, race] of [['elm-street-2024', 'Carl Cedar', 'Ann Alder', '5k'], ['harbour-2024', 'Ann Alder', 'Carl Cedar', '10k']]) {
    apiAsked.length = 0;
    const board = await openEvent(`/e/${event}/`);
    await board.waitForFunction((who) => [...document.querySelectorAll('#list .row .c-name')].some((e) => e.textContent.includes(who)), mine, { timeout: 15000 })
      .catch(async () => assert.fail(`/e/${event}/: rows ${JSON.stringify(await names(board))}, wanted ${mine}`));
    assert.ok(!(await names(board)).some((s) => s.includes(theirs)), `/e/${event}/ shows ${theirs} of another event: ${await names(board)}`);
    await board.waitForFunction(() => document.querySelectorAll('#printouts a').length > 0, null, { timeout: 15000 });
    const prints = await board.$$eval('#printouts a', (as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(prints, [`/api/events/${event}/results/${race}.pdf`, `/api/events/${event}/results/${race}.xlsx`, `/api/events/${event}/awards/${race}.pdf`, `/api/events/${event}/results.xlsx`]);
    const nav = await board.$$eval('nav.nav a', (as) => as.map((a) => [a.textContent, new URL(a.href).pathname]));
    assert.deepEqual(nav[0], ['All events', '/'], 'the nav leads back to the directory');
    assert.ok(nav.length >= 5 && nav.slice(1).every(([, p]) => p.startsWith(`/e/${event}/`)), `the rest of the nav stays in the event: ${nav}`);
    // the full list over HTTP (?all=1 loads it): still this event's
    await board.goto(`${base}/e/${event}/?all=1`);
    await board.waitForFunction(() => document.documentElement.dataset.conn === 'live', null, { timeout: 30000 });
    await board.waitForFunction((who) => [...document.querySelectorAll('#list .row .c-name')].some((e) => e.textContent.includes(who)), mine, { timeout: 15000 });
    assert.ok(apiAsked.length > 0, `/e/${event}/ asked no API`);
    assert.deepEqual(apiAsked.filter((p) => !p.startsWith(`/api/events/${event}/`)), [], `/e/${event}/ asked another event's or the single-event API`);
    const csv = await (await fetch(`${base}/api/events/${event}/results/${race}.csv`)).text();
    assert.ok(csv.includes(mine) && !csv.includes(theirs), `${event}'s CSV: ${csv}`);
    if (event === 'elm-street-2024') await board.screenshot({ path: path.join(shots, 'directory-event-results.png') });
    await board.close();
  }
  // the tracker under /e/harbour-2024/ follows harbour's bib 1 (Ann), not elm-street's (Carl)
  const tracker = await openEvent('/e/harbour-2024/tracker.html?bibs=1');
  await tracker.waitForFunction(() => /Ann Alder/.test(document.querySelector('.card[data-bib="1"] .card-name')?.textContent || ''), null, { timeout: 15000 })
    .catch(async () => assert.fail(`tracker card: ${await tracker.textContent('#cards')}`));
  await tracker.close();
  // the athlete page there: harbour's Ann, her certificate from harbour's API
  apiAsked.length = 0;
  const ath = await openEvent('/e/harbour-2024/athlete.html?race=10k&bib=1');
  await ath.waitForFunction(() => document.getElementById('name').textContent.includes('Ann Alder') && !document.getElementById('cert').hidden, null, { timeout: 15000 })
    .catch(async () => assert.fail(`athlete page: ${await ath.textContent('#name')}, certificate hidden: ${await ath.isHidden('#cert')}`));
  assert.equal(await ath.getAttribute('#cert', 'href'), '/api/events/harbour-2024/certificate/10k/1.pdf');
  const pdf = await fetch(`${base}/api/events/harbour-2024/certificate/10k/1.pdf`);
  assert.equal(pdf.status, 200, 'the certificate link is served');
  assert.deepEqual(apiAsked.filter((p) => !p.startsWith('/api/events/harbour-2024/')), [], 'the athlete page asked another event\'s API');
  await ath.close();
  // the regatta page there: the regatta's race, from its own export
  apiAsked.length = 0;
  const reg = await openEvent('/e/spring-regatta/regatta.html');
  await reg.waitForFunction(() => /Men's single sculls/.test(document.getElementById('races').textContent), null, { timeout: 15000 })
    .catch(async () => assert.fail(`regatta races: ${await reg.textContent('#races')}`));
  assert.ok(apiAsked.includes('/api/events/spring-regatta/results.json'), `the regatta page's requests: ${apiAsked}`);
  assert.deepEqual(apiAsked.filter((p) => !p.startsWith('/api/events/spring-regatta/')), [], 'the regatta page asked another event\'s API');
  await reg.close();
  log('ok: /e/<event>/ pages show their event, ask its API, link inside it');

  // an event that does not exist: not served as another's
  const ghost = await browser.newPage();
  watchErrors(ghost, [], 'ghost: '); // its refusals are the point
  const r = await ghost.goto(`${base}/e/no-such-event/`);
  if (r.status() === 200) {
    await ghost.waitForFunction(() => document.documentElement.dataset.conn === 'error', null, { timeout: 30000 });
    assert.equal(await ghost.$$eval('#list .row', (rows) => rows.length), 0);
  } else {
    assert.equal(r.status(), 404, '/e/no-such-event/');
  }
  await ghost.close();
  assert.deepEqual(pageErrors, [], `page errors: ${pageErrors.join('\n')}`);
});
