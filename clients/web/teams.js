/*
 * teams.js: a race's team scores and award list (teams.html), from
 * <api>teams/<race>.json and <api>awards/<race>.json (PROTOCOL.md "Team
 * scores", "Awards"), asked again every 10 s while the page is visible
 * (cache: 'no-cache') and redrawn only when a body changed.
 *
 * The event: the path's under /e/<event>/, else ?event=; the API is then
 * /api/events/<event>/, and /api/ on a single-event server without either.
 * The race: ?race=, else the event's first (from /api/events.json, which
 * also gives the names and the race picker; asked again at each poll
 * while it does not list the event).
 *
 * Team tables: one per rule (caption: the rule, the field, places or times,
 * the category); a row: place, team, score (a time for `times`), the
 * runners with their team places, the scorers in bold, the others marked
 * "does not score"; incomplete teams (too few finishers) have no place and
 * say "incomplete, not ranked".  Awards: one table per section, in the
 * server's order (overall or by sex first, then categories), with the
 * links to the text to read out and the PDF to print.
 *
 * States in words: loading, no such race or event, no team rules, no
 * awards yet, an error (a good load stays shown, with its time).
 */
import { h, ordinal, fmtClockOf } from './common.js';
import { fmtDuration } from './board.js';
import { pollVisible, theadOf, sharedPlaces } from './standings.js';

const EVERY_MS = 10000;
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

function scope() {
  const m = /^\/e\/([^/]+)\//.exec(location.pathname);
  let event = params.get('event');
  if (m) {
    try {
      event = decodeURIComponent(m[1]);
    } catch {
      event = m[1];
    }
  }
  return { event, path: !!m, api: event ? `/api/events/${encodeURIComponent(event)}/` : '/api/' };
}

const sc = scope();
const state = { race: params.get('race'), ev: null, bodies: {}, loadedAt: 0 };

function setInfo(text) {
  $('info').textContent = text;
}

/* ---- the event and its races ---- */

async function loadEvent() {
  try {
    const r = await fetch('/api/events.json', { cache: 'no-cache' });
    if (!r.ok) return;
    const list = (await r.json()).events || [];
    state.ev = (sc.event ? list.find((e) => e.id === sc.event) : list.length === 1 ? list[0] : null) || null;
  } catch {
    /* the ids stand in */
  }
  const races = (state.ev && state.ev.races) || [];
  if (!state.race && races.length) state.race = races[0].id;
  if (state.ev) {
    $('title').textContent = state.ev.name || state.ev.id;
    $('race-name').textContent = raceName();
    document.title = `Teams and awards · ${raceName()} · Splitline`;
  }
  if (sc.event && !sc.path) $('nav-results').href = `/e/${encodeURIComponent(sc.event)}/`;
  if (races.length > 1 && !$('race').options.length) {
    const sel = $('race');
    for (const rc of races) sel.append(Object.assign(h('option', '', rc.name || rc.id), { value: rc.id }));
    sel.value = state.race;
    sel.addEventListener('change', () => {
      const u = new URL(location.href);
      u.searchParams.set('race', sel.value);
      location.assign(u.href);
    });
    $('race-pick').hidden = false;
  }
}

function raceName() {
  const rc = state.ev && (state.ev.races || []).find((r) => r.id === state.race);
  return (rc && rc.name) || state.race;
}

/* ---- team tables ---- */

function fmtScore(v, kind) {
  if (v == null) return '–';
  return kind === 'times' ? fmtDuration(v) : String(v);
}

function runners(t, row) {
  const ul = h('ul', 'tm-runners');
  for (const m of row.members || []) {
    const li = h('li', m.scoring ? 'tm-scorer' : 'tm-other');
    const tp = m.team_place != null ? ` ${m.team_place}` : '';
    const what = t.score === 'times' ? ` ${fmtDuration(m.time)}` : tp;
    li.append(h('span', 'tm-name', m.name || `bib ${m.bib}`), h('span', 'tm-tp', what));
    if (t.score === 'times' && m.team_place != null) li.title = `team place ${m.team_place}`;
    if (!m.scoring && row.place != null) li.append(h('span', 'tm-note', ' (does not score)')); // an incomplete team's badge says it
    ul.append(li);
  }
  return ul;
}

function teamTable(t) {
  const table = h('table', 'ss-table tm-table');
  table.dataset.rule = t.rule;
  const what = `${t.field === 'club' ? 'club' : t.field.replace(/^fields\./, '')}, by ${t.score === 'times' ? 'times' : 'places'}, lower wins`;
  const cap = h('caption', '', `Teams “${t.rule}”`);
  cap.append(h('span', 'tm-cap', ` · ${what}${t.category ? ` · category ${t.category}` : ''}`));
  const thead = theadOf([['Place', 'ss-place'], ['Team', 'tm-team'], ['Score', 'ss-total'], [t.score === 'times' ? 'Runners (time)' : 'Runners (team place)', 'tm-members']]);
  const tbody = h('tbody');
  const shared = sharedPlaces(t.rows);
  for (const r of t.rows) {
    const tr = h('tr', r.place == null ? 'tm-incomplete' : '');
    tr.dataset.team = r.team;
    const team = h('th', 'tm-team', r.team);
    team.scope = 'row';
    if (r.place == null) team.append(' ', h('span', 'tm-badge', `incomplete, not ranked (${r.finishers} finisher${r.finishers === 1 ? '' : 's'})`));
    const score = h('td', 'ss-total', fmtScore(r.score, t.score));
    if (r.tiebreak != null) score.title = `tie-break: ${fmtScore(r.tiebreak, t.score)}`;
    const members = h('td', 'tm-members');
    members.append(runners(t, r));
    tr.append(h('td', 'ss-place', r.place == null ? '–' : `${r.place}${shared.has(r.place) ? '=' : ''}`), team, score, members);
    tbody.append(tr);
  }
  table.append(cap, thead, tbody);
  return table;
}

