/*
 * regatta.js: a regatta's races, live (regatta.html).
 *
 * The race list comes from GET /api/results.json (every race with its rows:
 * id, name, kind, boat class and a status worked out from the rows), fetched
 * at start and again every 30 s, so that the statuses follow the racing.
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
 * On a phone (below 760 px) the table keeps five narrow columns (place,
 * lane, crew, adjusted, margin): club, raw time, penalty, reasons and the
 * flags (a row of badges) go under the crew name, so that nothing scrolls
 * sideways on a 390 px screen.
 * For tests: each result row is a <tr data-bib>, its cells carry classes
 * (place, lane, crew, raw, pen, adj, margin, flags, reasons); line-up rows
 * are <tr data-bib> in #lineup-rows; #rows has data-version (+1 per drawing).
 */
import { SplitlineClient } from './protocol.js';
import { connBadge, h, initNav } from './common.js';

const params = new URLSearchParams(location.search);
const client = new SplitlineClient({ event: params.get('event') || null });
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
};

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

async function loadRaces() {
  try {
    const res = await fetch('/api/results.json', { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = await res.json();
    state.races = (Array.isArray(doc.races) ? doc.races : []).slice().sort((a, b) => natural(a.race, b.race));
    state.eventName = doc.name || doc.event || '';
    $('title').textContent = state.eventName || 'Regatta';
    document.title = `${state.eventName || 'Regatta'} · Splitline`;
    if (!state.race) {
      const want = params.get('race');
      const first = state.races.find((r) => Array.isArray(r.rows) && r.rows.some((x) => x.status === 'finished')) || state.races[0];
      if (want || first) select(want || first.race, false);
    }
    drawRaces();
    drawHead();
  } catch (e) {
    console.warn('splitline: cannot load the races:', e);
    if (!state.races.length) $('info').textContent = 'Cannot load the regatta yet; retrying…';
  }
}

function raceInfo(id) {
  return state.races.find((r) => r.race === id) || null;
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
    // the rows of the followed race are the live ones
    const rows = r.race === state.race && state.haveSnapshot ? [...state.rows.values()] : r.rows;
    a.append(h('span', 'r-id', r.race), h('span', 'r-name', r.name || ''),
      h('span', 'r-meta', [r.kind, r.boat_class, raceStatus(rows)].filter(Boolean).join(' · ')));
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
  const rows = state.haveSnapshot ? [...state.rows.values()] : r ? r.rows : [];
  $('race-meta').textContent = r
    ? [r.kind === 'trial' ? 'Time trial' : r.kind === 'lanes' ? 'Side by side' : r.kind, r.boat_class, r.progression, raceStatus(rows)].filter(Boolean).join(' · ')
    : '';
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
  state.lineup = null;
  state.fresh.clear();
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

/* Reload the race's rows (after a delta: every place and margin as the server has them). */
function scheduleReload() {
  clearTimeout(state.reloadTimer);
  const race = state.race;
  state.reloadTimer = setTimeout(async () => {
    try {
      const res = await fetch(`/api/results/${encodeURIComponent(race)}.json`, { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = await res.json();
      const rows = Array.isArray(doc) ? doc : doc.rows || doc.results || [];
      if (race !== state.race) return;
      for (const r of rows) if (r && r.bib != null) state.rows.set(String(r.bib), r);
      drawTable();
    } catch (e) {
      console.warn('splitline: cannot reload the race:', e);
    }
  }, 250);
}

client.on('message', (m) => {
  badge.touch();
  if (!state.race) return;
  if (m.topic === `results/${state.race}`) {
    const now = Date.now();
    if (m.t === 'snapshot') {
      state.rows = new Map();
      state.haveSnapshot = true;
    } else if (m.t !== 'delta') return;
    for (const r of m.rows || []) {
      if (!r || r.bib == null) continue;
      const bib = String(r.bib);
      if (m.t === 'delta') state.fresh.set(bib, now + 4000);
      state.rows.set(bib, r);
    }
    if (m.t === 'delta') scheduleReload();
    drawTable();
    drawRaces();
    drawHead();
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

function drawTable() {
  const body = $('rows');
  const info = $('info');
  $('result').hidden = !state.race;
  if (!state.haveSnapshot) {
    body.innerHTML = '';
    return;
  }
  const rows = [...state.rows.values()].sort(order);
  const now = Date.now();
  info.textContent = rows.length ? '' : 'No crews in this race.';
  body.innerHTML = '';
  for (const r of rows) {
    const tr = h('tr', OUT.has(r.status) ? 'out' : '');
    tr.dataset.bib = String(r.bib);
    tr.dataset.status = r.status || '';
    if ((state.fresh.get(String(r.bib)) || 0) > now) tr.classList.add('fresh');
    const place = td('num place', typeof r.place === 'number' && r.place > 0 ? r.place : '');
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
    tr.append(place, td('num lane', r.lane ?? ''), crew, td('club', r.club || ''), td('num raw', timed ? fmtRaceTime(r.raw) : ''),
      td('num pen', r.penalty ? `+${fmtRaceTime(r.penalty)}` : ''), td('num adj', timed ? fmtRaceTime(r.adj) : ''),
      td('num margin', timed ? fmtMargin(r.margin) : ''), flags, rs);
    body.append(tr);
  }
  body.dataset.version = String(++state.version);
}

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

/* The highlight of changed rows fades. */
setInterval(() => {
  const now = Date.now();
  let any = false;
  for (const [bib, until] of state.fresh) if (until <= now) {
    state.fresh.delete(bib);
    any = true;
  }
  if (any) drawTable();
}, 1000);
setInterval(loadRaces, 30000);

loadRaces();
client.start();
globalThis.splitline = { client, state };
