/*
 * kiosk.js: the big screen.  Follows results/<race>[/sex|/cat] (the first
 * ?rows= rows of the ranking and the deltas; a Board keeps order and
 * places) and finishes/<race> (a strip of the latest finishers), draws the
 * list in large type and scrolls it slowly, pausing at the top and at the
 * bottom, then starting over.  Redraws at most every second; the scroll
 * position survives a redraw.
 * The header names the event (with its date) and the race from the `event`
 * topic (ids until it comes, or without it) and shows each race's started
 * and finished counts from the `status` topic's `races` (#k-counts, one
 * .k-count[data-race] per race, the followed race first).  Points and
 * categories are named as the event config names them.
 */
import { SplitlineClient } from './protocol.js';
import { Board, FinishFeed, PointOrder, parseStatus, raceCounts, fmtDuration, fmtInt, STATUS_LABEL } from './board.js';
import { connBadge, h, pickRace, initNav, followEvent, drawEventTitle } from './common.js';
import { EventInfo } from './event.js';

const params = new URLSearchParams(location.search);
const client = new SplitlineClient({ event: params.get('event') || null });
const badge = connBadge(client);
initNav(params);
const ROWS = Math.max(10, parseInt(params.get('rows'), 10) || 200);
const SPEED = Math.max(0, Number(params.get('speed') ?? 40));
const PAUSE_MS = 4000;
const $ = (id) => document.getElementById(id);

const sex = params.get('sex');
const cat = params.get('cat');
const view = sex ? { kind: 'sex', key: sex.toUpperCase() } : cat ? { kind: 'cat', key: cat } : { kind: 'all' };
const state = { race: null, topic: null, board: new Board(view, new PointOrder()), feed: new FinishFeed(8), drawn: -1, ev: EventInfo.empty(), status: null };

function follow(race) {
  if (state.race) return;
  state.race = race;
  state.topic = view.kind === 'sex' ? `results/${race}/sex/${view.key}` : view.kind === 'cat' ? `results/${race}/cat/${view.key}` : `results/${race}`;
  client.subscribe(state.topic, { limit: ROWS });
  client.subscribe(`finishes/${race}`, { limit: 8 });
  applyEvent();
}

/* What the event topic says about the followed race: names, course order, ranking. */
function applyEvent() {
  const ev = state.ev;
  drawEventTitle($('title'), ev, client.event || 'Results');
  if (ev.known()) document.title = `${ev.name} · Results`;
  if (!state.race) return;
  const sub = view.kind === 'sex' ? view.key : view.kind === 'cat' ? ev.catName(state.race, view.key) : '';
  $('race').textContent = `· ${ev.raceName(state.race)}${sub ? ' · ' + sub : ''}`;
  state.board.points.useConfig(ev.points(state.race).map((p) => p.id));
  state.board.syncPoints();
  state.board.setRanking(ev.ranking(state.race), ev.precision(state.race));
  state.drawn = -1;
  drawCounts();
}

followEvent(client, (ev) => {
  state.ev = ev;
  applyEvent();
});

client.subscribe('status');

client.on('hello', (reply) => {
  if (!state.ev.known()) $('title').textContent = reply.event || client.event || 'Results';
  if (params.get('race')) follow(params.get('race'));
  else setTimeout(() => follow(pickRace(params, client, null)), 1500);
});

/* Started and finished per race (status topic), the followed race first. */
function drawCounts() {
  const box = $('k-counts');
  const list = raceCounts(state.status);
  if (!list.length && state.status) {
    // an older server: the totals only
    const st = parseStatus(state.status, state.race);
    if (st.started != null) list.push({ race: state.race || '', started: st.started, finished: st.finished });
  }
  list.sort((a, b) => (b.race === state.race) - (a.race === state.race));
  box.replaceChildren(...list.map((c) => {
    const d = h('span', c.race === state.race ? 'k-count k-count-main' : 'k-count');
    d.dataset.race = c.race;
    if (list.length > 1 || c.race !== state.race) d.append(h('span', 'k-count-race', state.ev.raceName(c.race)), ' ');
    d.append(h('b', 'k-started', fmtInt(c.started)), ' started · ', h('b', 'k-finished', fmtInt(c.finished)), ' finished');
    return d;
  }));
}

