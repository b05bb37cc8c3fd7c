/*
 * app.js: the scoreboard page: wiring and rendering.
 *
 * protocol.js owns the connection (hello as spectator, resubscribe after every
 * reconnect, live/reconnecting/delayed state); board.js owns the data (rows
 * by bib, order, search).  This file decides which topics to follow and draws.
 *
 * Topics: event (the event's and races' names, points, categories, ranking:
 * event.js; without it the page names things by their ids and infers the
 * ranking), status (counts, per race), results/<race>[/sex/<S>|/cat/<cat>] (the
 * leaderboard: the first SNAPSHOT_LIMIT rows, then deltas of the whole
 * topic; the rest of the list from GET /api/results/<race>.json (protocol.js
 * api(): /api/events/<event>/... under /e/<event>/) when someone
 * scrolls to the end or searches), finishes/<race> (the latest 50).
 *
 * Windowed rendering: the list is one block as tall as all rows (fixed row
 * height, from the CSS variable --row-h); only the rows in or near the
 * viewport exist in the DOM, a pool of elements reused on scroll and on
 * data changes.  Data changes are drawn at most every DRAW_MS, so a burst of
 * deltas costs one sort and one paint; the DOM size does not grow with the
 * field (26,598 runners draw the same ~40 rows as 40 runners).
 *
 * Every row's name and every finish-feed name link to the athlete page
 * (athlete.html); club and country menus (shown where the rows have them)
 * filter the list like a search (the whole list is loaded for them);
 * links to the race's printouts; the Share button shows the page's link
 * with its QR code (share.js).
 *
 * A race ranked by gun time (event topic, else inferred) shows gun time in
 * the main time column and net in the other; a runner on course shows the
 * projected finish on the same basis (project.js projectedFinish, with the
 * wave's start from the event topic).
 *
 * Split columns (desktop, 1200 px and up): one per split point the event
 * topic names, headed by the point's name, as many as fit beside the other
 * columns while the name keeps 12rem (and the club 7rem); when not all
 * fit, evenly spaced ones, the last split always among them.  fitSplits()
 * measures the head row after each resize and sets --nsplit on the board.
 */
import { SplitlineClient, api } from './protocol.js';
import {
  Board,
  FinishFeed,
  PointOrder,
  parseStatus,
  fmtDuration,
  fmtPace,
  fmtClock,
  fmtInt,
  STATUS_LABEL,
  adjustmentText,
  reasonsText,
  resultsLabel,
} from './board.js';
import { initNav, followEvent, drawEventTitle, fillRacePicker, fmtClockOf, drawPrintouts } from './common.js';
import { EventInfo } from './event.js';
import { projectedFinish } from './project.js';
import { athleteHref } from './names.js';
import { drawShare } from './share.js';

const params = new URLSearchParams(location.search);
initNav(params);

const DRAW_MS = 150;
// Rows asked for in a results snapshot: a whole marathon (~12 MB of JSON)
// does not fit the server's per-connection queue (8 MiB), and most people
// look at the top.  The rest comes over HTTP when someone scrolls or
// searches there.  ?snap=N changes it (tests).
const SNAPSHOT_LIMIT = Math.max(1, parseInt(params.get('snap'), 10) || 1000);
// ?all=1: fetch the whole list right after the first snapshot (big screens, benchmarks).
const WANT_ALL = params.get('all') === '1';
const OVERSCAN = 8;
const HOT_MS = 4000;
const RACE_WAIT_MS = 1500;

const $ = (id) => document.getElementById(id);
const el = {
  title: $('title'),
  race: $('race'),
  counts: $('counts'),
  feed: $('feed-list'),
  q: $('q'),
  cat: $('cat'),
  conn: $('conn'),
  connText: $('conn-text'),
  connDetail: $('conn-detail'),
  info: $('info'),
  racePick: $('race-pick'),
  headNet: document.querySelector('.thead .c-net'),
  headGun: document.querySelector('.thead .c-gun'),
  board: document.querySelector('main.board'),
  splitHead: document.querySelector('.thead .c-splits'),
  list: $('list'),
  more: $('more'),
  club: $('club'),
  country: $('country'),
  printouts: $('printouts'),
  share: $('share-box'),
  shareBtn: $('share-btn'),
};

