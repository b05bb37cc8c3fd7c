/*
 * athlete.js: one athlete's page (athlete.html), reached from every
 * leaderboard row, the finish feed, the tracker and the name search here.
 *
 * Topics: event (names, points, distances, time zone, the race's `gpx`
 * course), status (the race's results: provisional, official, corrected),
 * athlete/<bib> (the athlete's row, live).  The rest of the race (places at
 * each point, the finish-time histogram, the other followed athletes on
 * the course) comes from GET /api/results/<race>.json (names.js), fetched
 * when the page opens and again when the athlete's row changes, at most
 * every FIELD_MS.
 *
 * Search: a name (fuzzy, accents and case ignored: names.js) is looked up
 * in every race of the event over HTTP, so it needs no bib followed first;
 * a bib opens that athlete.  Follow/Unfollow keeps the bib in the
 * tracker's list (localStorage "splitline.tracker.bibs").
 *
 * Projections are marked: the projected finish in italics with the word
 * "projected", projected positions on the course as hollow markers.
 * Clock times are the event's (common.js).  Printouts: the certificate
 * (/api/certificate/<race>/<bib>.pdf) for finishers only.
 */
import { SplitlineClient, api } from './protocol.js';
import { fmtDuration, fmtPace, STATUS_LABEL, adjustmentText, reasonsText } from './board.js';
import { connBadge, fmtClockOf, ordinal, h, initNav, followEvent, drawEventTitle, RaceClock, showResultsState, mergeStatus } from './common.js';
import { EventInfo } from './event.js';
import { learnGeometry, fracOf, projectedFinish, isProjectable } from './project.js';
import { segmentPaces, placesAt, histogram, parseGpx, paceSvg, placeSvg, histogramSvg, courseSvg } from './charts.js';
import { findAthletes, loadRaceRows, looksLikeBib, athleteHref } from './names.js';
import { drawShare } from './share.js';

const KEY = 'splitline.tracker.bibs';
const FIELD_MS = 30000;
const params = new URLSearchParams(location.search);
const client = new SplitlineClient();
const badge = connBadge(client);
const clock = RaceClock.fromParams(params);
initNav(params);

const $ = (id) => document.getElementById(id);
const state = {
  bib: params.get('bib') || null,
  race: params.get('race') || null,
  row: null,
  missing: '',
  ev: EventInfo.empty(),
  status: null,
  field: null, // {rows, results} of the race
  fieldAt: 0,
  fieldRace: null,
  histOf: '',
};

function followed() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

function setFollowed(list) {
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    /* private mode */
  }
}

$('follow').addEventListener('click', () => {
  const list = followed();
  setFollowed(list.includes(state.bib) ? list.filter((b) => b !== state.bib) : [...list, state.bib]);
  drawFollow();
  drawCourse();
});

function drawFollow() {
  const on = followed().includes(state.bib);
  const b = $('follow');
  b.textContent = on ? 'Unfollow' : 'Follow';
  b.setAttribute('aria-pressed', String(on));
  b.classList.toggle('btn-light', on);
}

/* ---- search ---- */

async function search(q) {
  const ul = $('found');
  ul.replaceChildren();
  q = q.trim();
  if (!q) return;
  if (looksLikeBib(q)) {
    open(state.race, q);
    return;
  }
  ul.append(h('li', 'none', 'Searching…'));
  await Promise.race([evReady, new Promise((r) => setTimeout(r, 5000))]); // the event names the races
  const rows = await findAthletes(q, state.ev, 12);
  ul.replaceChildren();
  if (!rows.length) {
    ul.append(h('li', 'none', `Nobody named “${q}”.`));
    return;
  }
  for (const r of rows) {
    const li = h('li');
    const a = h('a', 'btn btn-light found-a');
    a.href = athleteHref(r.race, r.bib, params);
    a.dataset.bib = String(r.bib);
    a.append(h('b', '', r.name || `Bib ${r.bib}`), ` #${r.bib}`);
    const sub = [r.club, state.ev.raceName(r.race), STATUS_LABEL[r.status] || ''].filter(Boolean).join(' · ');
    if (sub) a.append(h('span', 'found-sub', sub));
    li.append(a);
    ul.append(li);
  }
}

function open(race, bib) {
  location.href = athleteHref(race, bib, params);
}

$('find').addEventListener('submit', (e) => {
  e.preventDefault();
  search($('q').value);
});

/* ---- socket ---- */

