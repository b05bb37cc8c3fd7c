// project.test.mjs: the tracker's and announcer's projections
// (clients/web/project.js) under node, against a fixture whose expected
// answers are worked out by hand in the comments.
//   node --test tests/browser/project.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnGeometry, upcoming, etaAt, makeProjector, paceOf, distanceFromId, projectedFinish, rankingTime } from '../../clients/web/project.js';

const MIN = 60000;
const T0 = Date.UTC(2024, 3, 21, 9, 0, 0); // the gun
const NOW = T0 + 40 * MIN;

// A 10 km race: start, 5k, 8k, finish.  proj = elapsed at last x 10000 / distance(last).
const row = (bib, o) => ({ bib, name: `Runner ${bib}`, club: `Club ${bib}`, sex: 'F', cats: ['F40'], place: null,
  place_cat: {}, net: null, gun: null, pace: null, proj: null, ...o });
const fixture = [
  // A: 5k in 20:00 -> proj 40:00; started at T0 -> finish at T0+40 = NOW (in 0 min)
  row('A', { status: 'on_course', start: T0, splits: { '5k': 20 * MIN }, last: '5k', proj: 40 * MIN }),
  // B: started T0+1, 5k in 22:00 -> proj 44:00 -> finish T0+45 = NOW+5
  row('B', { status: 'on_course', start: T0 + 1 * MIN, splits: { '5k': 22 * MIN }, last: '5k', proj: 44 * MIN }),
  // C: 5k in 30:00 -> proj 60:00 -> finish T0+60 = NOW+20 (outside 10 min); 8k (0.8) at T0+48 = NOW+8
  row('C', { status: 'on_course', start: T0, splits: { '5k': 30 * MIN }, last: '5k', proj: 60 * MIN, cats: ['M18'], sex: 'M' }),
  // D: started T0+2, 5k in 18:00 -> proj 36:00 -> finish T0+38 = NOW-2 (overdue)
  row('D', { status: 'on_course', start: T0 + 2 * MIN, splits: { '5k': 18 * MIN }, last: '5k', proj: 36 * MIN, cats: ['M18'], sex: 'M' }),
  // E: finished in 35:00, pace 3:30/km -> race distance 35 min x 1000 / 210 s = 10000 m
  row('E', { status: 'finished', start: T0, splits: { '5k': 17 * MIN, finish: 35 * MIN }, last: 'finish', net: 35 * MIN,
    gun: 35 * MIN, pace: 210000, place: 1, cats: ['M18'], sex: 'M' }),
  row('F', { status: 'registered', start: null, splits: {}, last: null }),
  row('G', { status: 'started', start: T0, splits: {}, last: 'start', proj: null }),
];

test('geometry: point shares from on-course rows, race distance from finishers', () => {
  const g = learnGeometry(fixture);
  assert.equal(g.fracs.get('5k'), 0.5); // 20/40, 22/44, 30/60, 18/36: all 0.5 (E's 17/35 is only a fallback)
  assert.equal(g.fracs.get('finish'), 1);
  assert.equal(g.distance, 10000);
  assert.equal(distanceFromId('8k'), 8000);
  assert.equal(distanceFromId('half'), 21097.5);
  assert.equal(distanceFromId('finish'), null);
});

test('announcer: who reaches the finish in the next 10 minutes', () => {
  const names = (l) => l.map((u) => u.bib);
  // grace 0: A (NOW+0) then B (NOW+5); C is 20 min out, D overdue, E done, F and G have no projection
  let l = upcoming(fixture, { now: NOW, windowMs: 10 * MIN });
  assert.deepEqual(names(l), ['A', 'B']);
  assert.deepEqual(l.map((u) => u.inMs), [0, 5 * MIN]);
  // 3 minutes' grace brings D back, overdue by 2 min, first
  l = upcoming(fixture, { now: NOW, windowMs: 10 * MIN, graceMs: 3 * MIN });
  assert.deepEqual(names(l), ['D', 'A', 'B']);
  assert.deepEqual(l.map((u) => u.overdue), [true, false, false]);
  assert.equal(l[0].eta, T0 + 38 * MIN);
  // a 25 minute window reaches C (NOW+20)
  assert.deepEqual(names(upcoming(fixture, { now: NOW, windowMs: 25 * MIN })), ['A', 'B', 'C']);
});

