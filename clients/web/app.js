/*
 * app.js: the scoreboard page: wiring and rendering.
 *
 * protocol.js owns the connection (hello as spectator, resubscribe after every
 * reconnect, live/reconnecting/delayed state); board.js owns the data (rows
 * by bib, order, search).  This file decides which topics to follow and draws.
 *
 * Topics: status (counts), results/<race>[/sex/<S>|/cat/<cat>] (the
 * leaderboard: the first SNAPSHOT_LIMIT rows, then deltas of the whole
 * topic; the rest of the list from GET /api/results/<race>.json when someone
 * scrolls to the end or searches), finishes/<race> (the latest 50).
 *
 * Windowed rendering: the list is one block as tall as all rows (fixed row
 * height, from the CSS variable --row-h); only the rows in or near the
 * viewport exist in the DOM, a pool of elements reused on scroll and on
 * data changes.  Data changes are drawn at most every DRAW_MS, so a burst of
 * deltas costs one sort and one paint; the DOM size does not grow with the
 * field (26,598 runners draw the same ~40 rows as 40 runners).
 */
import { SplitlineClient } from './protocol.js';
import {
  Board,
  FinishFeed,
  PointOrder,
  parseStatus,
  fmtDuration,
  fmtPace,
  fmtClock,
  fmtPoint,
  fmtInt,
  STATUS_LABEL,
} from './board.js';
import { initNav } from './common.js';

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
  list: $('list'),
  more: $('more'),
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
  cats: new Set(),
  sexes: new Set(),
  subError: '',
  started: false,
};
state.board = new Board(state.view, state.points);

const client = new SplitlineClient({ event: params.get('event') || null });

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
  state.board = new Board(state.view, state.points);
  state.feed = new FinishFeed(50);
  state.subError = '';
  state.topic = resultsTopic(race, state.view);
  state.feedTopic = `finishes/${race}`;
  client.subscribe(state.topic, { limit: SNAPSHOT_LIMIT });
  client.subscribe(state.feedTopic, { limit: 50 });
  el.race.textContent = `· ${race}`;
  drawFeed();
  scheduleDraw(true);
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
  state.board = new Board(view, state.points);
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

client.on('hello', (reply) => {
  const ev = reply.event || client.event;
  el.title.textContent = ev;
  document.title = `${ev} · live results`;
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
      if (state.board.wantFull || state.query.trim() || WANT_ALL) loadFull();
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
    const res = await fetch(`/api/results/${encodeURIComponent(race)}.json`, { cache: 'no-store' });
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
}

/* ---- filter menu: sexes and categories seen in the rows ---- */

const SEX_LABEL = { M: 'Men', F: 'Women', X: 'Non-binary' };

function learnFilters(rows) {
  if (!Array.isArray(rows)) return;
  let grew = false;
  for (const r of rows) {
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
  if (state.cats.size) {
    const g = document.createElement('optgroup');
    g.label = 'Categories';
    for (const c of [...state.cats].sort()) g.append(new Option(c, `cat/${c}`));
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
  else if (state.query.trim()) text = `${fmtInt(visible.length)} of ${fmtInt(b.entries.size)} runners match.`;
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

const CELLS = ['place', 'name', 'sub', 'bib', 'club', 'sex', 'age', 'cat', 'last', 'net', 'gun', 'pace', 'status'];

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
  return { el: e, cells, row: null, index: -1, hot: null, view: null };
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
  c.name.textContent = row.name || `Bib ${entry.bib}`;
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
  c.gun.textContent = row.status === 'finished' && typeof row.gun === 'number' ? fmtDuration(row.gun) : '';
  // category and place in it (the server's: re-sent with each change of the row)
  const pc = row.place_cat && typeof row.place_cat === 'object' ? row.place_cat : {};
  const cats = Array.isArray(row.cats) ? row.cats.map((k) => (typeof pc[k] === 'number' ? `${k} (${pc[k]})` : k)).join(', ') : '';
  const age = typeof row.age === 'number' ? String(row.age) : '';
  c.age.textContent = [row.sex, age].filter(Boolean).join(' ');
  c.cat.textContent = cats;
  c.cat.title = cats;
  const lastAt = row.last && row.splits ? row.splits[row.last] : null;
  const showAt = typeof lastAt === 'number' && row.last !== 'start' && row.last !== 'finish';
  const lastText = row.last ? `${fmtPoint(row.last)}${showAt ? ' ' + fmtDuration(lastAt) : ''}` : '';
  c.last.textContent = lastText;
  const finished = row.status === 'finished' && typeof row.net === 'number';
  const status = STATUS_LABEL[row.status] || row.status || '';
  if (finished) {
    c.net.textContent = fmtDuration(row.net);
    c.net.title = typeof row.gun === 'number' ? `gun ${fmtDuration(row.gun)}` : '';
  } else if (typeof row.proj === 'number' && (row.status === 'on_course' || row.status === 'started')) {
    c.net.innerHTML = '';
    const p = document.createElement('span');
    p.className = 'proj';
    p.textContent = `~${fmtDuration(row.proj)}`;
    c.net.title = 'projected finish';
    c.net.append(p);
  } else {
    c.net.textContent = row.status === 'dnf' || row.status === 'dns' || row.status === 'dsq' ? status : '–';
    c.net.title = '';
  }
  c.pace.textContent = fmtPace(row.pace);
  c.status.textContent = status;
  // phone: one line of details under the name
  const sub = [`#${entry.bib}`];
  if (!finished) sub.push(lastText && row.status !== 'started' ? lastText : status);
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
    const name = document.createElement('span');
    name.className = 'f-name';
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
drawFeed();
client.start();

// For tests and debugging in the console.
globalThis.splitline = { client, state, draw };