let evKnown;
const evReady = new Promise((r) => (evKnown = r));
followEvent(client, (ev) => {
  state.ev = ev;
  if (ev.known()) evKnown();
  drawEventTitle($('title'), ev, 'Athlete');
  $('page-name').textContent = ev.known() ? '· Athlete' : '';
  draw();
});

client.on('hello', () => {
  client.subscribe('status');
  if (state.bib) client.subscribe(`athlete/${state.bib}`);
});

client.on('message', (m) => {
  badge.touch();
  if (m.topic === 'status') {
    state.status = mergeStatus(state.status, m);
    drawState();
    return;
  }
  if (state.bib && m.topic === `athlete/${state.bib}`) {
    const row = Array.isArray(m.rows) ? m.rows[0] : null;
    if (!row) {
      if (m.t === 'snapshot') state.missing = `No athlete with bib ${state.bib}.`;
    } else {
      state.missing = '';
      state.row = row;
      state.race = row.race || state.race;
      clock.seeRow(row);
      loadField();
    }
    draw();
  }
});

client.on('reply-error', (err, req) => {
  if (req && req.t === 'subscribe' && state.bib && req.topic === `athlete/${state.bib}`) {
    state.missing = err.code === 'not_found' ? `No athlete with bib ${state.bib}.` : err.msg || err.code;
    draw();
  }
});

async function loadField(force = false) {
  const race = state.race;
  if (!race) return;
  if (!force && state.fieldRace === race && Date.now() - state.fieldAt < FIELD_MS) return;
  state.fieldAt = Date.now();
  state.fieldRace = race;
  try {
    const f = await loadRaceRows(race, state.field != null);
    if (race !== state.race) return;
    state.field = f;
    for (const r of f.rows) clock.seeRow(r);
  } catch (e) {
    console.warn('splitline: cannot load the race:', e);
  }
  drawCharts();
  drawState();
  drawSplits();
}

/* ---- drawing ---- */

function draw() {
  const info = $('info');
  const main = $('athlete');
  if (!state.bib) {
    info.textContent = 'Type a name (or a bib) to find an athlete.';
    main.hidden = true;
    return;
  }
  if (state.missing) {
    info.textContent = state.missing;
    main.hidden = true;
    return;
  }
  if (!state.row) {
    info.textContent = `Loading bib ${state.bib}…`;
    main.hidden = true;
    return;
  }
  info.textContent = '';
  main.hidden = false;
  drawHead();
  drawFollow();
  drawState();
  drawSplits();
  drawCharts();
  drawShareBox();
}

function basis() {
  return state.ev.ranking(state.race) || 'net';
}

function geometry() {
  const rows = state.field ? state.field.rows : [state.row];
  return learnGeometry(rows, state.ev.race(state.race));
}

function drawHead() {
  const row = state.row;
  const ev = state.ev;
  const race = state.race;
  $('name').textContent = row.name || `Bib ${state.bib}`;
  document.title = `${row.name || 'Bib ' + state.bib} · Splitline`;
  const cats = Array.isArray(row.cats) ? row.cats.map((c) => ev.catName(race, c)).join(', ') : '';
  const age = [row.sex, typeof row.age === 'number' ? row.age : ''].filter((x) => x !== '' && x != null).join(' ');
  $('meta').textContent = [`#${state.bib}`, row.club, age, cats, race ? ev.raceName(race) : ''].filter(Boolean).join(' · ');
  const big = $('big');
  big.replaceChildren();
  big.dataset.status = row.status || '';
  const status = STATUS_LABEL[row.status] || row.status || '';
  if (row.status === 'finished' && typeof row.net === 'number') {
    const gun = basis() === 'gun' && typeof row.gun === 'number';
    const adj = adjustmentText(row);
    big.append(h('b', 'card-time', fmtDuration(adj && typeof row.adj === 'number' ? row.adj : gun ? row.gun : row.net)), ` ${status}`);
    if (adj) big.append(h('span', 'card-place card-adj', ` (${adj})`));
    const pl = [];
    if (typeof row.place === 'number') pl.push(`${ordinal(row.place)} overall`);
    if (typeof row.place_sex === 'number' && row.sex) pl.push(`${ordinal(row.place_sex)} ${row.sex}`);
    const c = Array.isArray(row.cats) && row.cats[0];
    if (c && row.place_cat && typeof row.place_cat[c] === 'number') pl.push(`${ordinal(row.place_cat[c])} ${ev.catName(race, c)}`);
    if (pl.length) big.append(h('span', 'card-place', ` · ${pl.join(' · ')}`));
  } else if (isProjectable(row)) {
    const pf = projectedFinish(row, { ranking: basis(), waveStart: ev.waveStart(race, row.wave) });
    big.dataset.proj = String(pf.ms);
    big.append(h('span', '', `${status} · `), h('span', 'proj-tag', 'projected'), ' finish ', h('b', 'card-time proj', fmtDuration(pf.ms)));
    if (typeof row.start === 'number') big.append(h('span', 'card-place', ` at ${fmtClockOf(row.start + row.proj)}`));
  } else {
    big.append(h('b', '', status));
  }
  const why = reasonsText(row);
  $('reasons').hidden = !why;
  $('reasons').textContent = why;
  const cert = $('cert');
  cert.hidden = row.status !== 'finished';
  cert.href = api(`certificate/${encodeURIComponent(race)}/${encodeURIComponent(state.bib)}.pdf`);
  const t = new URLSearchParams();
  if (params.get('event')) t.set('event', params.get('event'));
  t.set('bibs', state.bib);
  $('tracker-link').href = `tracker.html?${t}`;
}

