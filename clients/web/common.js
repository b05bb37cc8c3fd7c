/*
 * common.js: what every live page shares besides the socket (protocol.js):
 * the connection badge (live / reconnecting / data delayed, with "as of"
 * the last data), the race clock, and small helpers.
 *
 * The race clock.  Pages that speak of "the next minutes" (announcer) need
 * the race's time, which is the wall clock at a live event but runs ahead
 * (or lies years back) during a replay.  RaceClock keeps the largest
 * (crossing time - wall time at which it arrived) seen: now() is the wall
 * clock plus that offset, so it follows the data during a replay and is the
 * wall clock (less the delivery delay) at a live event.  ?now=<ISO or epoch
 * ms> pins it (reviews, screenshots).
 *
 * The event.  followEvent() subscribes to the `event` topic (names, date,
 * time zone, races, points, categories, wave starts: event.js) and hands
 * each snapshot to the page as an EventInfo; without a row (no event yet,
 * or a server that refuses the topic) the page keeps EventInfo.empty(),
 * whose answers fall back to the ids, i.e. the pages' old look.  Clock
 * times (fmtClockOf) follow the event's time zone once it is known.  The
 * nav's Regatta link shows only on an event with lane or head races.
 */
import { EventInfo } from './event.js';
import { api, pageScope } from './protocol.js';
import { fmtClock, setClockZone, clockZoneLabel, parseStatus, resultsLabel } from './board.js';

export const CONN_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  delayed: 'Data delayed',
  error: 'Not available',
};

/* Epoch ms -> HH:MM:SS in the event's time zone (board.js's fmtClock). */
export function fmtClockOf(ms) {
  return fmtClock(ms);
}

/* Wires #conn, #conn-text, #conn-detail to a SplitlineClient. Returns {touch()} to note data arrival. */
export function connBadge(client, doc = document) {
  const conn = doc.getElementById('conn');
  const text = doc.getElementById('conn-text');
  const detail = doc.getElementById('conn-detail');
  let lastDataAt = 0;
  const draw = () => {
    const s = client.state;
    if (conn) {
      conn.className = `conn conn-${s}`;
      conn.title = client.stateDetail || '';
    }
    if (text) text.textContent = CONN_TEXT[s] || s;
    if (detail) detail.textContent = s === 'live' || s === 'connecting' || !lastDataAt ? '' : `data as of ${fmtClockOf(lastDataAt)}`;
    doc.documentElement.dataset.conn = s;
  };
  client.on('state', draw);
  draw();
  return {
    touch() {
      lastDataAt = Date.now();
    },
  };
}

export class RaceClock {
  constructor(pinned = null) {
    this.pinned = pinned;
    this.offset = null;
  }

  static fromParams(params) {
    const v = params.get('now');
    if (!v) return new RaceClock();
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    return new RaceClock(Number.isFinite(n) ? n : null);
  }

  /* A crossing at epoch ms t was received now. */
  see(t, wall = Date.now()) {
    if (typeof t !== 'number' || !Number.isFinite(t)) return;
    const o = t - wall;
    if (this.offset == null || o > this.offset) this.offset = o;
  }

  /* Every crossing of a result row. */
  seeRow(row, wall = Date.now()) {
    if (!row || typeof row.start !== 'number') return;
    const sp = row.splits;
    if (row.last && sp && typeof sp[row.last] === 'number') this.see(row.start + sp[row.last], wall);
    else this.see(row.start, wall);
  }

  now(wall = Date.now()) {
    if (this.pinned != null) return this.pinned;
    return wall + (this.offset ?? 0);
  }
}

export function ordinal(n) {
  if (typeof n !== 'number') return '';
  const t = n % 100;
  const suf = t >= 11 && t <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th';
  return `${n}${suf}`;
}

export function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

/* The race to follow: ?race=, else the first the status topic or /health names, else "marathon". */
export function pickRace(params, client, statusRaces) {
  const r = params.get('race');
  if (r) return r;
  if (statusRaces && statusRaces.length) return statusRaces[0];
  const hh = client.health || {};
  if (Array.isArray(hh.races) && hh.races.length) return hh.races[0].id || hh.races[0];
  return hh.race || 'marathon';
}

export const NAV_HTML = `<nav class="nav" aria-label="Pages">
  <a href="index.html">Results</a><a href="regatta.html">Regatta</a><a href="tracker.html">Tracker</a><a href="announcer.html">Announcer</a><a href="kiosk.html">Big screen</a></nav>`;

/*
 * The Regatta link only where the event has lane or head (trial) races: hidden
 * until the event topic says so (a marathon's page never offers it), except
 * on the regatta page itself.
 */
let hasRegatta = false;

export function isRegattaEvent(ev) {
  return !!ev && ev.known() && ev.races().some((r) => r.kind === 'lanes' || r.kind === 'trial');
}

function drawRegattaLink(doc = document) {
  const here = location.pathname.split('/').pop() || 'index.html';
  for (const a of doc.querySelectorAll('nav.nav a')) {
    if ((a.getAttribute('href') || '').split('?')[0] === 'regatta.html') a.hidden = !hasRegatta && here !== 'regatta.html';
  }
}

