/*
 * series.js: the series standings page (series.html).  ?series=<id>: GET
 * /api/series/<id>.json (PROTOCOL.md "Series"), asked again every 10 s while
 * the page is visible (cache: 'no-cache', so the server may answer 304) and
 * redrawn only when the body changed; the event names come from
 * /api/events.json (asked again at each poll while an event has none, as
 * one created a moment ago; the ids stand in).  Without ?series: the
 * series of /api/series.json as links, by name.
 *
 * Drawn: the events in series order (linked to their pages, "no results
 * yet" for a missing one); one <table> per group (group "" is overall; sex
 * groups F, M, X are named, a category group shows its id); a row: place
 * (a shared place marked "="), name and athlete id, points per event (a
 * result that does not count struck through: <s>), the total.  Wide screens
 * have a column per event; a phone shows them as a line under the name
 * (style.css, "series page").  The legend says how many results count
 * (the JSON's `best` of the M events: "best N of M", or every result when
 * N is M).
 *
 * States in words: loading, no series, unknown series, no results yet, and
 * an error (what failed; a good load stays shown with its time).
 */
import { h, ordinal, fmtClockOf } from './common.js';
import { pollVisible, theadOf, sharedPlaces } from './standings.js';

const EVERY_MS = 10000;
const GROUP_NAME = { '': 'Overall', F: 'Women', M: 'Men', X: 'X' };
const DUP_TEXT = {
  same_person: 'Different ids with the same name and birth date',
  same_id: 'One id under different names',
  twice: 'One id twice in one event (the better place counts)',
  no_id: 'No athlete id: in no standing',
};

const params = new URLSearchParams(location.search);
const seriesId = params.get('series');
const $ = (id) => document.getElementById(id);
const state = { body: null, namesDrawn: null, loadedAt: 0, names: {} };

function setInfo(text) {
  $('info').textContent = text;
}

/* ---- the list of series (no ?series) ---- */

function drawList(doc) {
  const list = (Array.isArray(doc.series) ? doc.series : []).slice()
    .sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id) || (a.id < b.id ? -1 : 1));
  $('list').hidden = false;
  $('nav-series').setAttribute('aria-current', 'page');
  const ul = $('list-items');
  ul.replaceChildren();
  setInfo(list.length ? '' : 'No series yet: a series appears here once an official puts one (splitline series put).');
  for (const s of list) {
    const li = h('li');
    const a = h('a', 'ss-link', s.name || s.id);
    a.href = `series.html?series=${encodeURIComponent(s.id)}`;
    const n = Array.isArray(s.events) ? s.events.length : 0;
    li.append(a, h('span', 'muted', ` · ${n} event${n === 1 ? '' : 's'}`));
    ul.append(li);
  }
}

/* ---- one series ---- */

function eventName(id) {
  return state.names[id] || id;
}

/* How many results count: see the header comment. */
function legendText(doc) {
  const m = doc.events.length;
  const best = doc.best || m;
  if (best < m) return `Best ${best} of ${m} results count; results that do not count are struck through.`;
  return `Every result counts (${m} event${m === 1 ? '' : 's'}).`;
}

function drawEvents(doc) {
  const ol = $('events');
  ol.replaceChildren();
  for (const e of doc.events) {
    const li = h('li', e.missing ? 'ss-missing' : '');
    const a = h('a', '', eventName(e.event));
    a.href = `/e/${encodeURIComponent(e.event)}/`;
    li.append(a);
    if (eventName(e.event) !== e.event) li.append(h('span', 'muted', ` (${e.event})`));
    if (e.missing) li.append(h('span', 'ss-note', ' · no results yet'));
    ol.append(li);
  }
}

/* One result: points (struck through when not counted) and the place. */
function cell(c, short) {
  const out = [];
  if (!c) {
    const none = h('span', 'ss-none', '–');
    none.title = 'no result';
    out.push(none, h('span', 'sr', 'no result'));
    return out;
  }
  const pts = h(c.counted ? 'span' : 's', c.counted ? 'pts' : 'pts dropped', String(c.points));
  pts.title = `${ordinal(c.place)}, ${c.points} points${c.counted ? '' : ', not counted'}`;
  out.push(pts);
  if (!c.counted) out.push(h('span', 'sr', ' (not counted)'));
  if (!short) out.push(h('span', 'ss-pl', ordinal(c.place)));
  return out;
}

function placeText(r, shared) {
  return shared.has(r.place) ? `${r.place}=` : String(r.place);
}

function drawRow(doc, r, shared) {
  const tr = h('tr');
  tr.dataset.athlete = r.athlete;
  const place = h('td', 'ss-place', placeText(r, shared));
  if (shared.has(r.place)) place.title = `shared ${ordinal(r.place)} place`;
  const who = h('th', 'ss-who');
  who.scope = 'row';
  who.append(h('span', 'ss-name', r.name || r.athlete), ' ', h('span', 'ss-id', r.athlete));
  const line = h('span', 'ss-line'); // the phone's per-event line
  doc.events.forEach((e, i) => {
    const part = h('span', 'ss-part');
    part.append(h('span', 'ss-evid', `${e.event} `), ...cell(r.results[i], true));
    line.append(part);
  });
  who.append(line);
  tr.append(place, who);
  doc.events.forEach((e, i) => {
    const td = h('td', 'ss-ev');
    td.append(...cell(r.results[i], false));
    tr.append(td);
  });
  tr.append(h('td', 'ss-total', String(r.total)));
  return tr;
}