test('announcer: a chosen point (8k, from its id over the race distance)', () => {
  // 8k = 0.8 of the race: A at T0+32 (NOW-8), B at T0+1+35.2 (NOW-3.8), C at T0+48 (NOW+8), D at T0+2+28.8 (NOW-9.2)
  const l = upcoming(fixture, { now: NOW, windowMs: 10 * MIN, point: '8k' });
  assert.deepEqual(l.map((u) => u.bib), ['C']);
  assert.equal(l[0].eta, T0 + 48 * MIN);
  const g = learnGeometry(fixture);
  assert.equal(etaAt(fixture[1], '8k', g), T0 + MIN + Math.round(44 * MIN * 0.8));
  // a point the runner has passed has no time of arrival
  assert.equal(etaAt(fixture[0], '5k', g), null);
});

test('tracker: projected place and category place, pace', () => {
  // ranking times: E 35:00 (finished), D 36:00, A 40:00, B 44:00, C 60:00 (projected)
  const place = makeProjector(fixture, { precision: 1000 });
  const p = (bib) => place(fixture.find((r) => r.bib === bib));
  assert.deepEqual(p('E'), { place: 1, cats: { M18: 1 } });
  assert.deepEqual(p('D'), { place: 2, cats: { M18: 2 } });
  assert.deepEqual(p('A'), { place: 3, cats: { F40: 1 } });
  assert.deepEqual(p('B'), { place: 4, cats: { F40: 2 } });
  assert.deepEqual(p('C'), { place: 5, cats: { M18: 3 } });
  assert.equal(p('F'), null);
  assert.equal(p('G'), null);
  // H projected 40:00.5 shares A's second: both 3rd, B moves to 5th
  const H = row('H', { status: 'on_course', start: T0, splits: { '5k': 20 * MIN + 250 }, last: '5k', proj: 40 * MIN + 500 });
  const place2 = makeProjector([...fixture, H], { precision: 1000 });
  assert.equal(place2(H).place, 3);
  assert.equal(place2(fixture[0]).place, 3);
  assert.equal(place2(fixture[1]).place, 5);
  // pace on course: proj over the race distance: 44:00 / 10 km = 4:24/km
  const g = learnGeometry(fixture);
  assert.equal(paceOf(fixture[1], g), 264000);
  assert.equal(paceOf(fixture[4], g), 210000);
});

test('tracker: a finisher\'s current place counts finishers only', () => {
  // only E has finished: E is 1st; the on-course runners do not count
  const placer = makeProjector(fixture, { finishedOnly: true });
  assert.deepEqual(placer(fixture[4]), { place: 1, cats: { M18: 1 } });
  // a later finisher in 34:00 (faster than E) pushes E to 2nd
  const K = row('K', { status: 'finished', start: T0 + 5 * MIN, splits: {}, net: 34 * MIN, gun: 39 * MIN, cats: ['M18'] });
  const placer2 = makeProjector([...fixture, K], { finishedOnly: true });
  assert.deepEqual(placer2(fixture[4]), { place: 2, cats: { M18: 2 } });
  assert.deepEqual(placer2(K), { place: 1, cats: { M18: 1 } });
});

