/*
 * kiosk.js: the big screen.  Results in large type, women and men side by
 * side (each its own ranking: results/<race>/sex/F and /M, places within
 * the sex; a third list, non-binary (X), once anyone in it has started,
 * without the club column),
 * or one list when asked (?sex=M|F|X, ?cat=, or ?sex=all for the
 * overall ranking); the latest finishers in a strip (finishes/<race>); per
 * race started and finished counts, the results' state (provisional,
 * official, corrected) and the race clock in the header.
 *
 * Columns: place, bib, name, club and category, where the runner is (the
 * last timing point by its name, or DNF/DSQ), and the time: a finisher's
 * result (gun time in a race ranked by gun), an on-course runner's
 * projected finish, marked "≈" and in italics (the legend says so), never a
 * point name or a status.  A name wider than its column is drawn smaller
 * (fitNames), cut only below 50%.  Runners who have not started are not listed
 * (early on the list is empty and says so; the counts say how many started).
 *
 * Nothing is cut off: each list shows as many whole rows as its box holds
 * (rows have a fixed height, the page is fitted to the screen) and turns
 * the page every ?page= seconds (default 10; 0, or the old ?speed=0, stays
 * on the first page), so the last row shown is always whole; the finish
 * strip keeps only the cards that fit.  Redraws at most every second.
 * Clock times are in the event's time zone (common.js followEvent).
 *
 * The header names the event (with its date) and the race from the `event`
 * topic and shows each race's counts from the `status` topic's `races`
 * (#k-counts, one .k-count[data-race] per race, the followed race first).
 * For tests: each list is a .k-panel[data-view] whose <ol> holds
 * li[data-bib] (the single list's <ol> is #rows); .k-time[data-proj] marks a
 * projection; #k-state is the results' state.
 */
import { SplitlineClient } from './protocol.js';
import { Board, FinishFeed, PointOrder, parseStatus, raceCounts, resultsLabel, fmtDuration, fmtInt, STATUS_LABEL } from './board.js';
import { projectedFinish } from './project.js';
import { connBadge, h, pickRace, initNav, followEvent, drawEventTitle, fmtClockOf, RaceClock } from './common.js';
import { EventInfo } from './event.js';

const params = new URLSearchParams(location.search);
const client = new SplitlineClient();
const badge = connBadge(client);
const clock = RaceClock.fromParams(params);
initNav(params);
const ROWS = Math.max(10, parseInt(params.get('rows'), 10) || 200);
const PAGE_S = params.get('speed') === '0' ? 0 : Math.max(0, Number(params.get('page') ?? 10) || 0);
const $ = (id) => document.getElementById(id);
const SEX_NAME = { F: 'Women', M: 'Men', X: 'Non-binary' };

/* The lists: ?sex=all one overall list, ?sex=S or ?cat=C one list, else women, men (and X). */
function views() {
  const sex = params.get('sex');
  const cat = params.get('cat');
  if (sex && sex.toLowerCase() === 'all') return [{ kind: 'all' }];
  if (sex) return [{ kind: 'sex', key: sex.toUpperCase() }];
  if (cat) return [{ kind: 'cat', key: cat }];
  /* X only where the race has any: shown once one of them has started */
  return [{ kind: 'sex', key: 'F' }, { kind: 'sex', key: 'M' }, { kind: 'sex', key: 'X', optional: true }];
}

/* An optional list (X) is shown once someone in it has started; the lists share the width. */
function showPanels() {
  let changed = false;
  for (const p of state.panels) {
    const hide = !!p.view.optional && ![...p.board.entries.values()].some((e) => SHOWN.has(e.row && e.row.status));
    if (p.el.hidden !== hide) {
      p.el.hidden = hide;
      changed = true;
    }
  }
  if (!changed) return;
  const shown = state.panels.filter((p) => !p.el.hidden).length;
  document.body.classList.toggle('k-split', shown > 1);
  document.body.classList.toggle('k-three', shown > 2);
  for (const p of state.panels) {
    p.rowH = 0;
    p.drawn = -1;
  }
}

const state = { race: null, panels: [], feed: new FinishFeed(8), ev: EventInfo.empty(), status: null, points: new PointOrder() };

function topicOf(race, v) {
  return v.kind === 'sex' ? `results/${race}/sex/${v.key}` : v.kind === 'cat' ? `results/${race}/cat/${v.key}` : `results/${race}`;
}

