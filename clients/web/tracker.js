/*
 * tracker.js: the athlete tracker.  Follows several athletes (bibs kept in
 * localStorage "splitline.tracker.bibs", plus ?bibs=) through athlete/<bib>
 * subscriptions: each split appears as it comes, with its time of day, the
 * pace since the previous split, the athlete's place (finishers) or
 * projected place, and the projected finish time.  A browser notification
 * per new split when the user allowed them (never for what the first
 * snapshot already held).
 *
 * Names are searched over HTTP in every race of the event (names.js:
 * fuzzy, accents and case ignored), so that nobody needs following first;
 * a card's name opens the athlete page.  Projections are marked as such
 * (the word "projected" in a dashed box, the time in italics).
 *
 * Projected place and segment paces need the rest of the field: the page
 * also holds the race's ranking (results/<race>, a Board: the top rows over
 * the socket, the rest once over HTTP, deltas live) and projects with
 * project.js.  Until the board holds the whole race the projected place is
 * not shown (it would not be derivable).  Names are searched in that board.
 *
 * The `event` topic (event.js) names the race, the points (split labels,
 * with the distance where the name lacks it), the categories, and gives the
 * course order, the ranking and the waves' starts: a race ranked by gun
 * time shows its projected finish as gun time (start crossing - wave start
 * + proj) and its projected places by gun time, and both move when a wave
 * start changes (the topic is sent again).  Without it: net, ids, the
 * order of the times.  For tests: .card-big carries data-proj (ms) and
 * data-basis (net|gun) of the projection shown.
 */
import { SplitlineClient, api } from './protocol.js';
import { Board, PointOrder, fmtDuration, fmtPace, STATUS_LABEL, adjustmentText, reasonsText } from './board.js';
import { learnGeometry, makeProjector, paceOf, fracOf, projectedFinish, FINISH } from './project.js';
import { connBadge, fmtClockOf, ordinal, h, initNav, followEvent, drawEventTitle, showResultsState, mergeStatus } from './common.js';
import { EventInfo } from './event.js';
import { findAthletes, looksLikeBib, athleteHref } from './names.js';

const KEY = 'splitline.tracker.bibs';
const params = new URLSearchParams(location.search);
const client = new SplitlineClient();
const badge = connBadge(client);
initNav(params);

const state = {
  bibs: [], // followed, in the order added
  rows: new Map(), // bib -> latest athlete row
  seen: new Map(), // bib -> Set of points already shown (notifications only for new ones)
  boards: new Map(), // race -> {board, loading, full}
  geom: null,
  projector: null,
  projVersion: -1,
  ev: EventInfo.empty(),
  evVersion: 0,
};

/* The event: names, course order, ranking and wave starts; a wave start change re-projects. */
let evKnown;
const evReady = new Promise((r) => (evKnown = r)); // the name search waits for the races' names
followEvent(client, (ev) => {
  state.ev = ev;
  state.evVersion++;
  if (ev.known()) evKnown();
  drawEventTitle(document.getElementById('title'), ev, 'Athlete tracker');
  document.getElementById('page-name').textContent = ev.known() ? '· Athlete tracker' : '';
  for (const rb of state.boards.values()) {
    rb.board.setRanking(ev.ranking(rb.race), ev.precision(rb.race));
    rb.projVersion = -1;
  }
  scheduleDraw();
});

/* The race's ranking basis: the event topic's, else what the board inferred. */
function basisOf(race, rb) {
  return state.ev.ranking(race) || (rb ? rb.board.basis : 'net');
}

