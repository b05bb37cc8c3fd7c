// eventlist.test.mjs: the event directory's model (clients/web/eventlist.js)
// under node: events.json read (and what it refuses), grouped by level,
// ordered, filtered by search and by "when" across time zones (the day's
// edge and the millisecond after it), and each event's links.
//   node --test tests/browser/eventlist.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEvents, groupEvents, whenOf, dayIn, matches, eventLinks, isRegatta } from '../../clients/web/eventlist.js';
import { pageScope, api } from '../../clients/web/protocol.js';

const NOW = Date.UTC(2024, 4, 5, 12, 0, 0); // 5 May 2024, 08:00 in New York, 21:00 in Tokyo

const DOC = {
  events: [
    { id: 'harbour-10k', name: 'Harbour 10K', date: '2024-05-05', timezone: 'America/New_York', level: 'district', organizer: 'Sports Bureau', venue: 'Harbour Front', state: 'live', races: [{ id: '10k', name: '10K', kind: 'mass' }] },
    { id: 'spring-regatta', name: 'Spring Regatta', date: '2024-06-01', level: 'district', state: 'upcoming', races: [{ id: 'm1x', name: 'Men\'s single', kind: 'lanes' }] },
    { id: 'winter-run', name: 'Winter Run', date: '2024-01-14', level: 'district', state: 'official', races: [] },
    { id: 'autumn-run', name: 'Autumn Run', date: '2023-10-01', level: 'district', state: 'official', races: [] },
    { id: 'may-fair', name: 'May Fair Mile', date: '2024-05-20', level: 'district', state: 'upcoming', races: [] },
    { id: 'elm-street', name: 'Elm Street 5K', date: '2024-04-28', level: 'street', venue: 'Elm Street', state: 'provisional', races: [{ id: '5k', kind: 'mass' }] },
    { id: 'ostbahnhof', name: 'Lauf am Östbahnhof', date: '2024-05-12', level: 'community', organizer: 'Bürgerverein', state: 'upcoming', races: [] },
    { id: 'head-race', name: 'Head of the River', date: '2024-03-02', state: 'official', races: [{ id: 'eights', kind: 'trial' }] },
    { id: 'no-date', name: 'Club Night', level: 'regional', state: 'paused' },
    { name: 'no id at all', level: 'district' },
    { id: '', name: 'empty id' },
    null,
  ],
};

test('events.json read: entries without an id skipped, unknown level under Other, unknown state without a badge', () => {
  const evs = parseEvents(DOC);
  assert.deepEqual(evs.map((e) => e.id), ['harbour-10k', 'spring-regatta', 'winter-run', 'autumn-run', 'may-fair', 'elm-street', 'ostbahnhof', 'head-race', 'no-date']);
  const nd = evs.find((e) => e.id === 'no-date');
  assert.equal(nd.level, 'other', 'level "regional" is none of the three');
  assert.equal(nd.state, null, 'state "paused" is none of the four');
  assert.equal(nd.date, null);
  assert.deepEqual(nd.races, []);
  assert.equal(evs.find((e) => e.id === 'head-race').level, 'other', 'no level');
  assert.equal(evs.find((e) => e.id === 'elm-street').races[0].name, '5k', 'a race without a name: its id');
  assert.deepEqual(parseEvents({ events: [{ id: 'x', date: '2024-5-5' }] })[0].date, null, 'a date not YYYY-MM-DD is no date');
  assert.deepEqual(parseEvents({ events: [{ id: 'x' }] })[0].name, 'x', 'no name: the id');
  for (const bad of [null, {}, { events: {} }, { events: 'x' }, [], 'x']) assert.deepEqual(parseEvents(bad), [], JSON.stringify(bad));
});

test('groups: District, Street, Community, Other, only those with events; live, then soonest, then latest past', () => {
  const gs = groupEvents(parseEvents(DOC), {}, NOW);
  assert.deepEqual(gs.map((g) => g.label), ['District', 'Street', 'Community', 'Other']);
  assert.deepEqual(gs[0].events.map((e) => e.id), ['harbour-10k', 'may-fair', 'spring-regatta', 'winter-run', 'autumn-run']);
  assert.deepEqual(gs[3].events.map((e) => e.id), ['head-race', 'no-date'], 'undated last');
  const onlyCommunity = groupEvents(parseEvents({ events: [{ id: 'a', level: 'community' }] }), {}, NOW);
  assert.deepEqual(onlyCommunity.map((g) => g.id), ['community']);
  assert.deepEqual(groupEvents([], {}, NOW), []);
  // same date: by name
  const same = groupEvents(parseEvents({ events: [{ id: 'b', name: 'Beta', date: '2024-06-01' }, { id: 'a', name: 'Alpha', date: '2024-06-01' }] }), {}, NOW);
  assert.deepEqual(same[0].events.map((e) => e.id), ['a', 'b']);
});

