/*
 * directory.js: the event directory (directory.html).  Draws the events of
 * GET /api/events.json with eventlist.js (grouping, search, "when", order,
 * links), and asks again every 10 s while the page is visible: revalidated (cache: 'no-cache', so the
 * server can answer 304 to the browser's If-None-Match), and redrawn only
 * when the body changed, so a reader's place and focus stay.
 *
 * States: loading; the list; "No events yet" (the server has none); "No
 * event matches" (the filters hide them all); an error (the list cannot be
 * loaded: why, and that the page tries again).  An error after a good load
 * keeps the list and says since when it is not refreshed.
 *
 * The filters (#q as you type, #when) are kept in the URL (?q=, ?when=) by
 * replaceState, so a shared or reloaded link shows the same list.
 */
import { RaceClock, h, fmtClockOf } from './common.js';
import { STATE_LABEL, WHEN, parseEvents, groupEvents, eventLinks, whenOf, dayIn } from './eventlist.js';
import { fmtDate } from './event.js';

const EVENTS_URL = '/api/events.json';
const EVERY_MS = 10000;

const params = new URLSearchParams(location.search);
const clock = RaceClock.fromParams(params);
const $ = (id) => document.getElementById(id);
const state = { events: null, body: null, loadedAt: 0, error: null };

const qBox = $('q');
const whenSel = $('when');
qBox.value = params.get('q') || '';
whenSel.value = Object.hasOwn(WHEN, params.get('when')) ? params.get('when') : 'all';

function filters() {
  return { q: qBox.value.trim(), when: whenSel.value };
}

/* ?q= and ?when= follow the filters (other parameters, e.g. ?now=, stay). */
function keepInUrl() {
  const u = new URL(location.href);
  const f = filters();
  if (f.q) u.searchParams.set('q', f.q);
  else u.searchParams.delete('q');
  if (f.when !== 'all') u.searchParams.set('when', f.when);
  else u.searchParams.delete('when');
  if (u.href !== location.href) history.replaceState(null, '', u);
}

function badge(ev) {
  if (!ev.state) return null;
  const b = h('span', `ev-state ev-${ev.state}`, STATE_LABEL[ev.state]);
  if (ev.state === 'live') {
    const dot = h('span', 'dot');
    dot.setAttribute('aria-hidden', 'true');
    b.prepend(dot);
  }
  return b;
}

function card(ev, now) {
  const li = h('li', 'ev');
  li.dataset.event = ev.id;
  if (ev.state) li.dataset.state = ev.state;
  const when = whenOf(ev, now);
  if (when) li.dataset.when = when;
  const head = h('div', 'ev-head');
  const title = h('h3', 'ev-name');
  const a = h('a', null, ev.name);
  a.href = eventLinks(ev)[0].href;
  title.append(a);
  head.append(title);
  const b = badge(ev);
  if (b) head.append(b);
  li.append(head);
  const today = ev.date && ev.date === dayIn(now, ev.timezone) ? 'Today' : null;
  const meta = [today, fmtDate(ev.date), ev.venue].filter(Boolean).join(' · ');
  if (meta) li.append(h('p', 'ev-meta', meta));
  if (ev.organizer) li.append(h('p', 'ev-org', `Organised by ${ev.organizer}`));
  const nav = h('nav', 'ev-links');
  nav.setAttribute('aria-label', `${ev.name}: pages`);
  for (const l of eventLinks(ev)) {
    const la = h('a', 'btn btn-light', l.text);
    la.href = l.href;
    la.dataset.page = l.page;
    nav.append(la);
  }
  li.append(nav);
  return li;
}

function drawCounts(events) {
  const live = events.filter((e) => e.state === 'live').length;
  const n = events.length;
  $('counts').textContent = `${n} ${n === 1 ? 'event' : 'events'}${live ? ` · ${live} live` : ''}`;
}

function draw() {
  const info = $('info');
  const groups = $('groups');
  const stale = $('stale');
  stale.hidden = !(state.error && state.events);
  if (state.error && state.events) stale.textContent = `Could not refresh the list (${state.error}); showing it as of ${fmtClockOf(state.loadedAt)}. Trying again every ${EVERY_MS / 1000} s.`;
  if (!state.events) {
    info.textContent = state.error ? `The events cannot be loaded (${state.error}). Trying again every ${EVERY_MS / 1000} s.` : 'Loading the events…';
    info.classList.toggle('dir-error', !!state.error);
    $('counts').textContent = state.error ? 'Not available' : 'Loading…';
    groups.replaceChildren();
    return;
  }
  info.classList.remove('dir-error');
  drawCounts(state.events);
  const now = clock.now();
  const f = filters();
  const gs = groupEvents(state.events, f, now);
  groups.replaceChildren(...gs.map((g) => {
    const sec = h('section', 'ev-group');
    sec.dataset.level = g.id;
    const hid = `level-${g.id}`;
    sec.setAttribute('aria-labelledby', hid);
    const h2 = h('h2', 'ev-level', g.label);
    h2.id = hid;
    h2.append(' ', h('span', 'ev-n', `(${g.events.length})`));
    const ul = h('ul', 'ev-list');
    ul.append(...g.events.map((ev) => card(ev, now)));
    sec.append(h2, ul);
    return sec;
  }));
  if (!state.events.length) info.textContent = 'No events yet.';
  else if (!gs.length) info.textContent = `No event matches${f.q ? ` “${f.q}”` : ''}${f.when !== 'all' ? ` (${WHEN[f.when].toLowerCase()})` : ''}.`;
  else info.textContent = '';
}

async function load() {
  try {
    const res = await fetch(EVENTS_URL, { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.text();
    if (body !== state.body) {
      let doc;
      try {
        doc = JSON.parse(body);
      } catch (e) {
        throw new Error('not JSON');
      }
      if (!doc || !Array.isArray(doc.events)) throw new Error('no "events" list');
      state.body = body;
      state.events = parseEvents(doc);
    } else if (!state.error) {
      state.loadedAt = Date.now();
      return; // unchanged: nothing to redraw
    }
    state.loadedAt = Date.now();
    state.error = null;
  } catch (e) {
    state.error = e && e.message ? e.message : String(e);
  }
  draw();
}

qBox.addEventListener('input', () => {
  keepInUrl();
  draw();
});
whenSel.addEventListener('change', () => {
  keepInUrl();
  draw();
});
$('filters').addEventListener('submit', (e) => e.preventDefault());

load();
// a hidden tab (a phone in a pocket) does not poll; it asks at once when shown again
setInterval(() => {
  if (document.visibilityState !== 'hidden') load();
}, EVERY_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') load();
});