/* One list: its board, its box in the page, the page it shows. */
function makePanel(view, single) {
  const el = h('section', 'k-panel');
  el.dataset.view = view.kind === 'all' ? 'all' : `${view.kind}:${view.key}`;
  const title = h('h2', 'k-panel-title');
  const name = h('span', 'k-panel-name');
  const page = h('span', 'k-page');
  title.append(name, page);
  const head = h('div', 'k-head');
  for (const t of ['Place', 'Bib', 'Name', 'Club / cat.', 'At', 'Time']) head.append(h('span', '', t));
  const vp = h('div', 'k-viewport');
  const ol = h('ol', 'k-rows');
  if (single) ol.id = 'rows';
  vp.append(ol);
  el.append(title, head, vp);
  $('panels').append(el);
  return { view, el, name, page, vp, ol, board: new Board(view, state.points), topic: null, drawn: -1, pageNo: 0, pages: 1, per: 0, turnedAt: performance.now() };
}

function follow(race) {
  if (state.race) return;
  state.race = race;
  for (const p of state.panels) {
    p.topic = topicOf(race, p.view);
    client.subscribe(p.topic, { limit: ROWS });
  }
  client.subscribe(`finishes/${race}`, { limit: 8 });
  applyEvent();
}

function panelName(p) {
  const v = p.view;
  if (v.kind === 'sex') return SEX_NAME[v.key] || v.key;
  if (v.kind === 'cat') return state.ev.catName(state.race, v.key);
  return 'Overall';
}

/* What the event topic says about the followed race: names, course order, ranking. */
function applyEvent() {
  const ev = state.ev;
  drawEventTitle($('title'), ev, client.event || 'Results');
  if (ev.known()) document.title = `${ev.name} · Results`;
  if (!state.race) return;
  $('race').textContent = `· ${ev.raceName(state.race)}`;
  state.points.useConfig(ev.points(state.race).map((p) => p.id));
  for (const p of state.panels) {
    p.board.syncPoints();
    p.board.setRanking(ev.ranking(state.race), ev.precision(state.race));
    p.drawn = -1;
  }
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

/* Started and finished per race (status topic), the followed race first; the results' state. */
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
  const res = state.race && state.status ? parseStatus(state.status, state.race).results : null;
  const lab = resultsLabel(res, fmtClockOf);
  const el = $('k-state');
  el.textContent = lab ? lab.text : '';
  el.title = lab ? lab.title : '';
  el.className = `k-state res-state ${lab ? lab.cls : ''}`;
  el.dataset.state = res && res.state ? res.state : '';
}

client.on('message', (m) => {
  badge.touch();
  if (m.topic === 'status') {
    state.status = m.t === 'delta' && state.status ? { ...state.status, ...m, rows: m.rows || state.status.rows } : m;
    if (!state.race && !params.get('race')) follow(pickRace(params, client, parseStatus(m, null).races));
    drawCounts();
    return;
  }
  const p = state.panels.find((x) => x.topic === m.topic);
  if (p) {
    if (m.t === 'snapshot') p.board.applySnapshot(m);
    else if (m.t === 'delta') p.board.applyDelta(m);
    if (Array.isArray(m.rows)) for (const r of m.rows) clock.seeRow(r);
    if (p.view.optional) showPanels();
  } else if (m.topic === `finishes/${state.race}`) {
    if (m.t === 'snapshot') state.feed.applySnapshot(m);
    else state.feed.applyDelta(m);
    drawLatest();
  }
});

/* The latest finishers: only the cards that fit the strip whole. */
function drawLatest() {
  const box = $('latest');
  box.innerHTML = '';
  for (const r of state.feed.items.slice(0, 6)) {
    const d = h('span', 'k-fin');
    d.dataset.bib = String(r.bib);
    d.append(h('b', '', r.name || `#${r.bib}`), ` ${fmtDuration(r.net)}`);
    box.append(d);
  }
  if (!state.feed.items.length) box.append(h('span', 'k-fin muted', 'No finisher yet'));
  const right = box.getBoundingClientRect().right;
  for (const d of [...box.children].reverse()) if (box.children.length > 1 && d.getBoundingClientRect().right > right) d.remove();
}

/* The time cell: a result, or a projection marked as one, or nothing. */
function timeCell(p, r) {
  const b = p.board;
  const el = h('span', 'k-time');
  if (r.status === 'finished' && typeof r.net === 'number') {
    el.textContent = fmtDuration(b.basis === 'gun' && typeof r.gun === 'number' ? r.gun : r.net);
    return el;
  }
  if (r.status === 'on_course' || r.status === 'started') {
    const pf = projectedFinish(r, { ranking: b.basis, waveStart: state.ev.waveStart(state.race, r.wave) });
    if (pf) {
      el.className = 'k-time k-proj';
      el.dataset.proj = String(pf.ms);
      el.textContent = `≈${fmtDuration(pf.ms)}`;
      el.title = 'projected finish';
    }
  }
  return el;
}