function drawTable(doc, group, rows) {
  const wrap = h('section', 'ss-group');
  const table = h('table', 'ss-table');
  table.dataset.group = group;
  const cap = h('caption', '', GROUP_NAME[group] ?? `Group ${group}`);
  const thead = theadOf([['Place', 'ss-place'], ['Athlete', 'ss-who'], ...doc.events.map((e) => [eventName(e.event), 'ss-ev']), ['Total', 'ss-total']]);
  const shared = sharedPlaces(rows);
  const tbody = h('tbody');
  for (const r of rows) tbody.append(drawRow(doc, r, shared));
  table.append(cap, thead, tbody);
  wrap.append(table);
  return wrap;
}

function drawDups(doc) {
  const dups = Array.isArray(doc.duplicates) ? doc.duplicates : [];
  $('dups').hidden = dups.length === 0;
  $('dups-n').textContent = String(dups.length);
  const ul = $('dups-list');
  ul.replaceChildren();
  for (const d of dups) {
    const li = h('li', 'ss-dup');
    li.dataset.kind = d.kind;
    li.append(h('b', '', DUP_TEXT[d.kind] || d.kind), d.birth ? ` (born ${d.birth})` : '', ': ');
    li.append(d.entries.map((e) => `${e.name} (${e.id ? `id ${e.id}, ` : ''}${eventName(e.event)}, bib ${e.bib})`).join(' and '));
    ul.append(li);
  }
}

function drawSeries(doc) {
  $('series').hidden = false;
  $('title').textContent = doc.name || doc.series;
  document.title = `${doc.name || doc.series} · Splitline`;
  $('csv').href = `/api/series/${encodeURIComponent(doc.series)}.csv`;
  drawEvents(doc);
  $('legend').textContent = legendText(doc);
  drawDups(doc);
  const groups = new Map();
  for (const r of doc.rows) {
    if (!groups.has(r.group)) groups.set(r.group, []);
    groups.get(r.group).push(r);
  }
  const tables = $('tables');
  tables.replaceChildren();
  for (const [g, rows] of groups) tables.append(drawTable(doc, g, rows));
  if (!doc.rows.length) setInfo(doc.events.every((e) => e.missing) ? 'No results yet: no event of this series has results.' : 'No standings yet: nobody has a result that scores.');
  else setInfo('');
}

/* ---- loading ---- */

async function loadNames() {
  try {
    const r = await fetch('/api/events.json', { cache: 'no-cache' });
    if (!r.ok) return;
    const doc = await r.json();
    for (const e of doc.events || []) if (e && e.id && e.name) state.names[e.id] = e.name;
  } catch {
    /* the ids stand in */
  }
}

async function load() {
  const url = seriesId ? `/api/series/${encodeURIComponent(seriesId)}.json` : '/api/series.json';
  let status = 0;
  try {
    const r = await fetch(url, { cache: 'no-cache' });
    status = r.status;
    if (r.status === 404 && seriesId) {
      state.body = null;
      $('series').hidden = true;
      setInfo(`No series “${seriesId}” on this server.`);
      $('info').append(' ', Object.assign(h('a', '', 'See all series'), { href: 'series.html' }));
      return;
    }
    if (!r.ok) throw new Error(`the server answered ${r.status}`);
    const body = await r.text();
    state.loadedAt = Date.now();
    $('updated').textContent = `Updated at ${fmtClockOf(state.loadedAt)}; refreshed every ${EVERY_MS / 1000} s.`;
    const doc = JSON.parse(body);
    // an event listed late (the directory is read every 2 s) gets its name at a later poll
    if (seriesId && doc.events.some((e) => !state.names[e.event])) await loadNames();
    const names = JSON.stringify(state.names);
    if (body === state.body && names === state.namesDrawn) return;
    state.body = body;
    state.namesDrawn = names;
    if (seriesId) drawSeries(doc);
    else drawList(doc);
  } catch (e) {
    const why = status ? e.message : 'the server cannot be reached';
    if (state.body) {
      $('updated').textContent = `Could not refresh (${why}); showing the standings as of ${fmtClockOf(state.loadedAt)}. Trying again every ${EVERY_MS / 1000} s.`;
    } else {
      setInfo(`Cannot load the ${seriesId ? 'standings' : 'series'}: ${why}. Trying again every ${EVERY_MS / 1000} s.`);
    }
  }
}

async function start() {
  await load();
  document.documentElement.dataset.loaded = '1';
  pollVisible(load, EVERY_MS);
}

start();