const state = {
  race: params.get('race') || null,
  raceFixed: !!params.get('race'),
  view: viewFromParams(),
  topic: null, // current results topic
  feedTopic: null,
  points: new PointOrder(),
  board: null,
  feed: new FinishFeed(50),
  status: null, // last status message
  query: params.get('q') || '',
  club: params.get('club') || '',
  country: params.get('country') || '',
  clubs: new Set(),
  countries: new Set(),
  cats: new Set(),
  sexes: new Set(),
  subError: '',
  started: false,
  ev: EventInfo.empty(), // the event topic's description
  splitCols: [], // split points shown as columns
};
state.board = newBoard(state.view);

const client = new SplitlineClient();

/* A board for the current race, with its ranking from the event topic when known. */
function newBoard(view) {
  const b = new Board(view, state.points);
  if (state.ev && state.race) b.setRanking(state.ev.ranking(state.race), state.ev.precision(state.race));
  return b;
}

function viewFromParams() {
  const sex = params.get('sex');
  const cat = params.get('cat');
  if (sex && /^[MFX]$/i.test(sex)) return { kind: 'sex', key: sex.toUpperCase() };
  if (cat) return { kind: 'cat', key: cat };
  return { kind: 'all' };
}

function resultsTopic(race, view) {
  if (view.kind === 'sex') return `results/${race}/sex/${view.key}`;
  if (view.kind === 'cat') return `results/${race}/cat/${view.key}`;
  return `results/${race}`;
}

/* ---- topics ---- */

function followRace(race) {
  if (state.topic) client.unsubscribe(state.topic);
  if (state.feedTopic) client.unsubscribe(state.feedTopic);
  state.race = race;
  state.points.useConfig(state.ev.points(race).map((p) => p.id));
  state.board = newBoard(state.view);
  state.feed = new FinishFeed(50);
  state.subError = '';
  state.topic = resultsTopic(race, state.view);
  state.feedTopic = `finishes/${race}`;
  client.subscribe(state.topic, { limit: SNAPSHOT_LIMIT });
  client.subscribe(state.feedTopic, { limit: 50 });
  drawRaceHeading();
  fillRacePicker(el.racePick, state.ev, race);
  drawFilterMenu();
  fitSplits();
  drawFeed();
  drawPrintouts(el.printouts, race);
  drawShareBox();
  scheduleDraw(true);
}

/* The event's share link and QR code (the button in the header opens it). */
function drawShareBox() {
  const p = new URLSearchParams();
  if (params.get('event')) p.set('event', params.get('event'));
  if (state.race) p.set('race', state.race);
  const url = `${location.origin}${location.pathname}?${p}`;
  if (el.share.dataset.url === url) return;
  el.share.dataset.url = url;
  drawShare(el.share, url, state.ev.known() ? state.ev.name : 'the results');
}
el.shareBtn.addEventListener('click', () => {
  el.share.hidden = !el.share.hidden;
  el.shareBtn.setAttribute('aria-expanded', String(!el.share.hidden));
});

function drawRaceHeading() {
  el.race.textContent = state.race ? `· ${state.ev.raceName(state.race)}` : '';
  // a race ranked by gun time: its time column first
  const gun = (state.ev.ranking(state.race) || state.board.basis) === 'gun';
  el.headNet.textContent = gun ? 'Gun time' : 'Net time';
  el.headGun.textContent = gun ? 'Net time' : 'Gun time';
}

function setView(view) {
  state.view = view;
  const u = new URL(location.href);
  u.searchParams.delete('sex');
  u.searchParams.delete('cat');
  if (view.kind === 'sex') u.searchParams.set('sex', view.key);
  if (view.kind === 'cat') u.searchParams.set('cat', view.key);
  history.replaceState(null, '', u);
  if (state.topic) client.unsubscribe(state.topic);
  state.board = newBoard(view);
  state.subError = '';
  state.topic = resultsTopic(state.race, view);
  client.subscribe(state.topic, { limit: SNAPSHOT_LIMIT });
  const top = el.list.getBoundingClientRect().top + scrollY - barHeight();
  if (scrollY > top) scrollTo(0, Math.max(0, top));
  scheduleDraw(true);
}

function startFollowing() {
  if (state.started) return;
  state.started = true;
  let race = state.race;
  if (!race) {
    const st = state.status ? parseStatus(state.status, null) : null;
    const h = client.health || {};
    race =
      (st && st.races[0]) ||
      (Array.isArray(h.races) && h.races.length && (h.races[0].id || h.races[0])) ||
      h.race ||
      'marathon';
  }
  followRace(String(race));
}

