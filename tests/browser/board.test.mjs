// board.test.mjs: the scoreboard's data model (clients/web/board.js) under
// node, without a browser: snapshot then delta, the order PROTOCOL.md asks
// for, filtered views, search, the status counts and the formatting.
//   node --test tests/browser/board.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Board,
  FinishFeed,
  parseStatus,
  fmtDuration,
  fmtPace,
  fmtPoint,
} from '../../clients/web/board.js';

const H = 3600000;
const M = 60000;

function fin(bib, place, net, extra = {}) {
  return {
    bib, name: `Runner ${bib}`, sex: 'M', age: 30, cats: ['M18-39'], status: 'finished',
    place, place_sex: place, place_cat: { 'M18-39': place }, start: 1e12, net, gun: net + 1000,
    pace: Math.round(net / 42.195), splits: { start: 0, '5k': net / 8.4, finish: net }, last: 'finish',
    proj: null, ...extra,
  };
}

function onCourse(bib, last, at, extra = {}) {
  const splits = { start: 0 };
  const pts = { '5k': 0.2, '10k': 0.4, half: 0.5, '30k': 0.7 };
  for (const [p, f] of Object.entries(pts)) {
    splits[p] = Math.round(at * (f / pts[last]));
    if (p === last) break;
  }
  return {
    bib, name: `Runner ${bib}`, sex: 'F', age: 41, cats: ['F40-44'], status: 'on_course',
    place: null, place_sex: null, place_cat: {}, start: 1e12, net: null, gun: null, pace: null,
    splits, last, proj: null, ...extra,
  };
}

const bibs = (b) => b.sorted().map((e) => e.bib);

test('snapshot then delta: rows kept by bib, replaced, re-ordered by place then net', () => {
  const b = new Board();
  b.applySnapshot({
    t: 'snapshot', topic: 'results/marathon', n: 4, offset: 0,
    rows: [fin('7', 2, 2 * H + 5 * M), fin('3', 1, 2 * H), onCourse('20', '10k', 50 * M),
      { bib: '99', name: 'Late Starter', status: 'registered', splits: {}, last: null }],
  });
  assert.deepEqual(bibs(b), ['3', '7', '20', '99']);
  assert.equal(b.n, 4);
  // bib 20 finishes faster than 7: 20 takes place 2, 7 moves to 3
  b.applyDelta({
    t: 'delta', topic: 'results/marathon', n: 4,
    rows: [fin('20', 2, 2 * H + 2 * M), fin('7', 3, 2 * H + 5 * M)],
  });
  assert.deepEqual(bibs(b), ['3', '20', '7', '99']);
  assert.equal(b.entries.size, 4, 'a delta replaces, never duplicates');
  assert.equal(b.entries.get('20').row.status, 'finished');
  // a fresh snapshot (offset 0) replaces everything
  b.applySnapshot({ t: 'snapshot', topic: 'results/marathon', n: 1, offset: 0, rows: [fin('5', 1, 3 * H)] });
  assert.deepEqual(bibs(b), ['5']);
  // a snapshot in pieces: a later offset continues it
  b.applySnapshot({ t: 'snapshot', topic: 'results/marathon', n: 2, offset: 1, rows: [fin('6', 2, 3 * H + M)] });
  assert.deepEqual(bibs(b), ['5', '6']);
});

test('unfinished runners come after finishers, furthest point first, earliest there first', () => {
  const b = new Board();
  b.applySnapshot({
    t: 'snapshot', topic: 'results/marathon', n: 7, offset: 0,
    rows: [
      onCourse('1', '5k', 30 * M),
      onCourse('2', '30k', 3 * H), // slow, but furthest
      onCourse('3', '10k', 45 * M),
      onCourse('4', '10k', 40 * M),
      { bib: '5', status: 'dnf', splits: { start: 0, '5k': 20 * M }, last: '5k' },
      fin('6', 1, 4 * H),
      { bib: '8', status: 'started', splits: { start: 0 }, last: 'start' },
    ],
  });
  assert.deepEqual(bibs(b), ['6', '2', '4', '3', '1', '8', '5']);
  assert.deepEqual(b.points.ids().slice(0, 1), ['start']);
  assert.equal(b.points.ids().at(-1), 'finish');
});

