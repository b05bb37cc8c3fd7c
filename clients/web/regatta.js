/*
 * regatta.js: a regatta's races, live (regatta.html).
 *
 * The race list comes from the `event` topic (id, name, kind, boat class,
 * progression) and its statuses from the `status` topic's per-race counts;
 * on an event with lane or head races, also from GET /api/results.json
 * (every race with its rows, a status worked out from the rows), fetched
 * at start and again every 30 s.  On other events (a marathon) that export
 * is never fetched: it holds every runner.
 * The selected race (?race=, else the first race with results) is followed
 * over the socket (protocol.js): results/<race> (snapshot, then deltas kept
 * by bib) and progression/<race> (snapshots and deltas both carry the whole
 * line-up).  A delta carries only the rows whose result changed; the places
 * and margins of the others may have moved with it (a penalty moves a crew
 * down and the others up), so after a delta the page re-sorts at once and,
 * 250 ms later, reloads the race's rows from /api/results/<race>.json (a few
 * crews: cheap) to show every place and margin exactly as the server does.
 * Choosing another race changes the URL (history.replaceState) and the
 * subscriptions; nothing reloads the page.
 * Windowed.  Only the rows in or near the viewport are in the DOM (at most
 * the viewport's height over the row height plus 2 x OVERSCAN; a race of
 * up to ALL_ROWS rows is drawn whole), between two spacer rows as tall as
 * the rows left out (the average height of the rows drawn).  Each row's
 * <tr> is kept by bib and refilled only when its row, place or highlight
 * changed, and moved only when its neighbours changed: a delta touches the
 * rows it changed, not the table.  A race larger than the spectator's
 * snapshot window (1000 rows) is completed once over HTTP
 * (/api/results/<race>.json) and then kept by the deltas; its places are
 * recounted here (1 + the placed rows whose adjusted time, cut to the
 * race's precision, is smaller), since a delta does not re-send the rows
 * whose place it shifts.  A small race is reloaded after each delta as
 * below.
 * On a phone (below 760 px) the table keeps five narrow columns (place,
 * lane, crew, adjusted, margin): club, raw time, penalty, reasons and the
 * flags (a row of badges) go under the crew name, so that nothing scrolls
 * sideways on a 390 px screen.
 * For tests: each result row is a <tr data-bib>, its cells carry classes
 * (place, lane, crew, raw, pen, adj, margin, flags, reasons); line-up rows
 * are <tr data-bib> in #lineup-rows; #rows has data-version (+1 per drawing).
 */
import { SplitlineClient, api } from './protocol.js';
import { connBadge, h, initNav, followEvent, isRegattaEvent, drawPrintouts, showResultsState, mergeStatus } from './common.js';
import { EventInfo } from './event.js';
import { raceCounts } from './board.js';

const params = new URLSearchParams(location.search);
const client = new SplitlineClient();
const badge = connBadge(client);
initNav(params);

const $ = (id) => document.getElementById(id);
const state = {
  races: [], // from /api/results.json: {race, name, kind, boat_class, progression, rows}
  eventName: '',
  race: null,
  rows: new Map(), // bib -> result row of the selected race
  haveSnapshot: false,
  lineup: null, // the last progression/<race> frame
  fresh: new Map(), // bib -> time until which its row is highlighted
  version: 0,
  reloadTimer: null,
  ev: EventInfo.empty(),
  status: null,
  n: 0, // rows of the topic (the snapshot's n)
  full: false, // every row of the race is held
  sorted: null, // rows in shown order (null: re-sort)
};
const ALL_ROWS = 150;
const OVERSCAN = 10;

/* ---- formatting ---- */