client.on('message', (m) => {
  badge.touch();
  if (m.topic === 'status') {
    state.status = m.t === 'delta' && state.status ? { ...state.status, ...m, rows: m.rows || state.status.rows } : m;
    if (!state.race && !params.get('race')) follow(pickRace(params, client, parseStatus(m, null).races));
    drawCounts();
    return;
  }
  if (m.topic === state.topic) {
    if (m.t === 'snapshot') state.board.applySnapshot(m);
    else if (m.t === 'delta') state.board.applyDelta(m);
  } else if (m.topic === `finishes/${state.race}`) {
    if (m.t === 'snapshot') state.feed.applySnapshot(m);
    else state.feed.applyDelta(m);
    drawLatest();
  }
});

function drawLatest() {
  const box = $('latest');
  box.innerHTML = '';
  for (const r of state.feed.items.slice(0, 4)) {
    const d = h('span', 'k-fin');
    d.dataset.bib = String(r.bib);
    d.append(h('b', '', r.name || `#${r.bib}`), ` ${fmtDuration(r.net)}`);
    box.append(d);
  }
  if (!state.feed.items.length) box.append(h('span', 'k-fin muted', 'No finisher yet'));
}

function draw() {
  const b = state.board;
  if (b.version === state.drawn) return;
  state.drawn = b.version;
  const list = b.sorted().slice(0, ROWS);
  const ol = $('rows');
  const frag = document.createDocumentFragment();
  list.forEach((e, i) => {
    const r = e.row;
    const li = h('li', `k-row${i % 2 ? ' z' : ''}`);
    li.dataset.bib = e.bib;
    const fin = r.status === 'finished' && typeof r.net === 'number';
    const cats = Array.isArray(r.cats) ? r.cats.map((c) => state.ev.catName(state.race, c)).join(', ') : '';
    li.append(
      h('span', 'k-place', e.place != null ? String(e.place) : ''),
      h('span', 'k-bib', e.bib),
      h('span', 'k-name', r.name || ''),
      h('span', 'k-club', [r.club, cats].filter(Boolean).join(' · ')),
      h('span', 'k-time', fin ? fmtDuration(state.board.basis === 'gun' && typeof r.gun === 'number' ? r.gun : r.net) : r.last && r.last !== 'start' ? state.ev.pointName(state.race, r.last) : STATUS_LABEL[r.status] || ''),
    );
    frag.append(li);
  });
  ol.replaceChildren(frag);
  if (!list.length) ol.append(h('li', 'k-row muted', b.hasSnapshot ? 'No results yet' : 'Loading…'));
}

/* ---- auto-scroll: down at SPEED px/s, pause, back to the top ---- */
let pos = 0;
let pauseUntil = performance.now() + PAUSE_MS;
let lastT = performance.now();
function tick(t) {
  const vp = $('viewport');
  const dt = Math.min(100, t - lastT);
  lastT = t;
  const max = vp.scrollHeight - vp.clientHeight;
  if (t >= pauseUntil && max > 0 && SPEED > 0) {
    pos += (SPEED * dt) / 1000;
    if (pos >= max) {
      pos = max;
      pauseUntil = t + PAUSE_MS;
      setTimeout(() => {
        pos = 0;
        vp.scrollTop = 0;
        pauseUntil = performance.now() + PAUSE_MS;
      }, PAUSE_MS);
    }
    vp.scrollTop = pos;
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
setInterval(draw, 1000);
drawLatest();
client.start();
globalThis.splitline = { client, state, draw };