/* Where the runner is: the last point by name, Started, or DNF/DSQ; nothing for a finisher. */
function whereText(r) {
  if (r.status === 'finished') return '';
  if (r.status === 'on_course' || r.status === 'started') return r.last && r.last !== 'start' ? state.ev.pointName(state.race, r.last) : 'Started';
  return STATUS_LABEL[r.status] || '';
}

const SHOWN = new Set(['finished', 'on_course', 'started', 'dnf', 'dsq']);

function drawPanel(p, now) {
  const b = p.board;
  p.name.textContent = panelName(p);
  const list = b.sorted().filter((e) => SHOWN.has(e.row.status)).slice(0, ROWS);
  // whole rows only: as many as the box holds (a row's height from the CSS, measured once drawn)
  const rowH = p.rowH || 0;
  const per = rowH > 0 ? Math.max(1, Math.floor((p.vp.clientHeight + 0.5) / rowH)) : 1;
  const pages = Math.max(1, Math.ceil(list.length / per));
  if (PAGE_S > 0 && now - p.turnedAt >= PAGE_S * 1000) {
    p.pageNo = (p.pageNo + 1) % pages;
    p.turnedAt = now;
  }
  if (p.pageNo >= pages) p.pageNo = 0;
  const key = `${b.version}/${per}/${p.pageNo}/${state.ev === p.ev}`;
  if (key === p.drawn) return;
  p.drawn = key;
  p.ev = state.ev;
  p.per = per;
  p.pages = pages;
  p.page.textContent = pages > 1 ? ` · page ${p.pageNo + 1} of ${pages}` : '';
  const frag = document.createDocumentFragment();
  list.slice(p.pageNo * per, p.pageNo * per + per).forEach((e, i) => {
    const r = e.row;
    const li = h('li', `k-row${i % 2 ? ' z' : ''}`);
    li.dataset.bib = e.bib;
    const cats = Array.isArray(r.cats) ? r.cats.map((c) => state.ev.catName(state.race, c)).join(', ') : '';
    const nm = h('span', 'k-name', r.name || '');
    nm.title = r.name || '';
    li.append(
      h('span', 'k-place', e.place != null ? String(e.place) : ''),
      h('span', 'k-bib', e.bib),
      nm,
      h('span', 'k-club', [r.club, cats].filter(Boolean).join(' · ')),
      h('span', 'k-at', whereText(r)),
      timeCell(p, r),
    );
    frag.append(li);
  });
  p.ol.replaceChildren(frag);
  fitNames(p.ol);
  if (!list.length) p.ol.append(h('li', 'k-row muted', !b.hasSnapshot ? 'Loading…' : b.entries.size ? 'Nobody has started yet' : 'No results yet'));
  if (!rowH && p.ol.firstElementChild && p.ol.firstElementChild.dataset.bib) {
    p.rowH = p.ol.firstElementChild.getBoundingClientRect().height;
    p.drawn = -1; // now that a row is measured: as many as fit
    drawPanel(p, now);
  }
}

/*
 * A name wider than its column is drawn smaller, down to 50% (a scoreboard
 * shrinks a long name rather than cut it); only past that does it end in
 * an ellipsis, the whole name in its title.
 */
function fitNames(ol) {
  for (const nm of ol.querySelectorAll('.k-name')) {
    if (nm.scrollWidth <= nm.clientWidth) continue;
    const scale = Math.max(0.5, (nm.clientWidth / nm.scrollWidth) * 0.98);
    nm.style.fontSize = `${Math.floor(scale * 100)}%`;
  }
}

function draw() {
  const now = performance.now();
  $('k-clock').textContent = fmtClockOf(clock.now());
  for (const p of state.panels) drawPanel(p, now);
}

state.panels = views().map((v, i, all) => makePanel(v, all.length === 1));
for (const p of state.panels) p.el.hidden = !!p.view.optional;
document.body.classList.toggle('k-split', state.panels.filter((p) => !p.el.hidden).length > 1);
state.board = state.panels[0].board; // the first list's (tests, and as before)
addEventListener('resize', () => {
  for (const p of state.panels) {
    p.rowH = 0;
    p.drawn = -1;
  }
  draw();
  drawLatest();
});
setInterval(draw, 1000);
drawLatest();
client.start();
globalThis.splitline = { client, state, draw };