/*
 * Marks the current page's nav link and keeps ?event/&race on the links.
 * Under /e/<event>/ (a server of many events) the nav also leads back to
 * the event directory (/), first.
 */
export function initNav(params) {
  const keep = new URLSearchParams();
  for (const k of ['event', 'race']) if (params.get(k)) keep.set(k, params.get(k));
  const qs = keep.toString();
  const here = location.pathname.split('/').pop() || 'index.html';
  for (const a of document.querySelectorAll('nav.nav a')) {
    if (a.dataset.page === 'directory') continue;
    const target = a.getAttribute('href').split('?')[0];
    if (target === here) a.setAttribute('aria-current', 'page');
    if (qs) a.href = `${target}?${qs}`;
  }
  if (pageScope().path) {
    for (const nav of document.querySelectorAll('nav.nav')) {
      if (nav.querySelector('a[data-page="directory"]')) continue;
      const a = h('a', null, 'All events');
      a.href = '/';
      a.dataset.page = 'directory';
      nav.prepend(a);
    }
  }
  drawRegattaLink();
}

/*
 * The note that says which zone the page's clock times are in (#clock-zone,
 * made at the end of the page's header or body when the page has none),
 * for the event's date.
 */
export function showClockZone(ev, doc = document) {
  let el = doc.getElementById('clock-zone');
  if (!el) {
    el = doc.createElement('p');
    el.id = 'clock-zone';
    el.className = 'clock-zone';
    (doc.querySelector('header.top, header.k-top') || doc.body).appendChild(el);
  }
  const day = ev && ev.date ? Date.parse(`${ev.date}T12:00:00Z`) : NaN;
  el.textContent = clockZoneLabel(undefined, Number.isFinite(day) ? day : Date.now());
}

/*
 * Subscribes to `event`; fn(EventInfo) on every snapshot (a config or wave
 * start change), after clock times are set to the event's time zone and
 * the page says which zone that is (showClockZone).
 */
export function followEvent(client, fn) {
  client.subscribe('event');
  client.on('message', (m) => {
    if (!m || m.topic !== 'event' || m.t !== 'snapshot') return;
    const ev = EventInfo.fromMessage(m);
    setClockZone(ev.timezone);
    showClockZone(ev);
    hasRegatta = isRegattaEvent(ev);
    drawRegattaLink();
    fn(ev);
  });
}

/* For pages that need the event only for its clock (desk, scanner): redraw() after a zone change. */
export function followClockZone(client, redraw) {
  followEvent(client, () => {
    if (redraw) redraw();
  });
}

/* The page's heading: the event's name and, after it, its date; fallback (the id) while unknown. */
export function drawEventTitle(el, ev, fallback) {
  if (!el) return;
  const name = ev && ev.known() ? ev.name : fallback;
  if (!name) return;
  el.textContent = name;
  const date = ev && ev.known() ? ev.dateText() : '';
  if (date) el.append(' ', h('span', 'ev-date', date));
}

/*
 * A <select> of the event's races by name (value: the race id), shown only
 * when the event has more than one race.  Returns whether it is shown.
 */
export function fillRacePicker(sel, ev, current) {
  if (!sel) return false;
  const races = ev && ev.known() ? ev.races() : [];
  const label = sel.closest('label') || sel;
  if (races.length < 2) {
    label.hidden = true;
    return false;
  }
  const key = races.map((r) => `${r.id}=${r.name}`).join('\n');
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    sel.innerHTML = '';
    for (const r of races) sel.append(new Option(r.name, r.id));
  }
  if (current != null && races.some((r) => r.id === current)) sel.value = current;
  label.hidden = false;
  return true;
}

/*
 * Links to the printouts of a race and of the whole event (served by the
 * server: PDF results and awards, XLSX; the page's event's, pageScope), in
 * el after "Print & download:".
 */
export function drawPrintouts(el, race) {
  if (!el || !race || el.dataset.race === race) return;
  el.dataset.race = race;
  const r = encodeURIComponent(race);
  const links = [
    [api(`results/${r}.pdf`), 'Results (PDF)'],
    [api(`results/${r}.xlsx`), 'Results (XLSX)'],
    [api(`awards/${r}.pdf`), 'Awards (PDF)'],
    [api('results.xlsx'), 'All races (XLSX)'],
  ];
  el.replaceChildren('Print & download: ', ...links.map(([href, text]) => {
    const a = h('a', null, text);
    a.href = href;
    return a;
  }));
}

/*
 * The race's results state (status topic: provisional, official, corrected;
 * else `fallback`, e.g. the export's `results`; else provisional) on el, a
 * .res-state span: its word, colour and, in the title, who and when.
 */
export function showResultsState(el, statusMsg, race, fallback = null) {
  const st = statusMsg && race ? parseStatus(statusMsg, race) : null;
  const lab = resultsLabel((st && st.results) || fallback || { state: 'provisional' }, fmtClockOf);
  el.className = `res-state ${lab.cls}`;
  el.textContent = lab.text;
  el.title = lab.title;
}

/* The status topic kept from its snapshot and deltas (a delta replaces the fields it carries). */
export function mergeStatus(prev, m) {
  return m.t === 'delta' && prev ? { ...prev, ...m, rows: m.rows || prev.rows } : m;
}