test('when: the day in the event\'s time zone, its last millisecond and the next', () => {
  const ny = { state: 'official', date: '2024-05-04', timezone: 'America/New_York' };
  const lastMs = Date.UTC(2024, 4, 5, 3, 59, 59, 999); // 23:59:59.999 on 4 May in New York (EDT)
  assert.equal(dayIn(lastMs, 'America/New_York'), '2024-05-04');
  assert.equal(whenOf(ny, lastMs), 'today');
  assert.equal(whenOf(ny, lastMs + 1), 'past', 'midnight in New York');
  assert.equal(whenOf({ ...ny, date: '2024-05-05' }, lastMs), 'upcoming');
  assert.equal(whenOf({ ...ny, date: '2024-05-05' }, lastMs + 1), 'today');
  // the same instant is already 5 May in Tokyo
  assert.equal(whenOf({ state: 'upcoming', date: '2024-05-05', timezone: 'Asia/Tokyo' }, lastMs), 'today');
  assert.equal(whenOf({ state: 'upcoming', date: '2024-05-04', timezone: 'Asia/Tokyo' }, lastMs), 'past');
  // a zone the runtime does not know: the viewer's, no exception
  assert.equal(whenOf({ state: 'upcoming', date: dayIn(NOW, null), timezone: 'Not/AZone' }, NOW), 'today');
  // live counts as today whatever its date; no date and not live: no "when"
  assert.equal(whenOf({ state: 'live', date: '2024-05-04' }, NOW), 'today');
  assert.equal(whenOf({ state: 'upcoming', date: null }, NOW), null);
});

test('filters: search as you type (accents, words in any order, dates as written or shown), and when', () => {
  const evs = parseEvents(DOC);
  const ids = (f) => groupEvents(evs, f, NOW).flatMap((g) => g.events.map((e) => e.id));
  assert.deepEqual(ids({ q: 'harbour' }), ['harbour-10k']);
  assert.deepEqual(ids({ q: 'front HARBOUR' }), ['harbour-10k'], 'every word, any order, any case (venue)');
  assert.deepEqual(ids({ q: 'ostbahnhof' }), ['ostbahnhof'], 'Östbahnhof without its accent');
  assert.deepEqual(ids({ q: 'burgerverein' }), ['ostbahnhof'], 'the organizer');
  assert.deepEqual(ids({ q: '2024-05' }), ['harbour-10k', 'may-fair', 'ostbahnhof'], 'an ISO month');
  assert.deepEqual(ids({ q: 'may 2024' }), ['harbour-10k', 'may-fair', 'ostbahnhof'], 'the month as shown');
  assert.deepEqual(ids({ q: '14 jan' }), ['winter-run']);
  assert.deepEqual(ids({ q: 'january' }), ['winter-run'], 'the month\'s long name');
  assert.deepEqual(ids({ q: 'harbour x' }), [], 'one word missing: no match');
  assert.deepEqual(ids({ q: '   ' }).length, 9, 'blank: everything');
  assert.deepEqual(ids({ when: 'today' }), ['harbour-10k']);
  assert.deepEqual(ids({ when: 'upcoming' }), ['may-fair', 'spring-regatta', 'ostbahnhof']);
  assert.deepEqual(ids({ when: 'past' }), ['winter-run', 'autumn-run', 'elm-street', 'head-race']);
  assert.deepEqual(ids({ when: 'past', q: 'run' }), ['winter-run', 'autumn-run']);
  assert.deepEqual(ids({ when: 'nonsense' }).length, 9, 'an unknown when filters nothing');
  assert.equal(matches(evs[0], ''), true);
});

test('links: every page under /e/<event>/, the regatta page only for lane or head races', () => {
  const evs = parseEvents(DOC);
  const by = (id) => evs.find((e) => e.id === id);
  assert.deepEqual(eventLinks(by('harbour-10k')).map((l) => [l.text, l.href]), [
    ['Results', '/e/harbour-10k/'], ['Tracker', '/e/harbour-10k/tracker.html'], ['Big screen', '/e/harbour-10k/kiosk.html']]);
  assert.deepEqual(eventLinks(by('spring-regatta')).map((l) => l.href), [
    '/e/spring-regatta/', '/e/spring-regatta/regatta.html', '/e/spring-regatta/tracker.html', '/e/spring-regatta/kiosk.html']);
  assert.equal(isRegatta(by('head-race')), true, 'a head race (trial)');
  assert.equal(isRegatta(by('elm-street')), false);
  assert.deepEqual(eventLinks({ id: 'a b/c', races: [] })[0].href, '/e/a%20b%2Fc/', 'an id is one path segment');
});

test('page scope: under /e/<event>/ the path\'s event and API; elsewhere ?event= and /api/', () => {
  const at = (href) => new URL(href, 'http://h');
  assert.deepEqual(pageScope(at('/e/harbour-10k/')), { event: 'harbour-10k', api: '/api/events/harbour-10k/', health: '/api/events/harbour-10k/health', path: true });
  assert.deepEqual(pageScope(at('/e/harbour-10k/tracker.html?event=other')).event, 'harbour-10k', 'the path wins over ?event=');
  assert.equal(api('results/10k.json', at('/e/harbour-10k/index.html')), '/api/events/harbour-10k/results/10k.json');
  assert.equal(api('results.json', at('/e/a%20b/')), '/api/events/a%20b/results.json');
  assert.deepEqual(pageScope(at('/index.html?event=boston-2015')), { event: 'boston-2015', api: '/api/', health: '/health', path: false });
  assert.deepEqual(pageScope(at('/')), { event: null, api: '/api/', health: '/health', path: false });
  assert.deepEqual(pageScope(at('/e/')).path, false, '/e/ alone names no event');
  assert.deepEqual(pageScope(at('/e/x')).path, false, 'no slash after the id: not an event page');
  assert.equal(api('results.json', at('/tracker.html')), '/api/results.json');
  assert.deepEqual(pageScope(undefined), { event: null, api: '/api/', health: '/health', path: false }, 'no location (node)');
});