function loadBibs() {
  let list = [];
  try {
    list = JSON.parse(localStorage.getItem(KEY) || '[]');
  } catch {
    list = [];
  }
  const extra = (params.get('bibs') || '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of [...list, ...extra]) if (typeof b === 'string' && !state.bibs.includes(b)) state.bibs.push(b);
  saveBibs();
}

function saveBibs() {
  try {
    localStorage.setItem(KEY, JSON.stringify(state.bibs));
  } catch {
    /* private mode: the list lives as long as the page */
  }
}

function follow(bib) {
  bib = String(bib).trim();
  if (!bib || state.bibs.includes(bib)) return;
  state.bibs.push(bib);
  saveBibs();
  client.subscribe(`athlete/${bib}`);
  draw();
}

function unfollow(bib) {
  state.bibs = state.bibs.filter((b) => b !== bib);
  state.rows.delete(bib);
  state.seen.delete(bib);
  saveBibs();
  client.unsubscribe(`athlete/${bib}`);
  draw();
}

/* ---- the race's ranking (for names, projected places, segment paces) ---- */

function raceBoard(race) {
  let rb = state.boards.get(race);
  if (!rb) {
    rb = { race, board: new Board({ kind: 'all' }, new PointOrder()), loading: false, failedAt: 0 };
    rb.board.setRanking(state.ev.ranking(race), state.ev.precision(race));
    state.boards.set(race, rb);
    client.subscribe(`results/${race}`, { limit: 1000 });
  }
  return rb;
}

async function loadFull(rb) {
  const b = rb.board;
  if (rb.loading || b.full() || Date.now() - rb.failedAt < 10000) return;
  rb.loading = true;
  const since = Date.now();
  try {
    const res = await fetch(api(`results/${encodeURIComponent(rb.race)}.json`), { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = await res.json();
    const rows = Array.isArray(doc) ? doc : doc.rows || doc.results || [];
    b.mergeFull(rows, since);
  } catch (e) {
    rb.failedAt = Date.now();
    console.warn('splitline: cannot load the race:', e);
  } finally {
    rb.loading = false;
    scheduleDraw();
  }
}

function projectorFor(race) {
  const rb = state.boards.get(race);
  if (!rb || !rb.board.full()) return null;
  const b = rb.board;
  const version = `${b.version}:${state.evVersion}`;
  if (rb.projVersion !== version) {
    const rows = [...b.entries.values()].map((e) => e.row);
    // the athlete rows are fresher than the board's copies
    for (const r of state.rows.values()) if (r.race === race) rows.push(r);
    const uniq = new Map(rows.map((r) => [String(r.bib), r]));
    const opts = { precision: state.ev.precision(race) || b.precision, basis: basisOf(race, rb), waves: state.ev.waveStarts(race) };
    rb.projector = makeProjector(uniq.values(), opts);
    rb.placer = makeProjector(uniq.values(), { ...opts, finishedOnly: true });
    rb.geom = learnGeometry(uniq.values(), state.ev.race(race));
    rb.projVersion = version;
  }
  return rb;
}

/* ---- socket ---- */

client.on('hello', () => {
  client.subscribe('status'); // each race's results: provisional, official, corrected
  for (const bib of state.bibs) client.subscribe(`athlete/${bib}`);
});

client.on('message', (m) => {
  badge.touch();
  const topic = m.topic || '';
  if (topic.startsWith('athlete/')) {
    const bib = topic.slice('athlete/'.length);
    if (!state.bibs.includes(bib)) return;
    const row = Array.isArray(m.rows) ? m.rows[0] : m.row || null;
    if (!row) {
      // the server knows no such bib (an empty snapshot)
      if (m.t === 'snapshot' && !state.rows.has(bib)) {
        state.rows.set(bib, { bib, missing: 'no athlete with this bib' });
        scheduleDraw();
      }
      return;
    }
    if (state.rows.get(bib) && state.rows.get(bib).missing) state.rows.delete(bib);
    const isNew = state.rows.has(bib);
    state.rows.set(bib, row);
    notifyNew(bib, row, isNew);
    if (row.race) {
      const rb = raceBoard(row.race);
      rb.projVersion = -1;
    }
    scheduleDraw();
    return;
  }
  if (topic === 'status') {
    state.status = mergeStatus(state.status, m);
    scheduleDraw();
    return;
  }
  if (topic.startsWith('results/')) {
    const race = topic.slice('results/'.length);
    const rb = state.boards.get(race);
    if (!rb) return;
    if (m.t === 'snapshot') {
      rb.board.applySnapshot(m);
      loadFull(rb);
    } else if (m.t === 'delta') rb.board.applyDelta(m);
    scheduleDraw();
  }
});

client.on('reply-error', (err, req) => {
  if (req && req.t === 'subscribe' && req.topic.startsWith('athlete/')) {
    const bib = req.topic.slice('athlete/'.length);
    state.rows.set(bib, { bib, missing: err.code === 'not_found' ? 'No athlete with this bib.' : err.msg || err.code });
    scheduleDraw();
  }
});

/* ---- notifications ---- */

const notifyBtn = document.getElementById('notify');
if ('Notification' in globalThis && Notification.permission !== 'granted' && Notification.permission !== 'denied') {
  notifyBtn.hidden = false;
  notifyBtn.addEventListener('click', async () => {
    try {
      await Notification.requestPermission();
    } catch {
      /* old browsers */
    }
    notifyBtn.hidden = Notification.permission !== 'default';
  });
}

function notifyNew(bib, row, afterFirst) {
  const have = state.seen.get(bib) || new Set();
  const pts = Object.keys(row.splits || {});
  const fresh = pts.filter((p) => !have.has(p));
  state.seen.set(bib, new Set(pts));
  if (!afterFirst || !fresh.length) return;
  state.lastSplit = { bib, pts: fresh, at: Date.now() };
  if (!('Notification' in globalThis) || Notification.permission !== 'granted') return;
  for (const p of fresh) {
    const t = row.splits[p];
    const pf = projectedFinish(row, { ranking: state.ev.ranking(row.race) || 'net', waveStart: state.ev.waveStart(row.race, row.wave) });
    const body = `${state.ev.pointName(row.race, p)} in ${fmtDuration(t)}` + (pf ? ` · finish ~${fmtDuration(pf.ms)}${pf.basis === 'gun' ? ' gun' : ''}` : '');
    try {
      new Notification(`${row.name || 'Bib ' + bib} (#${bib})`, { body, tag: `sl-${bib}-${p}` });
    } catch {
      /* some mobile browsers allow notifications only from a service worker */
    }
  }
}

/* ---- add by bib or name ---- */

const who = document.getElementById('who');
const matches = document.getElementById('matches');


document.getElementById('add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const q = who.value.trim();
  matches.innerHTML = '';
  if (!q) return;
  // A bib the boards know, or anything that looks like one: follow it.
  const known = [...state.boards.values()].some((rb) => rb.board.entries.has(q));
  if (known || looksLikeBib(q)) {
    follow(q);
    who.value = '';
    return;
  }
  // A name: every race of the event over HTTP (names.js), nobody followed needed.
  matches.append(h('li', 'none', 'Searching…'));
  await Promise.race([evReady, new Promise((r) => setTimeout(r, 5000))]);
  const found = await findAthletes(q, state.ev, 8);
  matches.innerHTML = '';
  if (!found.length) {
    matches.append(h('li', 'none', `Nobody named “${q}”.`));
    return;
  }
  for (const r of found) {
    const li = h('li', 'match');
    li.dataset.bib = String(r.bib);
    const b = h('button', 'btn btn-light', `Follow ${r.name} · #${r.bib}${r.club ? ' · ' + r.club : ''}`);
    b.type = 'button';
    b.addEventListener('click', () => {
      follow(String(r.bib));
      matches.innerHTML = '';
      who.value = '';
    });
    const a = h('a', 'btn btn-light', 'Athlete page');
    a.href = athleteHref(r.race, r.bib, params);
    li.append(b, ' ', a);
    matches.append(li);
  }
});

/* ---- drawing ---- */

let drawTimer = null;
function scheduleDraw() {
  if (drawTimer) return;
  drawTimer = setTimeout(() => {
    drawTimer = null;
    draw();
  }, 150);
}

function draw() {
  const cards = document.getElementById('cards');
  const info = document.getElementById('info');
  info.textContent = state.bibs.length ? '' : 'Add a bib or a name to follow an athlete.';
  const byBib = new Map([...cards.children].map((c) => [c.dataset.bib, c]));
  const keep = new Set(state.bibs);
  for (const [bib, c] of byBib) if (!keep.has(bib)) c.remove();
  state.bibs.forEach((bib, i) => {
    const card = drawCard(bib, state.rows.get(bib));
    const old = byBib.get(bib);
    if (old) old.replaceWith(card);
    else cards.append(card);
    if (cards.children[i] !== card) cards.insertBefore(card, cards.children[i] || null);
  });
}

function drawCard(bib, row) {
  const card = h('article', 'card');
  card.dataset.bib = bib;
  const head = h('header', 'card-head');
  const title = h('h2', 'card-name');
  const link = h('a', 'name-link', row && row.name ? row.name : `Bib ${bib}`);
  link.href = athleteHref(row && row.race, bib, params);
  link.title = 'Athlete page: charts, course, certificate, share';
  title.append(link);
  const x = h('button', 'btn btn-light btn-x', 'Stop');
  x.type = 'button';
  x.title = `Stop following #${bib}`;
  x.addEventListener('click', () => unfollow(bib));
  head.append(title, x);
  card.append(head);
  if (!row) {
    card.append(h('p', 'card-meta', `#${bib} · waiting for data…`));
    return card;
  }
  if (row.missing) {
    card.append(h('p', 'card-meta', `#${bib} · ${row.missing}`));
    return card;
  }
  const ev = state.ev;
  const race = row.race;
  const rb = race ? projectorFor(race) : null;
  const geom = rb ? rb.geom : learnGeometry([row], ev.race(race));
  const basis = basisOf(race, race ? state.boards.get(race) : null);
  const catName = (c) => ev.catName(race, c);
  const meta = [`#${bib}`, row.club, Array.isArray(row.cats) ? row.cats.map(catName).join(', ') : '', race ? ev.raceName(race) : ''].filter(Boolean).join(' · ');
  card.append(h('p', 'card-meta', meta));
  // provisional or official: the status topic's word on the race
  const rs = h('span');
  showResultsState(rs, state.status, race);
  const stp = h('p', 'card-state');
  stp.append(rs);
  card.append(stp);

  const status = STATUS_LABEL[row.status] || row.status || '';
  const big = h('p', 'card-big');
  big.dataset.status = row.status || '';
  if (row.status === 'finished' && typeof row.net === 'number') {
    // the time the race ranks by; a gun race shows the net time after it
    const gun = basis === 'gun' && typeof row.gun === 'number';
    const adj = adjustmentText(row);
    const shown = adj && typeof row.adj === 'number' ? row.adj : gun ? row.gun : row.net;
    big.append(h('b', 'card-time', fmtDuration(shown)), ` ${status}`);
    if (adj) big.append(h('span', 'card-place card-adj', ` (${fmtDuration(gun ? row.gun : row.net)} measured ${adj})`));
    if (gun) big.append(h('span', 'card-place', ` (gun; net ${fmtDuration(row.net)})`));
    const pl = [];
    // The row's places were right when it was sent; the race board's are current.
    const now = rb && rb.placer ? rb.placer(row) : null;
    const place = now ? now.place : row.place;
    if (typeof place === 'number') pl.push(`${ordinal(place)} overall`);
    const cat = Array.isArray(row.cats) && row.cats[0];
    const cplace = now && cat ? now.cats[cat] : cat && row.place_cat ? row.place_cat[cat] : null;
    if (cat && typeof cplace === 'number') pl.push(`${ordinal(cplace)} ${catName(cat)}`);
    if (pl.length) big.append(h('span', 'card-place', ` · ${pl.join(' · ')}`));
  } else if (typeof row.proj === 'number') {
    // gun time in a gun race once the wave's start is known, else net
    const pf = projectedFinish(row, { ranking: basis, waveStart: ev.waveStart(race, row.wave) }) || { ms: row.proj, basis: 'net' };
    big.dataset.proj = String(pf.ms);
    big.dataset.basis = pf.basis;
    big.append(h('span', '', `${status} · `), h('span', 'proj-tag', 'projected'), ' finish ', h('b', 'card-time proj', fmtDuration(pf.ms)));
    if (basis === 'gun') big.append(h('span', 'card-basis', pf.basis === 'gun' ? ' gun time' : ' net (wave start not known yet)'));
    if (typeof row.start === 'number') big.append(h('span', 'card-place', ` at ${fmtClockOf(row.start + row.proj)}`));
    const pp = rb && rb.projector ? rb.projector(row) : null;
    if (pp) {
      const cat = Array.isArray(row.cats) && row.cats[0];
      big.append(h('span', 'card-place proj-place', ` · projected ${ordinal(pp.place)}${cat && pp.cats[cat] ? `, ${ordinal(pp.cats[cat])} ${catName(cat)}` : ''}`));
    }
  } else {
    big.append(h('b', '', status));
  }
  card.append(big);
  // the officials' decisions and why: a disqualification, a penalty, a hand time
  const why = reasonsText(row);
  if (why) card.append(h('p', 'card-meta card-reasons', why));

  // Splits, in course order (the config's, else by time).
  const order = ev.points(race).map((p) => p.id);
  const rank = (p) => (order.includes(p) ? order.indexOf(p) : order.length);
  const pts = Object.keys(row.splits || {}).sort((a, b) => rank(a) - rank(b) || row.splits[a] - row.splits[b]);
  if (pts.length) {
    const table = h('table', 'splits');
    const thead = h('thead');
    const tr0 = h('tr');
    for (const c of ['Point', 'Time', 'Clock', 'Pace/km']) tr0.append(h('th', '', c));
    thead.append(tr0);
    table.append(thead);
    const tb = h('tbody');
    let prevT = 0;
    let prevF = 0;
    const dist = geom && geom.distance;
    const latest = state.lastSplit && state.lastSplit.bib === bib && Date.now() - state.lastSplit.at < 5000 ? state.lastSplit.pts : [];
    for (const p of pts) {
      const t = row.splits[p];
      const f = fracOf(geom, p);
      let pace = '';
      if (dist && f != null && f > prevF) pace = fmtPace(((t - prevT) * 1000) / ((f - prevF) * dist));
      const tr = h('tr', latest.includes(p) ? 'split fresh' : 'split');
      tr.dataset.pt = p;
      tr.append(h('td', 'pt', ev.pointLabel(race, p)), h('td', 'num', fmtDuration(t)), h('td', 'num', typeof row.start === 'number' ? fmtClockOf(row.start + t) : ''), h('td', 'num', pace));
      tb.append(tr);
      prevT = t;
      if (f != null) prevF = f;
    }
    table.append(tb);
    card.append(table);
  }
  const avg = paceOf(row, geom);
  if (avg && row.status !== 'finished') card.append(h('p', 'card-meta', `Average pace ${fmtPace(avg)}/km`));
  else if (avg) card.append(h('p', 'card-meta', `Pace ${fmtPace(avg)}/km`));
  if (row.status !== 'finished' && !pts.includes(FINISH) && rb == null && row.race) {
    card.append(h('p', 'card-meta muted', 'Projected place: loading the race…'));
  }
  return card;
}

loadBibs();
draw();
client.start();
setInterval(() => {
  if (state.lastSplit && Date.now() - state.lastSplit.at < 6000) scheduleDraw();
}, 1000);

globalThis.splitline = { client, state, draw };