/* Provisional, official or corrected: the status topic's, else the export's. */
function drawState() {
  showResultsState($('res-state'), state.status, state.race, state.field && state.field.results);
}

function splitPoints() {
  const row = state.row;
  const order = state.ev.points(state.race);
  if (order.length) return order;
  // no event topic: the row's own points, by time
  const sp = row.splits || {};
  return Object.keys(sp).sort((a, b) => sp[a] - sp[b]).map((id) => ({ id, role: id === 'finish' ? 'finish' : 'split', distance_m: null }));
}

function distOf(geom) {
  return (id) => {
    const p = state.ev.point(state.race, id);
    if (p && typeof p.distance_m === 'number') return p.distance_m;
    const f = fracOf(geom, id);
    return f != null && geom.distance ? f * geom.distance : null;
  };
}

function drawSplits() {
  const row = state.row;
  if (!row) return;
  const geom = geometry();
  const pts = splitPoints();
  const paces = new Map(segmentPaces(row, pts, distOf(geom)).map((s) => [s.pt, s]));
  const places = state.field ? new Map(placesAt(row, state.field.rows, pts, state.ev.precision(state.race) || 1000).map((p) => [p.pt, p])) : new Map();
  const tb = $('split-rows');
  tb.replaceChildren();
  for (const p of pts) {
    const t = row.splits ? row.splits[p.id] : null;
    if (typeof t !== 'number') continue;
    const tr = h('tr', 'split');
    tr.dataset.pt = p.id;
    const s = paces.get(p.id);
    const pl = places.get(p.id);
    tr.append(h('td', 'pt', state.ev.pointLabel(state.race, p.id)), h('td', 'num', fmtDuration(t)), h('td', 'num', typeof row.start === 'number' ? fmtClockOf(row.start + t) : ''),
      h('td', 'num', s ? fmtPace(s.pace) : ''), h('td', 'num', pl ? ordinal(pl.place) : ''));
    tb.append(tr);
  }
}

function box(id) {
  return $(id).querySelector('.chart-box');
}

function drawCharts() {
  const row = state.row;
  if (!row) return;
  const race = state.race;
  const ev = state.ev;
  const name = (id) => (id === 'start' ? 'Start' : ev.pointName(race, id));
  const geom = geometry();
  const pts = splitPoints();
  const segs = segmentPaces(row, pts, distOf(geom));
  box('chart-pace').replaceChildren(segs.length ? paceSvg(segs, { fmtPace, pointName: name }) : h('p', 'chart-note', 'No segment timed yet.'));
  $('chart-pace').dataset.points = String(segs.length);
  if (state.field) {
    const places = placesAt(row, state.field.rows, pts, ev.precision(race) || 1000);
    box('chart-place').replaceChildren(places.length ? placeSvg(places, { pointName: name }) : h('p', 'chart-note', 'No timing point crossed yet.'));
    $('chart-place').dataset.points = String(places.length);
    drawHistogram();
  } else {
    box('chart-place').replaceChildren(h('p', 'chart-note', 'Loading the race…'));
  }
  drawCourse();
}

function rankTime(r) {
  if (!r || r.status !== 'finished') return null;
  const t = basis() === 'gun' ? r.gun : r.net;
  return typeof t === 'number' ? t : typeof r.net === 'number' ? r.net : null;
}

