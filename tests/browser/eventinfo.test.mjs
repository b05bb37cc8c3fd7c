// eventinfo.test.mjs: what the pages read from the `event` topic
// (clients/web/event.js) and the status topic's per-race counts
// (clients/web/board.js raceCounts), under node.
//   node --test tests/browser/eventinfo.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventInfo, fmtKm } from '../../clients/web/event.js';
import { raceCounts, PointOrder, Board, fmtClock, setClockZone, clockZoneName } from '../../clients/web/board.js';

// The example of PROTOCOL.md "Topics", with points given out of course order and a nameless one.
const SNAP = {
  t: 'snapshot', topic: 'event', n: 1, offset: 0,
  rows: [{
    event: 'boston-2015', name: 'Boston Marathon 2015', date: '2015-04-20',
    races: [
      { id: 'marathon', name: 'Marathon', kind: 'mass', distance_m: 42195, ranking: 'net', precision_ms: 1000,
        waves: [{ id: '1', start: 1429538400000 }, { id: '2', start: null }],
        points: [
          { id: 'finish', name: 'Finish', distance_m: 42195, role: 'finish' },
          { id: 'hill', name: 'Heartbreak Hill', distance_m: 32500, role: 'split' },
          { id: '5k', name: '5 km', distance_m: 5000, role: 'split' },
          { id: 'start', name: 'Start', distance_m: 0, role: 'start' },
          { id: '30k', distance_m: 30000, role: 'split' },
        ],
        categories: [{ id: 'M18-39', name: 'Men 18-39' }, { id: 'F18-39', name: 'Women 18-39' }] },
      { id: 'mile', name: 'The Mile', kind: 'mass', distance_m: 1609, ranking: 'gun', precision_ms: 100,
        waves: [{ id: 'a', start: 1429520000000 }], points: [], categories: [] },
    ],
  }],
};

test('event topic: names, course order, categories, waves, ranking', () => {
  const ev = EventInfo.fromMessage(SNAP);
  assert.equal(ev.known(), true);
  assert.equal(ev.name, 'Boston Marathon 2015');
  assert.equal(ev.dateText(), '20 Apr 2015');
  assert.deepEqual(ev.races().map((r) => r.id), ['marathon', 'mile']);
  assert.equal(ev.raceName('mile'), 'The Mile');
  assert.deepEqual(ev.points('marathon').map((p) => p.id), ['start', '5k', '30k', 'hill', 'finish']);
  assert.equal(ev.pointName('marathon', 'hill'), 'Heartbreak Hill');
  assert.equal(ev.pointLabel('marathon', 'hill'), 'Heartbreak Hill (32.5 km)');
  assert.equal(ev.pointLabel('marathon', '5k'), '5 km', 'a name that gives the distance stays alone');
  assert.equal(ev.pointName('marathon', '30k'), '30K', 'no name: the id, readable');
  assert.equal(ev.pointLabel('marathon', 'finish'), 'Finish');
  assert.equal(ev.catName('marathon', 'F18-39'), 'Women 18-39');
  assert.deepEqual(ev.categories('marathon'), [{ id: 'M18-39', name: 'Men 18-39' }, { id: 'F18-39', name: 'Women 18-39' }]);
  assert.equal(ev.waveStart('marathon', '1'), 1429538400000);
  assert.equal(ev.waveStart('marathon', '2'), null);
  assert.equal(ev.waveStarts('mile').get('a'), 1429520000000);
  assert.equal(ev.ranking('marathon'), 'net');
  assert.equal(ev.ranking('mile'), 'gun');
  assert.equal(ev.precision('mile'), 100);
});

test('no event row (no event yet, or an older server): ids as before', () => {
  for (const ev of [EventInfo.empty(), EventInfo.fromMessage({ t: 'snapshot', topic: 'event', n: 0, rows: [] })]) {
    assert.equal(ev.known(), false);
    assert.equal(ev.raceName('marathon'), 'marathon');
    assert.equal(ev.pointName('marathon', '5k'), '5K');
    assert.equal(ev.pointLabel('marathon', 'half'), 'Half');
    assert.equal(ev.catName('marathon', 'M40-44'), 'M40-44');
    assert.equal(ev.ranking('marathon'), null);
    assert.equal(ev.waveStart('marathon', '1'), null);
    assert.deepEqual(ev.points('marathon'), []);
    assert.equal(ev.dateText(), '');
  }
  assert.equal(fmtKm(21097.5), '21.1 km');
  assert.equal(fmtKm(800), '800 m');
});