/* The event topic: names, course order, ranking; sent again on a config or wave start change. */
followEvent(client, (ev) => {
  state.ev = ev;
  drawEventTitle(el.title, ev, client.event);
  if (ev.known()) document.title = `${ev.name} · live results`;
  if (state.race) {
    state.points.useConfig(ev.points(state.race).map((p) => p.id));
    state.board.syncPoints();
    state.board.setRanking(ev.ranking(state.race), ev.precision(state.race));
  }
  drawRaceHeading();
  fillRacePicker(el.racePick, ev, state.race);
  drawFilterMenu();
  fitSplits();
  drawCounts();
  for (const r of pool) r.row = null; // point names in the cells
  visibleVersion = -1;
  scheduleDraw(true);
});

el.racePick.addEventListener('change', () => {
  const race = el.racePick.value;
  if (!race || race === state.race) return;
  state.raceFixed = true;
  const u = new URL(location.href);
  u.searchParams.set('race', race);
  // another race has other categories: back to everyone
  u.searchParams.delete('sex');
  u.searchParams.delete('cat');
  history.replaceState(null, '', u);
  params.set('race', race);
  initNav(params);
  state.cats = new Set();
  state.sexes = new Set();
  state.view = { kind: 'all' };
  followRace(race);
});

client.on('hello', (reply) => {
  const ev = reply.event || client.event;
  if (!state.ev.known()) {
    el.title.textContent = ev;
    document.title = `${ev} · live results`;
  }
  if (!state.started) {
    client.subscribe('status');
    if (state.raceFixed) startFollowing();
    else setTimeout(startFollowing, RACE_WAIT_MS); // let status name the races first, if it can
  }
});

client.on('message', (m) => {
  lastDataAt = Date.now();
  if (m.topic === 'status') {
    state.status = m.t === 'delta' && state.status ? { ...state.status, ...m, rows: m.rows || state.status.rows } : m;
    if (!state.started) startFollowing(); // status answered: it named races or it will not
    else if (state.started && !state.raceFixed) maybeSwitchRace();
    drawCounts();
    return;
  }
  if (m.topic === state.topic) {
    if (m.t === 'snapshot') {
      state.board.applySnapshot(m);
      if (state.board.wantFull || state.query.trim() || state.club || state.country || WANT_ALL) loadFull();
    } else if (m.t === 'delta') state.board.applyDelta(m);
    learnFilters(m.rows);
    scheduleDraw();
    return;
  }
  if (m.topic === state.feedTopic) {
    if (m.t === 'snapshot') state.feed.applySnapshot(m);
    else if (m.t === 'delta') state.feed.applyDelta(m);
    drawFeed();
  }
});

/* Without ?race=: when the race we guessed has no results but status names others, follow the first. */
function maybeSwitchRace() {
  const st = parseStatus(state.status, state.race);
  if (!st.races.length || st.races.includes(state.race)) return;
  if (state.board.entries.size > 0) return;
  followRace(st.races[0]);
}

client.on('reply-error', (err, req) => {
  if (req && req.t === 'subscribe' && req.topic === state.topic) {
    state.subError =
      err.code === 'not_found'
        ? `No results for '${req.topic.replace(/^results\//, '')}' on this server.`
        : `The server refused ${req.topic}: ${err.msg || err.code}`;
    if (!state.raceFixed) maybeSwitchRace();
    scheduleDraw(true);
  } else if (req && req.t === 'subscribe' && req.topic === 'status') {
    drawCounts();
  }
});

const CONN_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  delayed: 'Data delayed',
  error: 'Not available',
};

let lastDataAt = 0; // when the server last sent data (shown while not live)

client.on('state', (s, detail) => {
  el.conn.className = `conn conn-${s}`;
  el.connText.textContent = CONN_TEXT[s] || s;
  el.conn.title = detail || '';
  drawConnDetail();
  if (s === 'error') drawInfo();
  document.documentElement.dataset.conn = s; // for tests and styling
});

function drawConnDetail() {
  const s = client.state;
  el.connDetail.textContent =
    s === 'live' || s === 'connecting' || !lastDataAt ? '' : `results as of ${fmtClock(lastDataAt)}`;
}

/* ---- the whole list, over HTTP, when the snapshot was cut ---- */

let fullLoad = null; // the board being completed
let fullFailAt = 0;