test('a sex or category view shows the place within it', () => {
  const b = new Board({ kind: 'cat', key: 'M40-44' });
  const r = (bib, place, pc, net) => fin(bib, place, net, { cats: ['M40-44'], place_cat: { 'M40-44': pc } });
  b.applySnapshot({ t: 'snapshot', topic: 'results/marathon/cat/M40-44', n: 2, offset: 0, rows: [r('10', 50, 2, 3 * H), r('11', 40, 1, 2.9 * H)] });
  assert.deepEqual(bibs(b), ['11', '10']);
  assert.deepEqual(b.sorted().map((e) => e.place), [1, 2]);
});

test('places the server does not re-send: a late wave runner who beats earlier finishers', () => {
  const b = new Board();
  b.applySnapshot({ t: 'snapshot', topic: 'results/marathon', n: 3, offset: 0,
    rows: [fin('1', 1, 3 * H), fin('2', 2, 3 * H + M), onCourse('30000', 'half', 80 * M)] });
  // bib 30000 finishes in 2:59 and gets place 1; the server does not re-send bibs 1 and 2
  b.applyDelta({ t: 'delta', topic: 'results/marathon', n: 3, rows: [fin('30000', 1, 2 * H + 59 * M)] });
  assert.deepEqual(bibs(b), ['30000', '1', '2']);
  assert.deepEqual(b.sorted().map((e) => e.place), [1, 2, 3]);
  // a time equal at the precision (whole seconds) shares the place: 1, 2, 2, 4
  b.applyDelta({ t: 'delta', topic: 'results/marathon', n: 4, rows: [fin('9', 3, 3 * H + 400)] });
  assert.deepEqual(bibs(b), ['30000', '1', '9', '2']);
  assert.deepEqual(b.sorted().map((e) => e.place), [1, 2, 2, 4]);
});

