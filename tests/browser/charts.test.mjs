// charts.test.mjs: the athlete page's chart models (clients/web/charts.js)
// and the name search (clients/web/names.js) under node, against values
// worked out by hand.
//   node --test tests/browser/charts.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentPaces, placesAt, histogram, parseGpx, courseAt } from '../../clients/web/charts.js';
import { matchName, searchNames, nameWords, editDistance, looksLikeBib } from '../../clients/web/names.js';

const PTS = [
  { id: 'start', role: 'start', distance_m: 0 },
  { id: '5k', role: 'split', distance_m: 5000 },
  { id: 'half', role: 'split', distance_m: 21097.5 },
  { id: 'finish', role: 'finish', distance_m: 42195 },
];

test('pace per segment: one per point crossed, from the point before that was crossed', () => {
  const row = { bib: '1', splits: { '5k': 1500000, finish: 12000000 } }; // no half split
  assert.deepEqual(segmentPaces(row, PTS), [
    { pt: '5k', from: 'start', ms: 1500000, m: 5000, pace: 300000 },
    { pt: 'finish', from: '5k', ms: 10500000, m: 37195, pace: Math.round((10500000 * 1000) / 37195) },
  ]);
  assert.deepEqual(segmentPaces({ splits: {} }, PTS), []);
  // a point without a distance is left out, the next segment starts from the last one placed
  const noDist = PTS.map((p) => (p.id === '5k' ? { ...p, distance_m: null } : p));
  assert.deepEqual(segmentPaces({ splits: { '5k': 1, half: 6000000 } }, noDist).map((s) => [s.pt, s.from]), [['half', 'start']]);
});

test('place at each point: 1 + those faster there at the precision, out of those who crossed', () => {
  const me = { bib: '1', splits: { '5k': 1500400, finish: 9000000 } };
  const field = [
    me,
    { bib: '2', splits: { '5k': 1499999, finish: 8000000 } }, // 1499 s: ahead at 5k
    { bib: '3', splits: { '5k': 1500900 } }, // same second: a tie, not ahead
    { bib: '4', splits: { '5k': 1501000, finish: 9000999 } }, // after; tie at the finish
    { bib: '5', splits: {} },
  ];
  assert.deepEqual(placesAt(me, field, PTS, 1000), [
    { pt: '5k', place: 2, of: 4 },
    { pt: 'finish', place: 2, of: 3 },
  ]);
  // at millisecond precision the 5k tie breaks
  assert.deepEqual(placesAt(me, field, PTS, 1)[0], { pt: '5k', place: 2, of: 4 });
  assert.deepEqual(placesAt({ ...me, splits: { '5k': 1500901 } }, field, PTS, 1)[0], { pt: '5k', place: 3, of: 4 });
});

test('histogram: round bins, every time counted once, the mark\'s bin', () => {
  const m = 60000;
  const times = [39 * m, 40 * m, 41 * m, 43 * m, 56 * m + 59000];
  const h = histogram(times, 41 * m);
  assert.equal(h.width, m);
  assert.equal(h.bins.length, 18);
  assert.equal(h.bins[0].lo, 39 * m);
  assert.equal(h.bins.reduce((s, b) => s + b.n, 0), 5);
  assert.equal(h.mine, 2);
  assert.equal(h.bins[17].n, 1, 'the slowest lands in the last bin');
  // a wider spread: 5-minute bins (2:00 to 4:00 over 24 bins of 5 min)
  const w = histogram([120 * m, 240 * m], null);
  assert.equal(w.width, 5 * m);
  assert.equal(w.bins.length, 25);
  assert.equal(w.mine, -1);
  assert.deepEqual(histogram([], null).bins, []);
});

test('GPX: track and route points with their distance; junk skipped', () => {
  const gpx = `<gpx><trk><trkseg><trkpt lat="42.000" lon="-71.0"/><trkpt lon='-71.0' lat='42.009'></trkpt>
    <trkpt lat="95" lon="0"/><trkpt lat="x" lon="1"/><gpx:trkpt lat="42.018" lon="-71.0"/></trkseg></trk></gpx>`;
  const t = parseGpx(gpx);
  assert.equal(t.length, 3);
  assert.ok(Math.abs(t[1].d - 1000.75) < 1, `0.009 degrees of latitude is about 1 km: ${t[1].d}`);
  assert.ok(Math.abs(t[2].d - 2 * t[1].d) < 0.01);
  const mid = courseAt(t, 0.75);
  assert.ok(Math.abs(mid.lat - 42.0135) < 1e-9 && mid.lon === -71);
  assert.deepEqual(courseAt(t, 2), { lat: 42.018, lon: -71 });
  assert.deepEqual(parseGpx('<gpx></gpx>'), []);
  assert.equal(courseAt([], 0.5), null);
});

test('names: accents, case and punctuation ignored; a typo forgiven in longer words', () => {
  assert.deepEqual(nameWords('Núñez, José-María'), ['nunez', 'jose', 'maria']);
  assert.ok(matchName('jose', 'José Núñez'));
  assert.ok(matchName('NÚÑEZ jose', 'José Núñez'));
  assert.ok(matchName('jo', 'José Núñez'), 'a prefix');
  assert.ok(matchName('jsoe', 'José Núñez'), 'two letters swapped');
  assert.ok(matchName('nunes', 'José Núñez'), 'one letter wrong');
  assert.equal(matchName('jo x', 'José Núñez'), 0, 'every word must match');
  assert.equal(matchName('joe', 'José Núñez'), 0, 'no guessing in words under 4 letters');
  assert.equal(matchName('maria', 'José Núñez'), 0);
  assert.equal(matchName('', 'José Núñez'), 0);
  assert.equal(editDistance('kitten', 'sitting', 5), 3);
  assert.equal(editDistance('abcdef', 'a', 2), 3, 'over the cap: cap + 1');
  const rows = [{ bib: '9', name: 'Josefa Nunes' }, { bib: '1', name: 'José Núñez' }, { bib: '2', name: 'Ann Alder' }, { bib: '3' }];
  assert.deepEqual(searchNames(rows, 'jose nunez').map((r) => r.bib), ['1', '9'], 'exact words first, the near miss after');
  assert.deepEqual(searchNames(rows, 'jose', 1).map((r) => r.bib), ['1']);
  assert.ok(looksLikeBib('1234') && looksLikeBib('F12') && looksLikeBib('16-5') && !looksLikeBib('jose'));
});