async function loadFull() {
  const b = state.board;
  b.wantFull = true;
  if (!b.hasSnapshot || b.full() || fullLoad === b) return;
  if (Date.now() - fullFailAt < 5000) return;
  const { view, race } = state;
  const since = Date.now();
  fullLoad = b;
  drawMore();
  try {
    const res = await fetch(api(`results/${encodeURIComponent(race)}.json`), { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = await res.json();
    let rows = Array.isArray(doc) ? doc : doc.rows || doc.results || [];
    if (view.kind === 'sex') rows = rows.filter((r) => r && r.sex === view.key);
    else if (view.kind === 'cat') rows = rows.filter((r) => r && Array.isArray(r.cats) && r.cats.includes(view.key));
    if (state.board === b) {
      b.mergeFull(rows, since);
      learnFilters(rows);
    }
  } catch (e) {
    fullFailAt = Date.now();
    console.warn('splitline: cannot load the whole list:', e);
  } finally {
    if (fullLoad === b) fullLoad = null;
    drawMore();
    visibleVersion = -1; // redraw the info line and the list
    scheduleDraw(true);
  }
}

function drawMore() {
  const b = state.board;
  el.more.innerHTML = '';
  if (!b.hasSnapshot || b.full()) return;
  if (fullLoad === b) {
    el.more.textContent = `Loading all ${fmtInt(b.n)} runners…`;
    return;
  }
  el.more.append(`Showing ${fmtInt(b.entries.size)} of ${fmtInt(b.n)} runners. `);
  const btn = document.createElement('button');
  btn.type = 'button';
  btn.textContent = 'Show all';
  btn.addEventListener('click', () => loadFull());
  el.more.append(btn);
}

/* ---- counts ---- */

function drawCounts() {
  let st = state.status ? parseStatus(state.status, state.race) : null;
  if (!st || (st.finished == null && st.participants == null)) {
    // No status topic (yet): count what the overall board holds.
    const b = state.board;
    if (state.view.kind !== 'all' || !b.hasSnapshot) {
      el.counts.textContent = client.ready ? 'Counting…' : 'Connecting…';
      return;
    }
    let fin = 0;
    let started = 0;
    for (const e of b.entries.values()) {
      const s = e.row.status;
      if (s === 'finished') fin++;
      if (s && s !== 'registered' && s !== 'dns') started++;
    }
    st = { finished: fin, started, participants: b.n || b.entries.size };
  }
  el.counts.innerHTML = '';
  const parts = [
    [st.finished, 'finished'],
    [st.started, 'started'],
    [st.participants, 'registered'],
  ];
  parts.forEach(([n, label], i) => {
    if (i) el.counts.append(' · ');
    const b = document.createElement('b');
    b.textContent = fmtInt(n);
    el.counts.append(b, ` ${label}`);
  });
  // provisional, official or corrected after official: who and when in the title
  const lab = resultsLabel(st.results, fmtClockOf);
  if (lab) {
    const r = document.createElement('span');
    r.className = `res-state ${lab.cls}`;
    r.textContent = lab.text;
    r.title = lab.title;
    el.counts.append(' · ', r);
  }
}

/* ---- filter menu: sexes and categories seen in the rows ---- */

const SEX_LABEL = { M: 'Men', F: 'Women', X: 'Non-binary' };

function learnFilters(rows) {
  if (!Array.isArray(rows)) return;
  let grew = false;
  let places = false;
  for (const r of rows) {
    if (r.club && !state.clubs.has(r.club)) {
      state.clubs.add(r.club);
      places = true;
    }
    if (r.country && !state.countries.has(r.country)) {
      state.countries.add(r.country);
      places = true;
    }
    if (r.sex && !state.sexes.has(r.sex)) {
      state.sexes.add(r.sex);
      grew = true;
    }
    if (Array.isArray(r.cats)) {
      for (const c of r.cats) {
        if (!state.cats.has(c)) {
          state.cats.add(c);
          grew = true;
        }
      }
    }
  }
  if (grew) drawFilterMenu();
  if (places) drawPlaceFilters();
}

/* Club and country menus: shown only where the rows have them. */
function drawPlaceFilters() {
  for (const [sel, set, all, cur] of [[el.club, state.clubs, 'All clubs', state.club], [el.country, state.countries, 'All countries', state.country]]) {
    if (cur) set.add(cur);
    const label = sel.closest('label');
    label.hidden = set.size === 0;
    const key = [...set].sort().join('\n');
    if (sel.dataset.key === key) continue;
    sel.dataset.key = key;
    sel.replaceChildren(new Option(all, ''), ...[...set].sort((a, b) => a.localeCompare(b)).map((v) => new Option(v, v)));
    sel.value = cur;
  }
}

for (const [sel, k] of [[el.club, 'club'], [el.country, 'country']]) {
  sel.addEventListener('change', () => {
    state[k] = sel.value;
    const u = new URL(location.href);
    if (sel.value) u.searchParams.set(k, sel.value);
    else u.searchParams.delete(k);
    history.replaceState(null, '', u);
    if (sel.value) loadFull(); // a filter looks at every runner
    visibleVersion = -1;
    scheduleDraw(true);
  });
}

function viewValue(v) {
  return v.kind === 'all' ? '' : `${v.kind}/${v.key}`;
}

function drawFilterMenu() {
  if (state.view.kind === 'sex') state.sexes.add(state.view.key);
  if (state.view.kind === 'cat') state.cats.add(state.view.key);
  const sel = el.cat;
  const keep = viewValue(state.view);
  sel.innerHTML = '';
  sel.append(new Option('All runners', ''));
  for (const s of ['F', 'M', 'X']) {
    if (state.sexes.has(s)) sel.append(new Option(SEX_LABEL[s], `sex/${s}`));
  }
  // the race's categories from the event topic (config order), then any other seen in the rows
  const cats = state.ev.categories(state.race).map((c) => c.id);
  for (const c of [...state.cats].sort()) if (!cats.includes(c)) cats.push(c);
  if (cats.length) {
    const g = document.createElement('optgroup');
    g.label = 'Categories';
    for (const c of cats) g.append(new Option(state.ev.catName(state.race, c), `cat/${c}`));
    sel.append(g);
  }
  sel.value = keep;
}

el.cat.addEventListener('change', () => {
  const v = el.cat.value;
  if (!v) setView({ kind: 'all' });
  else {
    const i = v.indexOf('/');
    setView({ kind: v.slice(0, i), key: v.slice(i + 1) });
  }
});

let qTimer = null;
el.q.value = state.query;
el.q.addEventListener('input', () => {
  clearTimeout(qTimer);
  qTimer = setTimeout(() => {
    state.query = el.q.value;
    if (state.query.trim()) loadFull(); // a search looks at every runner
    scheduleDraw(true);
  }, 120);
});

/* ---- the leaderboard, windowed ---- */

let rowH = 58;
let drawTimer = null;
let lastDraw = 0;
let rafPending = false;
let visible = []; // current filtered + ordered entries
let visibleVersion = -1;
let visibleQuery = null;
let visibleBoard = null;
const pool = []; // row elements in the DOM

function readRowHeight() {
  const v = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row-h'));
  rowH = Number.isFinite(v) && v > 10 ? v : 58;
}

function barHeight() {
  const bar = document.querySelector('.bar');
  return bar ? bar.getBoundingClientRect().height : 0;
}

/* Data changed: redraw soon, at most every DRAW_MS.  now=true: next frame. */
function scheduleDraw(now = false) {
  if (now) {
    clearTimeout(drawTimer);
    drawTimer = null;
    requestFrame();
    return;
  }
  if (drawTimer) return;
  const wait = Math.max(0, DRAW_MS - (performance.now() - lastDraw));
  drawTimer = setTimeout(() => {
    drawTimer = null;
    requestFrame();
  }, wait);
}

function requestFrame() {
  if (rafPending) return;
  rafPending = true;
  requestAnimationFrame(() => {
    rafPending = false;
    draw();
  });
}

function draw() {
  lastDraw = performance.now();
  const b = state.board;
  if (b !== visibleBoard || b.version !== visibleVersion || state.query !== visibleQuery) {
    visible = b.search(state.query);
    if (state.club) visible = visible.filter((e) => e.row.club === state.club);
    if (state.country) visible = visible.filter((e) => e.row.country === state.country);
    visibleBoard = b;
    visibleVersion = b.version;
    visibleQuery = state.query;
    el.list.style.height = `${visible.length * rowH}px`;
    el.list.setAttribute('aria-rowcount', String(visible.length));
    if (state.view.kind === 'all') drawCounts();
    drawMore();
  }
  drawInfo();
  drawRows();
}

function drawInfo() {
  const b = state.board;
  let text = '';
  if (client.state === 'error') text = `Cannot show results: ${client.stateDetail}.`;
  else if (state.subError) text = state.subError;
  else if (!b.hasSnapshot) text = client.ready ? 'Loading results…' : 'Waiting for results…';
  else if (!b.entries.size) text = 'No runner in this list yet.';
  else if (state.query.trim() && fullLoad === b) text = `${fmtInt(visible.length)} found so far; loading all ${fmtInt(b.n)} runners…`;
  else if (state.query.trim() && !visible.length) text = `No runner matches “${state.query.trim()}”.`;
  else if (state.query.trim() || state.club || state.country) text = visible.length ? `${fmtInt(visible.length)} of ${fmtInt(b.entries.size)} runners match.` : 'No runner matches these filters.';
  if (el.info.textContent !== text) el.info.textContent = text; // aria-live: only real changes
}

function drawRows() {
  const listTop = el.list.getBoundingClientRect().top; // relative to the viewport
  const vh = window.innerHeight || document.documentElement.clientHeight;
  let first = Math.floor(-listTop / rowH) - OVERSCAN;
  let last = Math.ceil((vh - listTop) / rowH) + OVERSCAN;
  first = Math.max(0, first);
  last = Math.min(visible.length, last);
  const count = Math.max(0, last - first);
  while (pool.length < count) {
    const r = makeRow();
    pool.push(r);
    el.list.append(r.el);
  }
  while (pool.length > count) pool.pop().el.remove();
  const now = Date.now();
  for (let i = 0; i < count; i++) fillRow(pool[i], first + i, visible[first + i], now);
  // Near the end of a cut list: fetch the rest.
  const b = state.board;
  if (visible.length && last >= visible.length - OVERSCAN && b.hasSnapshot && !b.full()) loadFull();
}

const CELLS = ['place', 'name', 'sub', 'bib', 'club', 'sex', 'age', 'cat', 'last', 'splits', 'net', 'gun', 'pace', 'status'];

function makeRow() {
  const e = document.createElement('div');
  e.setAttribute('role', 'row');
  const cells = {};
  for (const c of CELLS) {
    const s = document.createElement('span');
    s.className = `c-${c}`;
    s.setAttribute('role', 'cell');
    e.append(s);
    cells[c] = s;
  }
  cells.splits.setAttribute('role', 'none');
  return { el: e, cells, row: null, index: -1, hot: null, view: null, splitKey: '' };
}

/* ---- split columns (desktop) ---- */

const SPLIT_W_REM = 4.4;
const NAME_MIN_REM = 12;
const CLUB_MIN_REM = 7;

/* n of the list, evenly spaced, the last always in. */
function spread(list, n) {
  if (n >= list.length) return list.slice();
  const out = [];
  for (let i = 0; i < n; i++) out.push(list[Math.round(((i + 1) * list.length) / n) - 1]);
  return out;
}

/* How many split columns fit, and which: measured on the head row. */
function fitSplits() {
  const splits = state.ev.points(state.race).filter((p) => p.role === 'split').map((p) => p.id);
  let n = 0;
  if (splits.length && matchMedia('(min-width: 1200px)').matches) {
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 17;
    const head = document.querySelector('.thead');
    const w = (sel) => {
      const x = head.querySelector(sel);
      return x && getComputedStyle(x).display !== 'none' ? x.getBoundingClientRect().width : null;
    };
    const gap = parseFloat(getComputedStyle(head).columnGap) || 10;
    const name = w('.c-name') || 0;
    const club = w('.c-club');
    const shown = state.splitCols.length;
    // the room the flexible columns have beyond their minimum, plus what the splits hold now
    let free = name - NAME_MIN_REM * rem + (club != null ? club - CLUB_MIN_REM * rem : 0);
    if (shown) free += w('.c-splits') + gap;
    n = Math.max(0, Math.min(splits.length, Math.floor(free / (SPLIT_W_REM * rem + gap))));
  }
  const cols = spread(splits, n);
  if (cols.join('\n') === state.splitCols.join('\n') && el.splitHead.childElementCount === cols.length) {
    drawSplitHead(); // names may have changed
    return;
  }
  state.splitCols = cols;
  el.board.classList.toggle('with-splits', cols.length > 0);
  el.board.style.setProperty('--nsplit', String(cols.length));
  drawSplitHead();
  for (const r of pool) r.row = null;
  requestFrame();
}

function drawSplitHead() {
  el.splitHead.innerHTML = '';
  for (const p of state.splitCols) {
    const s = document.createElement('span');
    s.setAttribute('role', 'columnheader');
    s.dataset.pt = p;
    s.textContent = state.ev.pointName(state.race, p);
    s.title = state.ev.pointLabel(state.race, p);
    el.splitHead.append(s);
  }
}

function fillRow(r, index, entry, now) {
  const row = entry.row;
  const hot = now - entry.changedAt < HOT_MS;
  if (r.row === row && r.index === index && r.hot === hot && r.place === entry.place && r.view === state.view) return;
  if (r.index !== index) {
    r.el.style.transform = `translateY(${index * rowH}px)`;
    r.el.setAttribute('aria-rowindex', String(index + 1));
  }
  r.row = row;
  r.index = index;
  r.hot = hot;
  r.place = entry.place;
  r.view = state.view;
  r.el.className = `row st-${row.status || 'registered'}${index % 2 ? ' z' : ''}${hot ? ' hot' : ''}`;
  r.el.dataset.bib = entry.bib;
  const c = r.cells;
  c.place.textContent = entry.place != null ? String(entry.place) : '';
  // the name, and the club after it where the club has no column of its own (CSS)
  const link = document.createElement('a');
  link.className = 'name-link';
  link.href = athleteHref(row.race || state.race, entry.bib, params);
  link.textContent = row.name || `Bib ${entry.bib}`;
  c.name.replaceChildren(link);
  if (row.club) {
    const club = document.createElement('span');
    club.className = 'n-club';
    club.textContent = row.club;
    c.name.append(club);
  }
  c.name.title = row.club ? `${c.name.firstChild.textContent} · ${row.club}` : '';
  c.bib.textContent = entry.bib;
  c.sex.textContent = row.sex || '';
  c.club.textContent = row.club || '';
  // A gun race shows gun time first (and its projections in gun time), net in the other column.
  const gunRace = state.board.basis === 'gun';
  const other = gunRace ? row.net : row.gun;
  c.gun.textContent = row.status === 'finished' && typeof other === 'number' ? fmtDuration(other) : '';
  // category and place in it (the server's: re-sent with each change of the row)
  const pc = row.place_cat && typeof row.place_cat === 'object' ? row.place_cat : {};
  const cats = Array.isArray(row.cats) ? row.cats.map((k) => (typeof pc[k] === 'number' ? `${k} (${pc[k]})` : k)).join(', ') : '';
  const age = typeof row.age === 'number' ? String(row.age) : '';
  c.age.textContent = [row.sex, age].filter(Boolean).join(' ');
  c.cat.textContent = cats;
  c.cat.title = Array.isArray(row.cats) ? row.cats.map((k) => state.ev.catName(state.race, k) + (typeof pc[k] === 'number' ? ` (${pc[k]})` : '')).join(', ') : '';
  const lastAt = row.last && row.splits ? row.splits[row.last] : null;
  const showAt = typeof lastAt === 'number' && row.last !== 'start' && row.last !== 'finish';
  const lastText = row.last ? `${state.ev.pointName(state.race, row.last)}${showAt ? ' ' + fmtDuration(lastAt) : ''}` : '';
  c.last.textContent = lastText;
  if (state.splitCols.length) {
    const sp = row.splits || {};
    c.splits.replaceChildren(...state.splitCols.map((p) => {
      const s = document.createElement('span');
      s.setAttribute('role', 'cell');
      s.dataset.pt = p;
      s.textContent = typeof sp[p] === 'number' ? fmtDuration(sp[p]) : '';
      return s;
    }));
  } else if (c.splits.firstChild) c.splits.replaceChildren();
  const finished = row.status === 'finished' && typeof row.net === 'number';
  const status = STATUS_LABEL[row.status] || row.status || '';
  const pf = projectedFinish(row, { ranking: gunRace ? 'gun' : 'net', waveStart: state.ev.waveStart(state.race, row.wave) });
  const why = reasonsText(row);
  if (finished) {
    // the time that ranks: adjusted by a penalty or bonus when an official gave one
    const adj = adjustmentText(row);
    const main = adj && typeof row.adj === 'number' ? row.adj : gunRace && typeof row.gun === 'number' ? row.gun : row.net;
    c.net.textContent = fmtDuration(main);
    if (adj) {
      const b = document.createElement('span');
      b.className = 'adj';
      b.textContent = ` ${adj}`;
      c.net.append(b);
    }
    const parts = [];
    if (adj) parts.push(`${fmtDuration(gunRace && typeof row.gun === 'number' ? row.gun : row.net)} measured ${adj}`);
    if (typeof other === 'number') parts.push(`${gunRace ? 'net' : 'gun'} ${fmtDuration(other)}`);
    if (why) parts.push(why);
    c.net.title = parts.join(' · ');
  } else if (pf && (row.status === 'on_course' || row.status === 'started')) {
    c.net.innerHTML = '';
    const p = document.createElement('span');
    p.className = 'proj';
    p.textContent = `~${fmtDuration(pf.ms)}`;
    c.net.title = `projected finish (${pf.basis} time)`;
    c.net.append(p);
  } else {
    c.net.textContent = row.status === 'dnf' || row.status === 'dns' || row.status === 'dsq' ? status : '–';
    c.net.title = why;
  }
  c.pace.textContent = fmtPace(row.pace);
  c.status.textContent = status;
  // phone: one line of details under the name
  const sub = [`#${entry.bib}`];
  if (!finished) sub.push(lastText && row.status !== 'started' ? lastText : status);
  if (why && (row.status === 'dsq' || row.status === 'dnf' || row.status === 'dns' || adjustmentText(row))) sub.push(why);
  if (row.sex || age) sub.push(`${row.sex || ''}${age ? ' ' + age : ''}`.trim());
  if (cats) sub.push(cats);
  if (row.club) sub.push(row.club);
  c.sub.textContent = sub.join(' · ');
}

/* ---- finish feed ---- */

const feedArrived = new Map(); // bib -> when it first appeared (highlight new finishers)
let feedPrimed = false;
function drawFeed() {
  const items = state.feed.items;
  el.feed.innerHTML = '';
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'feed-empty';
    li.textContent = 'No finisher yet';
    el.feed.append(li);
    return;
  }
  const now = Date.now();
  for (const row of items) {
    const bib = String(row.bib);
    if (!feedArrived.has(bib)) feedArrived.set(bib, feedPrimed ? now : 0);
  }
  feedPrimed = true;
  if (feedArrived.size > 500) {
    const keep = new Set(items.map((r) => String(r.bib)));
    for (const bib of feedArrived.keys()) if (!keep.has(bib)) feedArrived.delete(bib);
  }
  for (const row of items) {
    const bib = String(row.bib);
    const li = document.createElement('li');
    li.dataset.bib = bib;
    if (now - feedArrived.get(bib) < HOT_MS) li.className = 'fresh';
    const name = document.createElement('a');
    name.className = 'f-name name-link';
    name.href = athleteHref(row.race || state.race, bib, params);
    name.textContent = row.name || `Bib ${bib}`;
    const time = document.createElement('span');
    time.className = 'f-time';
    time.textContent = fmtDuration(row.net);
    const meta = document.createElement('span');
    meta.className = 'f-meta';
    meta.append(' ');
    // the overall board's place is current; the row's was current when it finished
    const be = state.view.kind === 'all' ? state.board.entries.get(bib) : null;
    const place = be && be.place != null ? be.place : row.place;
    if (typeof place === 'number') {
      const b = document.createElement('b');
      b.textContent = ordinal(place);
      meta.append(b, ' · ');
    }
    meta.append(`#${bib}`);
    const at = typeof row.start === 'number' ? fmtClock(FinishFeed.finishAt(row)) : '';
    if (at) meta.append(` · ${at}`);
    li.append(name, time, meta);
    el.feed.append(li);
  }
}

function ordinal(n) {
  const t = n % 100;
  const suf = t >= 11 && t <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th';
  return `${n}${suf}`;
}

/* ---- events ---- */

addEventListener('scroll', () => requestFrame(), { passive: true });
addEventListener('resize', () => {
  const before = rowH;
  readRowHeight();
  fitSplits();
  if (rowH !== before) {
    for (const r of pool) r.index = -1;
    visibleVersion = -1;
  }
  requestFrame();
});
// Let highlights of changed rows and new finishers fade.
setInterval(() => {
  requestFrame();
  if (el.feed.querySelector('.fresh')) drawFeed();
}, 1000);

readRowHeight();
drawFilterMenu();
drawPlaceFilters();
drawFeed();
client.start();

// For tests and debugging in the console.
globalThis.splitline = { client, state, draw };