/* ms -> M:SS.fff (H:MM:SS.fff from an hour) */
export function fmtRaceTime(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '';
  const t = Math.round(ms);
  const frac = String(t % 1000).padStart(3, '0');
  const s = Math.floor(t / 1000);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}.${frac}` : `${mm}:${ss}.${frac}`;
}

/* margin ms -> +0:03.193 (the leader and dead heats: +0:00.000) */
export function fmtMargin(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return `${ms < 0 ? '-' : '+'}${fmtRaceTime(Math.abs(ms))}`;
}

const STATUS_FLAG = { dns: 'DNS', dnf: 'DNF', dsq: 'DSQ', scratch: 'Scratch' };
const OUT = new Set(['dns', 'dnf', 'dsq', 'scratch']);

/* A race's status from its rows. */
export function raceStatus(rows) {
  if (!rows || !rows.length) return 'No entries';
  const live = rows.filter((r) => !OUT.has(r.status));
  const done = live.filter((r) => r.status === 'finished').length;
  if (live.length && done === live.length) return 'Finished';
  if (done || live.some((r) => r.status === 'started' || r.status === 'on_course')) return `Racing · ${done}/${live.length} in`;
  return live.length ? 'Scheduled' : 'No racing crews';
}

/* Shown order: placed crews by place, then timed (exhibition) by adjusted time, then the rest by lane. */
function order(a, b) {
  const pa = typeof a.place === 'number' && a.place > 0 ? a.place : Infinity;
  const pb = typeof b.place === 'number' && b.place > 0 ? b.place : Infinity;
  if (pa !== pb) return pa - pb;
  const ta = OUT.has(a.status) ? Infinity : typeof a.adj === 'number' ? a.adj : Infinity;
  const tb = OUT.has(b.status) ? Infinity : typeof b.adj === 'number' ? b.adj : Infinity;
  if (ta !== tb) return ta - tb;
  const oa = OUT.has(a.status) ? 1 : 0;
  const ob = OUT.has(b.status) ? 1 : 0;
  if (oa !== ob) return oa - ob;
  return (a.lane ?? 99) - (b.lane ?? 99) || String(a.bib).localeCompare(String(b.bib));
}

/* ---- the race list ---- */

/* Race ids in programme order: 1, 1A, 1B, 2, ..., 16, 16A (numbers by value, then the rest). */
export function natural(a, b) {
  const pa = /^(\D*)(\d*)(.*)$/.exec(String(a));
  const pb = /^(\D*)(\d*)(.*)$/.exec(String(b));
  return pa[1].localeCompare(pb[1]) || (Number(pa[2] || -1) - Number(pb[2] || -1)) || pa[3].localeCompare(pb[3]);
}

/* The races: the event topic's, with the rows of /api/results.json where it was loaded. */
function mergeRaces(fromExport) {
  const byId = new Map(state.races.map((r) => [r.race, r]));
  const list = [];
  for (const r of state.ev.races()) {
    const raw = (state.ev.row.races || []).find((x) => x && x.id === r.id) || {};
    const old = byId.get(r.id) || {};
    list.push({ ...old, race: r.id, name: r.name, kind: r.kind, boat_class: raw.boat_class || old.boat_class || null, progression: raw.progression || old.progression || null });
  }
  for (const x of fromExport || []) {
    const i = list.findIndex((r) => r.race === x.race);
    if (i >= 0) list[i] = { ...list[i], ...x };
    else list.push(x);
  }
  if (!list.length) return;
  state.races = list.sort((a, b) => natural(a.race, b.race));
}

async function loadRaces() {
  if (!isRegattaEvent(state.ev)) return; // a marathon's export holds every runner: not for a race list
  try {
    const res = await fetch(api('results.json'), { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = await res.json();
    mergeRaces(Array.isArray(doc.races) ? doc.races : []);
    state.eventName = doc.name || doc.event || state.eventName;
    if (!state.race) {
      const first = state.races.find((r) => Array.isArray(r.rows) && r.rows.some((x) => x.status === 'finished')) || state.races[0];
      if (first) select(first.race, false);
    }
    drawRaces();
    drawHead();
  } catch (e) {
    console.warn('splitline: cannot load the races:', e);
    if (!state.races.length) $('info').textContent = 'Cannot load the regatta yet; retrying…';
  }
}

followEvent(client, (ev) => {
  state.ev = ev;
  state.eventName = ev.known() ? ev.name : state.eventName;
  $('title').textContent = state.eventName || 'Regatta';
  document.title = `${state.eventName || 'Regatta'} · Splitline`;
  mergeRaces(null);
  const want = params.get('race');
  if (!state.race && want) select(want, false);
  if (!state.race && !isRegattaEvent(ev) && state.races.length) select(state.races[0].race, false);
  if (!state.race && isRegattaEvent(ev)) loadRaces(); // picks the first race with results
  if (state.sorted) state.sorted = null;
  drawRaces();
  drawHead();
  drawTable();
});

client.on('hello', () => client.subscribe('status'));

function raceInfo(id) {
  return state.races.find((r) => r.race === id) || null;
}

/* A race's status from the status topic's counts (races whose rows are not loaded). */
function countsStatus(id) {
  const c = raceCounts(state.status).find((x) => x.race === id);
  if (!c || c.participants == null) return '';
  if (!c.participants) return 'No entries';
  if (c.finished === c.participants) return 'Finished';
  if (c.started) return `Racing · ${c.finished ?? 0}/${c.participants} in`;
  return 'Scheduled';
}

function statusOf(r) {
  if (r.race === state.race && state.haveSnapshot && state.full) return raceStatus([...state.rows.values()]);
  if (Array.isArray(r.rows)) return raceStatus(r.rows);
  return countsStatus(r.race);
}

function drawRaces() {
  const ul = $('races');
  ul.innerHTML = '';
  for (const r of state.races) {
    const li = h('li');
    const a = h('a');
    a.href = `?${new URLSearchParams({ ...(params.get('event') ? { event: params.get('event') } : {}), race: r.race })}`;
    a.dataset.race = r.race;
    if (r.race === state.race) a.setAttribute('aria-current', 'true');
    a.append(h('span', 'r-id', r.race), h('span', 'r-name', r.name || ''),
      h('span', 'r-meta', [r.kind, r.boat_class, statusOf(r)].filter(Boolean).join(' · ')));
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      select(r.race, true);
    });
    li.append(a);
    ul.append(li);
  }
  const cur = ul.querySelector('a[aria-current="true"]');
  if (cur && ul.scrollWidth > ul.clientWidth) ul.scrollLeft = Math.max(0, cur.parentNode.offsetLeft - ul.offsetLeft - 8);
}

function drawHead() {
  const r = raceInfo(state.race);
  $('race').textContent = state.race ? `· ${state.race}` : '';
  $('race-name').textContent = r ? r.name || r.race : state.race || '';
  $('race-meta').textContent = r
    ? [r.kind === 'trial' ? 'Time trial' : r.kind === 'lanes' ? 'Side by side' : r.kind, r.boat_class, r.progression, statusOf(r)].filter(Boolean).join(' · ')
    : '';
  // provisional, official or corrected (status topic)
  showResultsState($('res-state'), state.status, state.race);
  drawPrintouts($('printouts'), state.race);
}

/* ---- following a race ---- */

function select(race, push) {
  if (state.race === race) return;
  if (state.race) {
    client.unsubscribe(`results/${state.race}`);
    client.unsubscribe(`progression/${state.race}`);
  }
  state.race = race;
  state.rows = new Map();
  state.haveSnapshot = false;
  state.full = false;
  state.n = 0;
  state.sorted = null;
  state.lineup = null;
  state.fresh.clear();
  clearRows();
  if (push) {
    const p = new URLSearchParams(location.search);
    p.set('race', race);
    history.replaceState(null, '', `?${p}`);
    params.set('race', race);
    initNav(params);
  }
  client.subscribe(`results/${race}`, { limit: 0 });
  client.subscribe(`progression/${race}`);
  $('info').textContent = 'Loading results…';
  drawRaces();
  drawHead();
  drawTable();
  drawLineup();
}

/* The race's rows over HTTP: after a delta of a small race (every place and margin as the server has them), or once to complete a big one. */
async function fetchRows(race) {
  const res = await fetch(api(`results/${encodeURIComponent(race)}.json`), { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const doc = await res.json();
  return Array.isArray(doc) ? doc : doc.rows || doc.results || [];
}

function scheduleReload() {
  clearTimeout(state.reloadTimer);
  const race = state.race;
  state.reloadTimer = setTimeout(async () => {
    try {
      const rows = await fetchRows(race);
      if (race !== state.race) return;
      for (const r of rows) if (r && r.bib != null) state.rows.set(String(r.bib), r);
      state.sorted = null;
      drawTable();
    } catch (e) {
      console.warn('splitline: cannot reload the race:', e);
    }
  }, 250);
}

/* A big race: the rows the snapshot left out, once; rows the socket sent since stay. */
async function completeRace(race) {
  const since = new Map(state.rows);
  try {
    const rows = await fetchRows(race);
    if (race !== state.race) return;
    for (const r of rows) {
      if (!r || r.bib == null) continue;
      const bib = String(r.bib);
      if (state.rows.get(bib) !== since.get(bib)) continue; // a delta came meanwhile: newer
      state.rows.set(bib, r);
    }
    state.full = true;
    state.sorted = null;
    drawTable();
    drawRaces();
    drawHead();
  } catch (e) {
    console.warn('splitline: cannot load the race:', e);
  }
}

function isBig() {
  return state.n > ALL_ROWS || state.rows.size > ALL_ROWS;
}

client.on('message', (m) => {
  badge.touch();
  if (m.topic === 'status') {
    state.status = mergeStatus(state.status, m);
    drawRaces();
    drawHead();
    return;
  }
  if (!state.race) return;
  if (m.topic === `results/${state.race}`) {
    const now = Date.now();
    if (m.t === 'snapshot') {
      state.rows = new Map();
      state.haveSnapshot = true;
      state.n = typeof m.n === 'number' ? m.n : (m.rows || []).length;
      state.full = (m.rows || []).length >= state.n;
      clearRows();
    } else if (m.t !== 'delta') return;
    for (const r of m.rows || []) {
      if (!r || r.bib == null) continue;
      const bib = String(r.bib);
      if (m.t === 'delta') state.fresh.set(bib, now + 4000);
      state.rows.set(bib, r);
    }
    if (typeof m.n === 'number') state.n = m.n;
    state.sorted = null;
    if (m.t === 'snapshot' && !state.full) completeRace(state.race);
    if (m.t === 'delta' && !isBig()) scheduleReload();
    drawTable();
    if (!isBig() || m.t === 'snapshot') {
      drawRaces();
      drawHead();
    }
  } else if (m.topic === `progression/${state.race}` && (m.t === 'snapshot' || m.t === 'delta')) {
    state.lineup = m;
    drawLineup();
  }
});

/* ---- drawing ---- */

function flagsOf(r) {
  const f = [];
  if (STATUS_FLAG[r.status]) f.push([STATUS_FLAG[r.status], true]);
  if (r.exhibition) f.push(['Exhibition', false]);
  if (r.relegated) f.push(['Relegated', false]);
  if (r.place_manual) f.push(["Judges' place", false]);
  if (r.penalty) f.push(['Penalty', true]);
  return f;
}

function td(cls, text) {
  return h('td', cls, text == null ? '' : String(text));
}

/* A big race's order and places: placed rows by adjusted time (places recounted), then the rest. */
function sortBig(rows) {
  const prec = state.ev.precision(state.race) || 1000;
  const placed = (r) => typeof r.place === 'number' && r.place > 0 && typeof r.adj === 'number';
  const a = rows.filter(placed).sort((x, y) => x.adj - y.adj || String(x.bib).localeCompare(String(y.bib)));
  const b = rows.filter((r) => !placed(r)).sort(order);
  const places = new Map();
  let prevB = null;
  let prevP = 0;
  a.forEach((r, i) => {
    const bucket = Math.floor(r.adj / prec);
    const p = bucket === prevB ? prevP : i + 1;
    places.set(r, p);
    prevB = bucket;
    prevP = p;
  });
  return { list: a.concat(b), places };
}

const trs = new Map(); // bib -> {tr, row, place, fresh}
let rowH = 44;
let rowMeasured = false;

function clearRows() {
  trs.clear();
  $('rows').replaceChildren();
}

function fillRow(tr, r, shownPlace) {
  tr.className = OUT.has(r.status) ? 'out' : '';
  tr.dataset.status = r.status || '';
  const place = td('num place', typeof shownPlace === 'number' && shownPlace > 0 ? shownPlace : '');
  if (r.place_manual && r.place) {
    const j = h('span', 'judges', 'J');
    j.title = "judges' place";
    place.append(j);
  }
  const crew = td('crew', r.name || r.bib);
  if (r.club) crew.append(h('span', 'rg-club-sm', r.club));
  const timed = !OUT.has(r.status);
  const flags = h('td', 'flags');
  const fl = flagsOf(r);
  for (const [text, bad] of fl) flags.append(h('span', bad ? 'flag flag-bad' : 'flag', text));
  const reasons = Array.isArray(r.reasons) ? r.reasons : [];
  const why = reasons.map((x) => `${x.type}: ${x.reason || ''}${x.official ? ` (${x.official})` : ''}`).join('; ');
  const rs = td('reasons', why);
  const sub = [timed && r.raw != null ? `raw ${fmtRaceTime(r.raw)}` : '', r.penalty ? `pen +${fmtRaceTime(r.penalty)}` : '', why].filter(Boolean).join(' · ');
  if (sub) crew.append(h('span', 'rg-sub-sm', sub));
  // phone: the flags as a row of badges under the crew (their column is hidden there)
  if (fl.length) {
    const row = h('span', 'rg-flags-sm');
    for (const [text, bad] of fl) row.append(h('span', bad ? 'flag flag-bad' : 'flag', text));
    crew.append(row);
  }
  tr.replaceChildren(place, td('num lane', r.lane ?? ''), crew, td('club', r.club || ''), td('num raw', timed ? fmtRaceTime(r.raw) : ''),
    td('num pen', r.penalty ? `+${fmtRaceTime(r.penalty)}` : ''), td('num adj', timed ? fmtRaceTime(r.adj) : ''),
    td('num margin', timed ? fmtMargin(r.margin) : ''), flags, rs);
}

function drawTable() {
  const body = $('rows');
  const info = $('info');
  $('result').hidden = !state.race;
  if (!state.haveSnapshot) {
    clearRows();
    setPads(0, 0);
    return;
  }
  if (!state.sorted) {
    const rows = [...state.rows.values()];
    if (isBig()) {
      const { list, places } = sortBig(rows);
      state.sorted = list;
      state.places = places;
    } else {
      state.sorted = rows.sort(order);
      state.places = null;
    }
  }
  const list = state.sorted;
  info.textContent = list.length ? '' : 'No crews in this race.';
  drawWindow();
  body.dataset.version = String(++state.version);
}

function setPads(top, bottom) {
  for (const [id, px] of [['rows-top', top], ['rows-bot', bottom]]) {
    const cell = $(id).querySelector('td');
    const v = `${Math.round(px)}px`;
    if (cell.style.height !== v) cell.style.height = v; // never hidden: its top places the window
  }
}

/* The rows in or near the viewport, keyed by bib; untouched where nothing changed. */
function drawWindow() {
  const list = state.sorted || [];
  const body = $('rows');
  let first = 0;
  let last = list.length;
  if (list.length > ALL_ROWS) {
    const top = $('rows-top').getBoundingClientRect().top;
    const vh = innerHeight || document.documentElement.clientHeight;
    first = Math.max(0, Math.min(list.length - 1, Math.floor(-top / rowH) - OVERSCAN));
    last = Math.min(list.length, Math.max(first + 1, Math.ceil((vh - top) / rowH) + OVERSCAN));
  }
  const now = Date.now();
  const want = new Set();
  for (let i = first; i < last; i++) want.add(String(list[i].bib));
  for (const [bib, k] of trs) {
    if (!want.has(bib)) {
      k.tr.remove();
      trs.delete(bib);
    }
  }
  let at = body.firstElementChild;
  for (let i = first; i < last; i++) {
    const r = list[i];
    const bib = String(r.bib);
    const place = state.places ? state.places.get(r) ?? r.place : r.place;
    const fresh = (state.fresh.get(bib) || 0) > now;
    let k = trs.get(bib);
    if (!k) {
      const tr = document.createElement('tr');
      tr.dataset.bib = bib;
      k = { tr, row: null, place: undefined, fresh: null };
      trs.set(bib, k);
    }
    if (k.row !== r || k.place !== place) {
      fillRow(k.tr, r, place);
      k.row = r;
      k.place = place;
      k.fresh = null;
    }
    if (k.fresh !== fresh) {
      k.tr.classList.toggle('fresh', fresh);
      k.fresh = fresh;
    }
    if (at !== k.tr) body.insertBefore(k.tr, at);
    else at = at.nextElementSibling;
  }
  // the average height of the rows drawn stands for the rows left out: measured once
  // per width, so that the spacers do not move under a reader's scroll
  if (list.length > ALL_ROWS && last > first && !rowMeasured) {
    rowMeasured = true;
    const h0 = body.firstElementChild ? body.firstElementChild.getBoundingClientRect().top : 0;
    const h1 = body.lastElementChild ? body.lastElementChild.getBoundingClientRect().bottom : 0;
    if (h1 > h0) rowH = (h1 - h0) / (last - first);
  }
  setPads(first * rowH, (list.length - last) * rowH);
}

let rafPending = false;
addEventListener('scroll', () => {
  if (rafPending || !state.sorted || state.sorted.length <= ALL_ROWS) return;
  rafPending = true;
  requestAnimationFrame(() => {
    rafPending = false;
    drawWindow();
  });
}, { passive: true });
addEventListener('resize', () => {
  rowMeasured = false;
  if (state.sorted) drawWindow();
});

function drawLineup() {
  const sec = $('lineup');
  const m = state.lineup;
  const rows = m && Array.isArray(m.rows) ? m.rows : [];
  const feeders = m && Array.isArray(m.feeders) ? m.feeders : [];
  if (!m || (!feeders.length && !rows.length && !m.override)) {
    sec.hidden = true;
    return;
  }
  sec.hidden = false;
  const fl = $('lineup-flags');
  fl.innerHTML = '';
  fl.append(h('span', m.complete ? 'flag' : 'flag flag-bad', m.complete ? 'Complete' : 'Provisional'));
  if (m.override) fl.append(h('span', 'flag', 'Official override'));
  $('lineup-meta').textContent = feeders.length ? `From ${feeders.join(', ')}${m.complete ? ': every feeding race is official' : ': feeding races not all official yet'}` : '';
  const body = $('lineup-rows');
  body.innerHTML = '';
  for (const r of rows) {
    const tr = h('tr');
    tr.dataset.bib = String(r.bib);
    const crew = td('crew', r.name || r.bib);
    if (r.club) crew.append(h('span', 'rg-club-sm', r.club));
    tr.append(td('num seed', r.seed ?? ''), td('num lane', r.lane ?? '–'), crew, td('club', r.club || ''), td('from', r.from || ''),
      td('num place', r.place ?? ''), td('num time', fmtRaceTime(r.time)));
    body.append(tr);
  }
}

/* The highlight of changed rows fades (only those rows are touched). */
setInterval(() => {
  const now = Date.now();
  let any = false;
  for (const [bib, until] of state.fresh) if (until <= now) {
    state.fresh.delete(bib);
    any = true;
  }
  if (any && state.sorted) drawWindow();
}, 1000);
setInterval(loadRaces, 30000);

client.start();
globalThis.splitline = { client, state };