// ---- gun-time races: the wave's start (event topic) turns a net projection into a gun one ----
//   P: wave 1 (gun at T0), crossed the start mat 8 min after the gun, projected 40:00 net
//      -> gun 8:00 + 40:00 = 48:00
//   Q: wave 1, crossed at the gun, projected 45:00 net -> gun 45:00
//   R: wave 2 (gun at T0+10), crossed at T0+11, projected 46:00 net -> gun 1:00 + 46:00 = 47:00
//   S: finished, net 46:30, gun 46:40
// Net order: P 40:00, Q 45:00, R 46:00, S 46:30.  Gun order: Q 45:00, S 46:40, R 47:00, P 48:00.
const gunRows = [
  row('P', { status: 'on_course', wave: '1', start: T0 + 8 * MIN, splits: { '5k': 20 * MIN }, last: '5k', proj: 40 * MIN }),
  row('Q', { status: 'on_course', wave: '1', start: T0, splits: { '5k': 22.5 * MIN }, last: '5k', proj: 45 * MIN }),
  row('R', { status: 'on_course', wave: '2', start: T0 + 11 * MIN, splits: { '5k': 23 * MIN }, last: '5k', proj: 46 * MIN }),
  row('S', { status: 'finished', wave: '1', start: T0 + 10000, splits: { finish: 46.5 * MIN }, last: 'finish', net: 46.5 * MIN,
    gun: 46.5 * MIN + 10000, pace: 279000 }),
];
const WAVES = new Map([['1', T0], ['2', T0 + 10 * MIN]]);

test('gun race: the projected finish is gun time once the wave start is known', () => {
  assert.deepEqual(projectedFinish(gunRows[0], { ranking: 'gun', waveStart: T0 }), { ms: 48 * MIN, basis: 'gun' });
  assert.deepEqual(projectedFinish(gunRows[2], { ranking: 'gun', waveStart: T0 + 10 * MIN }), { ms: 47 * MIN, basis: 'gun' });
  // a net race, or a gun race whose wave has no start yet: net, and it says so
  assert.deepEqual(projectedFinish(gunRows[0], { ranking: 'net', waveStart: T0 }), { ms: 40 * MIN, basis: 'net' });
  assert.deepEqual(projectedFinish(gunRows[0], { ranking: 'gun', waveStart: null }), { ms: 40 * MIN, basis: 'net' });
  assert.equal(projectedFinish(gunRows[3], { ranking: 'gun', waveStart: T0 }), null, 'a finisher has no projection');
  assert.equal(rankingTime(gunRows[0], 'gun', WAVES), 48 * MIN);
  assert.equal(rankingTime(gunRows[3], 'gun', WAVES), 46.5 * MIN + 10000);
});

test('gun race: projected places follow gun time, and move with a wave start', () => {
  const gun = makeProjector(gunRows, { basis: 'gun', waves: WAVES });
  assert.deepEqual(['P', 'Q', 'R', 'S'].map((b) => gun(gunRows.find((r) => r.bib === b)).place), [4, 1, 3, 2]);
  // the same rows ranked by net: P first
  const net = makeProjector(gunRows, { basis: 'net', waves: WAVES });
  assert.deepEqual(['P', 'Q', 'R', 'S'].map((b) => net(gunRows.find((r) => r.bib === b)).place), [1, 2, 3, 4]);
  // wave 2's start corrected to T0 (with wave 1): R's gun time is 11:00 + 46:00 = 57:00, last
  const later = makeProjector(gunRows, { basis: 'gun', waves: new Map([['1', T0], ['2', T0]]) });
  assert.deepEqual(['P', 'Q', 'R', 'S'].map((b) => later(gunRows.find((r) => r.bib === b)).place), [3, 1, 4, 2]);
});

test('geometry from the event topic: configured distances win, points nobody reached yet included', () => {
  const race = { distance_m: 10000, points: [{ id: 'start', distance_m: 0 }, { id: '5k', distance_m: 5000 }, { id: 'hill', distance_m: 6500 },
    { id: 'finish', distance_m: 10000 }] };
  const g = learnGeometry(fixture, race);
  assert.equal(g.distance, 10000);
  assert.equal(g.fracs.get('hill'), 0.65);
  assert.equal(g.fracs.get('5k'), 0.5);
  // A (start T0, proj 40:00) reaches the hill at T0 + 26:00; without the config the rows know no 'hill'
  assert.equal(etaAt(fixture[0], 'hill', g), T0 + 26 * MIN);
  assert.equal(etaAt(fixture[0], 'hill', learnGeometry(fixture)), null);
});