function drawTeams(doc) {
  const tables = doc.tables || [];
  $('teams').hidden = false;
  $('teams-none').hidden = tables.length > 0;
  $('team-tables').replaceChildren(...tables.map(teamTable));
}

/* ---- awards ---- */

function sectionTitle(r) {
  if (r.kind === 'sex') return `${r.title}, overall`;
  if (r.kind === 'category') return `Category: ${r.title}`;
  return r.title || 'Overall';
}

function drawAwards(doc) {
  const rows = doc.rows || [];
  $('awards').hidden = false;
  $('awards-none').hidden = rows.length > 0;
  const sections = new Map();
  for (const r of rows) {
    const k = `${r.kind}\u0000${r.section}`;
    if (!sections.has(k)) sections.set(k, []);
    sections.get(k).push(r);
  }
  const out = [];
  for (const list of sections.values()) {
    const table = h('table', 'ss-table tm-award');
    table.dataset.kind = list[0].kind;
    table.dataset.section = list[0].section;
    const thead = theadOf([['Place', 'ss-place'], ['Name', 'tm-team'], ['Bib', 'tm-bib'], ['Time', 'ss-total']]);
    const tbody = h('tbody');
    for (const r of list) {
      const tr = h('tr');
      tr.dataset.bib = r.bib;
      const name = h('th', 'tm-team', r.name || `bib ${r.bib}`);
      name.scope = 'row';
      tr.append(h('td', 'ss-place', ordinal(r.place)), name, h('td', 'tm-bib', r.bib), h('td', 'ss-total', fmtDuration(r.time)));
      tbody.append(tr);
    }
    table.append(h('caption', '', sectionTitle(list[0])), thead, tbody);
    out.push(table);
  }
  $('award-list').replaceChildren(...out);
}

/* ---- loading ---- */

async function getText(url) {
  const r = await fetch(url, { cache: 'no-cache' });
  if (r.status === 404) {
    const e = new Error('not found');
    e.notFound = true;
    throw e;
  }
  if (!r.ok) throw new Error(`the server answered ${r.status}`);
  return r.text();
}

async function load() {
  const race = encodeURIComponent(state.race);
  if (sc.event && !state.ev) await loadEvent(); // its name, once the directory lists it
  try {
    const [teams, awards] = await Promise.all([getText(`${sc.api}teams/${race}.json`), getText(`${sc.api}awards/${race}.json`)]);
    state.loadedAt = Date.now();
    $('updated').textContent = `Updated at ${fmtClockOf(state.loadedAt)}; refreshed every ${EVERY_MS / 1000} s.`;
    setInfo('');
    if (teams !== state.bodies.teams) drawTeams(JSON.parse(teams));
    if (awards !== state.bodies.awards) drawAwards(JSON.parse(awards));
    state.bodies = { teams, awards };
  } catch (e) {
    if (e.notFound) {
      state.bodies = {};
      $('teams').hidden = $('awards').hidden = true;
      setInfo(sc.event ? `No race “${state.race}” in event “${sc.event}” (or no such event).` : `No race “${state.race}” on this server.`);
      return;
    }
    const why = e instanceof TypeError ? 'the server cannot be reached' : e.message;
    if (state.loadedAt) $('updated').textContent = `Could not refresh (${why}); showing the scores as of ${fmtClockOf(state.loadedAt)}. Trying again every ${EVERY_MS / 1000} s.`;
    else setInfo(`Cannot load the team scores and awards: ${why}. Trying again every ${EVERY_MS / 1000} s.`);
  }
}

async function start() {
  await loadEvent();
  // no race named and none known yet (an event created a moment ago is listed within seconds)
  while (!state.race) {
    setInfo(sc.event ? `Event “${sc.event}” not found, or it has no race yet; trying again every ${EVERY_MS / 1000} s.` : 'Which event? Open this page from an event’s pages (/e/<event>/teams.html) or with ?event=<id>&race=<id>.');
    document.documentElement.dataset.loaded = '1';
    if (!sc.event) return;
    await new Promise((r) => setTimeout(r, EVERY_MS));
    await loadEvent();
  }
  $('race-name').textContent = raceName();
  const race = encodeURIComponent(state.race);
  $('awards-txt').href = `${sc.api}awards/${race}.txt`;
  $('awards-pdf').href = `${sc.api}awards/${race}.pdf`;
  await load();
  document.documentElement.dataset.loaded = '1';
  pollVisible(load, EVERY_MS);
}

start();