test('status: per race started and finished counts', () => {
  const m = { t: 'snapshot', topic: 'status', n: 1, rows: [{ participants: 5, started: 3, finished: 1, reads: 9, unknown: 0, records: 4,
    races: [{ race: '10k', participants: 3, started: 2, finished: 1 }, { race: '5k', participants: 2, started: 1, finished: 0 }] }] };
  assert.deepEqual(raceCounts(m), [
    { race: '10k', participants: 3, started: 2, finished: 1 },
    { race: '5k', participants: 2, started: 1, finished: 0 },
  ]);
  assert.deepEqual(raceCounts({ rows: [{ participants: 1 }] }), []);
  assert.deepEqual(raceCounts(null), []);
});

test('board: course order and ranking from the event topic, not guessed', () => {
  const ev = EventInfo.fromMessage(SNAP);
  const po = new PointOrder();
  po.useConfig(ev.points('marathon').map((p) => p.id));
  // rows would suggest hill before 30k (a faster mean time there); the config says otherwise
  const b = new Board({ kind: 'all' }, po);
  b.setRanking(ev.ranking('mile'), ev.precision('mile'));
  const oc = (bib, last, at) => ({ bib, status: 'on_course', splits: { start: 0, [last]: at }, last });
  b.applySnapshot({ t: 'snapshot', n: 2, offset: 0, rows: [oc('1', '30k', 9000000), oc('2', 'hill', 8000000)] });
  assert.deepEqual(b.sorted().map((e) => e.bib), ['2', '1'], 'hill (32.5 km) is further than 30k');
  assert.equal(po.rank('hill') > po.rank('30k'), true);
  // gun ranking at 100 ms from the topic: a snapshot whose places look net does not change it
  const fin = (bib, place, net, gun) => ({ bib, status: 'finished', place, net, gun, splits: {} });
  b.applySnapshot({ t: 'snapshot', n: 2, offset: 0, rows: [fin('3', 1, 1000, 9000), fin('4', 2, 2000, 5000)] });
  assert.equal(b.basis, 'gun');
  assert.equal(b.precision, 100);
  assert.deepEqual(b.sorted().map((e) => e.bib), ['4', '3'], 'ordered by gun time');
});

test('clock times in the event\'s time zone (the topic\'s timezone), else the viewer\'s', () => {
  const ev = EventInfo.fromMessage({ t: 'snapshot', topic: 'event', rows: [{ event: 'e', date: '2015-04-20', timezone: 'America/New_York', races: [] }] });
  assert.equal(ev.timezone, 'America/New_York');
  assert.equal(EventInfo.empty().timezone, null);
  const split = Date.UTC(2015, 3, 20, 13, 48, 5); // 09:48:05 EDT
  assert.equal(fmtClock(split, 'America/New_York'), '09:48:05');
  assert.equal(fmtClock(split, 'Asia/Tokyo'), '22:48:05');
  assert.equal(fmtClock(Date.UTC(2015, 0, 20, 14, 0, 0), 'America/New_York'), '09:00:00'); // EST
  assert.equal(fmtClock(Date.UTC(2015, 3, 20, 4, 0, 0), 'America/New_York'), '00:00:00'); // never 24:00
  assert.equal(setClockZone(ev.timezone), 'America/New_York');
  assert.equal(fmtClock(split), '09:48:05');
  assert.equal(setClockZone('Not/AZone'), null, 'a zone the browser does not know: the viewer\'s');
  assert.equal(clockZoneName(), null);
  const d = new Date(split);
  assert.equal(fmtClock(split), [d.getHours(), d.getMinutes(), d.getSeconds()].map((v) => String(v).padStart(2, '0')).join(':'));
  assert.equal(fmtClock(null), '');
  setClockZone(null);
});
