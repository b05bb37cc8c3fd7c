/*
 * announcer.js: the announcer's screen.  Holds the race's ranking
 * (results/<race>: a Board, the top rows over the socket, the rest once over
 * HTTP, deltas live) and, every second, lists the runners on course expected
 * at the chosen point (default the finish) within the next N minutes,
 * soonest first, with name, club, category, projected time and projected
 * place (overall and in the category), so that they can be called out.
 * The selection is project.js's upcoming(), checked by node tests; the race
 * clock is common.js's RaceClock (follows a replay; ?now= pins it).
 * The `event` topic (event.js) names the event, the races (a race menu
 * when there are several), the points and categories, orders the points
 * and gives their distances (the times of arrival at a point nobody has
 * reached yet), the ranking and the waves' starts: in a race ranked by gun
 * time the projected finish shown is gun time and the projected places are
 * by gun time (project.js projectedFinish), following wave start changes.
 * On a phone (390 px) a call takes three lines beside its time to go, so
 * that the name is never cut; the order (soonest first) and what "late"
 * on yellow means are said above the list; every projection is called
 * "projected".
 * For tests: #calls carries data-now (the clock of the last drawing),
 * data-basis (net|gun: the race's ranking) and each item data-bib, data-eta
 * (expected at, ms) and data-proj (the projected finish shown, ms).
 */
import { SplitlineClient, api } from './protocol.js';
import { Board, PointOrder, parseStatus, fmtDuration } from './board.js';
import { learnGeometry, makeProjector, upcoming, projectedFinish, FINISH } from './project.js';
import { connBadge, RaceClock, fmtClockOf, ordinal, h, initNav, pickRace, followEvent, drawEventTitle, fillRacePicker, showResultsState, mergeStatus } from './common.js';
import { EventInfo } from './event.js';

const params = new URLSearchParams(location.search);
const client = new SplitlineClient();
const badge = connBadge(client);
const clock = RaceClock.fromParams(params);
initNav(params);

const $ = (id) => document.getElementById(id);
const state = {
  race: null,
  status: null, // the status topic (results state)
  board: new Board({ kind: 'all' }, new PointOrder()),
  point: params.get('point') || FINISH,
  windowMin: Number(params.get('window')) > 0 ? Number(params.get('window')) : 5,
  graceMin: params.get('grace') != null && Number(params.get('grace')) >= 0 ? Number(params.get('grace')) : 1,
  loading: false,
  failedAt: 0,
  geomVersion: -1,
  geom: null,
  projector: null,
  list: [],
  ev: EventInfo.empty(),
};

function follow(race) {
  if (state.race === race) return;
  if (state.race) client.unsubscribe(`results/${state.race}`);
  state.race = race;
  state.board = new Board({ kind: 'all' }, new PointOrder());
  state.geomVersion = -1;
  client.subscribe(`results/${race}`, { limit: 1000 });
  showResultsState($('res-state'), state.status, race);
  applyEvent();
}

/* What the event topic says about the followed race. */
function applyEvent() {
  const ev = state.ev;
  drawEventTitle($('title'), ev, 'Announcer');
  $('page-name').textContent = ev.known() ? '· Announcer' : '';
  fillRacePicker($('race-pick'), ev, state.race);
  if (!state.race) return;
  $('race').textContent = `· ${ev.raceName(state.race)}`;
  state.board.points.useConfig(ev.points(state.race).map((p) => p.id));
  state.board.syncPoints();
  state.board.setRanking(ev.ranking(state.race), ev.precision(state.race));
  state.geomVersion = -1; // geometry, ranking and wave starts
  pointsShown = '';
  drawPoints();
  draw();
}

followEvent(client, (ev) => {
  state.ev = ev;
  applyEvent();
});

$('race-pick').addEventListener('change', () => {
  const race = $('race-pick').value;
  if (!race || race === state.race) return;
  const u = new URL(location.href);
  u.searchParams.set('race', race);
  history.replaceState(null, '', u);
  params.set('race', race);
  initNav(params);
  follow(race);
});