test('a snapshot cut at its limit: places recounted up to its last time, the server\'s beyond', () => {
  const b = new Board();
  b.applySnapshot({ t: 'snapshot', topic: 'results/marathon', n: 10, offset: 0,
    rows: [fin('1', 1, 2 * H), fin('2', 2, 2 * H + 10 * M), fin('3', 3, 2 * H + 20 * M)] });
  assert.equal(b.full(), false);
  assert.equal(b.prefix, 2 * H + 20 * M);
  b.applyDelta({ t: 'delta', topic: 'results/marathon', n: 10,
    rows: [fin('4', 2, 2 * H + 5 * M), fin('5', 7, 2 * H + 30 * M)] });
  assert.deepEqual(bibs(b), ['1', '4', '2', '3', '5']);
  assert.deepEqual(b.sorted().map((e) => e.place), [1, 2, 3, 4, 7]);
  // the whole list over HTTP, asked at t=1000: rows seen after that stay
  const since = 1000;
  b.applyDelta({ t: 'delta', topic: 'results/marathon', n: 10, rows: [fin('6', 8, 2 * H + 31 * M)] }, 2000);
  const all = [];
  for (let i = 1; i <= 10; i++) all.push(i === 6 ? onCourse('6', '30k', 2 * H) : fin(String(i), i, 2 * H + i * 11 * M));
  all[3] = fin('4', 2, 2 * H + 5 * M);
  b.mergeFull(all, since);
  assert.equal(b.full(), true);
  assert.equal(b.entries.get('6').row.status, 'finished', 'a newer delta row is not overwritten');
  assert.equal(b.entries.get('10').row.status, 'finished');
  const places = b.sorted().map((e) => e.place);
  assert.deepEqual(places, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // a resent snapshot (limit 3) keeps the other rows of a full board
  b.applySnapshot({ t: 'snapshot', topic: 'results/marathon', n: 10, offset: 0, rows: all.slice(0, 3) });
  assert.equal(b.entries.size, 10);
});

test('a gun-time ranking is recognised from the snapshot', () => {
  const b = new Board();
  // net says 5 before 6; the places follow gun time
  b.applySnapshot({ t: 'snapshot', topic: 'results/r', n: 2, offset: 0,
    rows: [fin('5', 2, 2 * H, { gun: 2 * H + 10 * M }), fin('6', 1, 2 * H + M, { gun: 2 * H + 2 * M })] });
  assert.equal(b.basis, 'gun');
  assert.deepEqual(bibs(b), ['6', '5']);
});

test('search by bib prefix or by the words of a name, accents ignored', () => {
  const b = new Board();
  b.applySnapshot({
    t: 'snapshot', topic: 'results/marathon', n: 3, offset: 0,
    rows: [fin('123', 1, 2 * H, { name: 'José Álvarez' }), fin('1234', 2, 2.1 * H, { name: 'Ann Lee' }), fin('77', 3, 2.2 * H, { name: 'Lee Park' })],
  });
  assert.deepEqual(b.search('123').map((e) => e.bib), ['123', '1234']);
  assert.deepEqual(b.search('alvarez').map((e) => e.bib), ['123']);
  assert.deepEqual(b.search('LEE').map((e) => e.bib), ['1234', '77']);
  assert.deepEqual(b.search('lee park').map((e) => e.bib), ['77']);
  assert.equal(b.search('').length, 3);
  assert.deepEqual(b.categories(), { cats: ['M18-39'], sexes: ['M'] });
});

test('a field of 26,598 rows: snapshot, delta and re-sort stay fast', () => {
  const b = new Board();
  const rows = [];
  for (let i = 0; i < 26598; i++) {
    rows.push(i < 20000 ? fin(String(i + 1), i + 1, 2 * H + i * 500) : onCourse(String(i + 1), i % 2 ? '30k' : 'half', 3 * H + i));
  }
  let t = performance.now();
  b.applySnapshot({ t: 'snapshot', topic: 'results/marathon', n: rows.length, offset: 0, rows });
  b.sorted();
  const snapMs = performance.now() - t;
  // a new finisher at place 1: everyone's place shifts, the server sends them all
  const delta = [fin('26598', 1, 2 * H - 1000)];
  for (let i = 0; i < 20000; i++) delta.push(fin(String(i + 1), i + 2, 2 * H + i * 500));
  t = performance.now();
  b.applyDelta({ t: 'delta', topic: 'results/marathon', n: rows.length, rows: delta });
  const list = b.sorted();
  const deltaMs = performance.now() - t;
  assert.equal(list[0].bib, '26598');
  assert.equal(list[1].bib, '1');
  assert.equal(list.length, 26598);
  assert.ok(snapMs < 2000 && deltaMs < 2000, `snapshot ${snapMs.toFixed(0)} ms, delta ${deltaMs.toFixed(0)} ms`);
});

test('finish feed: newest first, capped, no duplicates', () => {
  const f = new FinishFeed(3);
  f.applySnapshot({ rows: [fin('1', 1, 2 * H), fin('2', 2, 2.1 * H)] });
  f.applyDelta({ rows: [fin('3', 3, 2.2 * H), fin('4', 4, 2.3 * H), fin('2', 2, 2.1 * H)] });
  assert.deepEqual(f.items.map((r) => r.bib), ['4', '3', '2']);
});

test('status counts: top level, rows[0], or per race', () => {
  assert.deepEqual(parseStatus({ t: 'snapshot', topic: 'status', participants: 10, started: 8, finished: 2 }, 'm'),
    { participants: 10, started: 8, finished: 2, races: [] });
  assert.equal(parseStatus({ rows: [{ participants: 5, started: 4, finished: 1, reads: 9 }] }, 'm').finished, 1);
  const per = parseStatus({ rows: [{ race: 'half', participants: 3, started: 3, finished: 3 }, { race: 'full', participants: 9, started: 1, finished: 0 }] }, 'full');
  assert.deepEqual(per, { participants: 9, started: 1, finished: 0, races: ['half', 'full'] });
  const map = parseStatus({ participants: 12, started: 4, finished: 1, races: { '10k': { participants: 2, started: 2, finished: 1 } } }, '10k');
  assert.deepEqual(map, { participants: 2, started: 2, finished: 1, races: ['10k'] });
});

test('formatting: H:MM:SS, pace M:SS, point names', () => {
  assert.equal(fmtDuration(7757000), '2:09:17');
  assert.equal(fmtDuration(7757999), '2:09:17');
  assert.equal(fmtDuration(59000), '0:00:59');
  assert.equal(fmtDuration(null), '');
  assert.equal(fmtPace(183836), '3:04');
  assert.equal(fmtPace(299600), '5:00');
  assert.equal(fmtPoint('5k'), '5K');
  assert.equal(fmtPoint('half'), 'Half');
});