function drawHistogram() {
  const row = state.row;
  const sel = $('hist-of');
  const ev = state.ev;
  const race = state.race;
  const opts = [['', `the ${ev.raceName(race) || 'race'}`]];
  if (row.sex) opts.push([`sex/${row.sex}`, { M: 'men', F: 'women', X: 'non-binary' }[row.sex] || row.sex]);
  for (const c of Array.isArray(row.cats) ? row.cats : []) opts.push([`cat/${c}`, ev.catName(race, c)]);
  const key = opts.map((o) => o.join('=')).join('\n');
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    sel.replaceChildren(...opts.map(([v, t]) => new Option(t, v)));
    sel.value = state.histOf;
  }
  const of = sel.value;
  // the field with the athlete's live row in place of the export's
  const rows = state.field.rows.map((r) => (String(r.bib) === String(row.bib) ? null : r)).concat([row]).filter((r) => {
    if (!r) return false;
    if (of.startsWith('sex/')) return r.sex === of.slice(4);
    if (of.startsWith('cat/')) return Array.isArray(r.cats) && r.cats.includes(of.slice(4));
    return true;
  });
  const mine = rankTime(row);
  const model = histogram(rows.map(rankTime).filter((t) => t != null), mine);
  const fig = $('chart-hist');
  fig.dataset.finishers = String(model.bins.reduce((s, b) => s + b.n, 0));
  box('chart-hist').replaceChildren(model.bins.length ? histogramSvg(model, mine, { fmtDuration, label: 'Finish times' }) : h('p', 'chart-note', 'No finisher yet.'));
  const w = model.width >= 60000 ? `${model.width / 60000} min` : `${model.width / 1000} s`;
  $('hist-note').textContent = mine != null ? `Bins of ${w}; the marked bar holds ${row.name || 'the athlete'} (${fmtDuration(mine)}).` : model.bins.length ? 'Not finished yet.' : '';
}

$('hist-of').addEventListener('change', () => {
  state.histOf = $('hist-of').value;
  if (state.field) drawHistogram();
});

/* Share of the race where a row is now: 1 at the finish, even pace on course (projected), else its last point. */
function whereIs(r, geom) {
  if (!r) return null;
  if (r.status === 'finished') return { f: 1, projected: false };
  const last = r.last && r.splits ? fracOf(geom, r.last) : null;
  if (isProjectable(r)) {
    const f = Math.min(1, Math.max(last || 0, (clock.now() - r.start) / r.proj));
    return { f, projected: true };
  }
  return last != null ? { f: last, projected: false } : null;
}

function drawCourse() {
  const fig = $('chart-course');
  const race = state.ev.race(state.race);
  const gpx = race && state.ev.row ? (state.ev.row.races.find((r) => r && r.id === state.race) || {}).gpx : null;
  const track = gpx ? parseGpx(gpx) : [];
  fig.hidden = track.length < 2;
  if (fig.hidden || !state.row) return;
  const geom = geometry();
  const pts = state.ev.points(state.race).map((p) => ({ id: p.id, name: state.ev.pointLabel(state.race, p.id), f: p.role === 'start' ? 0 : fracOf(geom, p.id) })).filter((p) => p.f != null);
  const byBib = new Map((state.field ? state.field.rows : []).map((r) => [String(r.bib), r]));
  byBib.set(String(state.bib), state.row);
  const bibs = [state.bib, ...followed().filter((b) => b !== state.bib)];
  const who = [];
  for (const b of bibs) {
    const r = byBib.get(String(b));
    if (!r || r.race !== state.race) continue;
    const at = whereIs(r, geom);
    if (at) who.push({ bib: String(b), name: r.name || `Bib ${b}`, label: `#${b}`, ...at });
  }
  box('chart-course').replaceChildren(courseSvg(track, pts, who));
  fig.dataset.points = String(pts.length);
}

function drawShareBox() {
  const p = new URLSearchParams();
  if (params.get('event')) p.set('event', params.get('event'));
  if (state.race) p.set('race', state.race);
  p.set('bib', state.bib);
  const url = `${location.origin}${location.pathname}?${p}`;
  const el = $('share');
  if (el.dataset.url === url) return;
  el.dataset.url = url;
  drawShare(el, url, state.row && state.row.name ? state.row.name : `bib ${state.bib}`);
}

if (params.get('q')) {
  $('q').value = params.get('q');
  search(params.get('q'));
}
draw();
client.start();
// positions on the course move with the clock
setInterval(() => {
  if (!$('chart-course').hidden) drawCourse();
}, 15000);

globalThis.splitline = { client, state, draw };