async function loadFull() {
  const b = state.board;
  if (state.loading || !b.hasSnapshot || b.full() || Date.now() - state.failedAt < 10000) return;
  state.loading = true;
  const since = Date.now();
  try {
    const res = await fetch(api(`results/${encodeURIComponent(state.race)}.json`), { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = await res.json();
    const rows = Array.isArray(doc) ? doc : doc.rows || doc.results || [];
    if (b === state.board) {
      b.mergeFull(rows, since);
      for (const r of rows) clock.seeRow(r, since);
    }
  } catch (e) {
    state.failedAt = Date.now();
    console.warn('splitline: cannot load the race:', e);
  } finally {
    state.loading = false;
    draw();
  }
}

client.on('hello', () => {
  client.subscribe('status'); /* the races, and each one's results state */
  if (params.get('race')) follow(params.get('race'));
  else setTimeout(() => follow(pickRace(params, client, null)), 1500);
});

client.on('message', (m) => {
  badge.touch();
  if (m.topic === 'status') {
    state.status = mergeStatus(state.status, m);
    if (!state.race) follow(pickRace(params, client, parseStatus(state.status, null).races));
    else showResultsState($('res-state'), state.status, state.race);
    return;
  }
  if (m.topic !== `results/${state.race}`) return;
  const now = Date.now();
  if (m.t === 'snapshot') {
    state.board.applySnapshot(m);
    loadFull();
  } else if (m.t === 'delta') state.board.applyDelta(m);
  if (Array.isArray(m.rows)) for (const r of m.rows) clock.seeRow(r, now);
  drawPoints();
});

/* ---- controls ---- */

const pointSel = $('point');
const winSel = $('window');
if (![...winSel.options].some((o) => Number(o.value) === state.windowMin)) winSel.append(new Option(`${state.windowMin} min`, String(state.windowMin)));
winSel.value = String(state.windowMin);
winSel.addEventListener('change', () => {
  state.windowMin = Number(winSel.value);
  draw();
});
pointSel.addEventListener('change', () => {
  state.point = pointSel.value;
  draw();
});

let pointsShown = '';
function drawPoints() {
  const cfg = state.ev.points(state.race).filter((p) => p.role !== 'start').map((p) => p.id);
  const ids = cfg.length ? cfg : state.board.points.ids().filter((p) => p !== 'start');
  if (!ids.includes(state.point)) ids.push(state.point);
  const key = ids.join(',');
  if (key === pointsShown) return;
  pointsShown = key;
  pointSel.innerHTML = '';
  for (const p of ids) pointSel.append(new Option(state.ev.pointLabel(state.race, p), p));
  pointSel.value = state.point;
}

/* ---- the list ---- */

function draw() {
  const b = state.board;
  const now = clock.now();
  $('clock').textContent = fmtClockOf(now);
  const info = $('info');
  const calls = $('calls');
  if (!b.hasSnapshot) {
    info.textContent = client.ready ? 'Loading results…' : 'Waiting for results…';
    return;
  }
  if (b.version !== state.geomVersion) {
    const rows = [...b.entries.values()].map((e) => e.row);
    state.rows = rows;
    state.geom = learnGeometry(rows, state.ev.race(state.race));
    const opts = { precision: b.precision, basis: b.basis, waves: state.ev.waveStarts(state.race) };
    state.projector = b.full() ? makeProjector(rows, opts) : null;
    state.geomVersion = b.version;
  }
  const list = upcoming(state.rows, {
    now,
    windowMs: state.windowMin * 60000,
    graceMs: state.graceMin * 60000,
    point: state.point,
    geom: state.geom,
  });
  state.list = list;
  calls.dataset.now = String(now);
  calls.dataset.point = state.point;
  calls.dataset.window = String(state.windowMin);
  calls.dataset.basis = b.basis;
  const where = state.point === FINISH ? 'the finish' : state.ev.pointName(state.race, state.point);
  $('order').textContent = `Expected at ${where} in the next ${state.windowMin} min, soonest first.`;
  let text = list.length ? '' : `Nobody expected at ${where} in the next ${state.windowMin} min.`;
  if (!b.full()) text = `${text} Loading the whole field…`.trim();
  if (info.textContent !== text) info.textContent = text;
  calls.innerHTML = '';
  for (const u of list) calls.append(drawCall(u));
}

const mmss = (ms) => {
  const s = Math.round(Math.abs(ms) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/*
 * One runner to call: the time to go (big; "now" under 30 s; "late" on a
 * yellow ground when expected already and not in yet, as the legend
 * says), the name whole (it wraps on a phone, never "P..."), bib, club,
 * category and the expected clock time, and the projections, each called
 * "projected": the finish time (gun or net in a gun race) and the places.
 */
function drawCall(u) {
  const r = u.row;
  const li = h('li', u.overdue ? 'call overdue' : 'call');
  li.dataset.bib = u.bib;
  li.dataset.eta = String(u.eta);
  const eta = h('span', 'call-eta');
  const big = h('b', 'call-eta-big');
  const sub = h('span', 'call-eta-sub');
  if (u.overdue) {
    big.textContent = 'late';
    sub.textContent = `by ${mmss(u.inMs)}`;
  } else if (u.inMs < 30000) {
    big.textContent = 'now';
    sub.textContent = 'arriving';
  } else {
    big.textContent = mmss(u.inMs);
    sub.textContent = 'to go';
  }
  eta.append(big, sub);
  eta.title = `expected at ${fmtClockOf(u.eta)}`;
  const name = h('span', 'call-name', r.name || `Bib ${u.bib}`);
  const cat = Array.isArray(r.cats) && r.cats.length ? r.cats[0] : '';
  const catName = cat ? state.ev.catName(state.race, cat) : '';
  const meta = h('span', 'call-meta', [`#${u.bib}`, r.club, catName, `due ${fmtClockOf(u.eta)}`].filter(Boolean).join(' · '));
  const pp = state.projector ? state.projector(r) : null;
  const right = h('span', 'call-proj');
  // the projected finish on the race's basis: gun time in a gun race (wave start known)
  const pf = projectedFinish(r, { ranking: state.board.basis, waveStart: state.ev.waveStart(state.race, r.wave) });
  if (pf) li.dataset.proj = String(pf.ms);
  if (state.point === FINISH && pf) {
    right.append(h('span', 'call-proj-label', 'projected finish '), h('b', 'proj', fmtDuration(pf.ms)));
    if (state.board.basis === 'gun') right.append(h('span', 'call-basis', pf.basis === 'gun' ? ' gun time' : ' net time'));
  }
  if (pp) right.append(h('span', 'call-place', ` projected ${ordinal(pp.place)}${cat && pp.cats[cat] ? ` · ${ordinal(pp.cats[cat])} ${catName}` : ''}`));
  li.append(eta, name, meta, right);
  return li;
}

setInterval(draw, 1000);
client.start();
globalThis.splitline = { client, state, clock, draw };
