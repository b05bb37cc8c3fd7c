/*
 * event.js: what the `event` topic says about the event (PROTOCOL.md
 * "Topics"): its name, date and time zone, and per race its name, kind, distance,
 * ranking (net or gun), precision, waves with their starts, timing points
 * and categories.  Pure JS (no DOM, no socket): node tests check it
 * (tests/browser/eventinfo.test.mjs).
 *
 * The topic has one row and no deltas: every snapshot replaces the whole
 * description (a new config, a wave start).  Before the event exists, or
 * from an older server, there is no row: EventInfo.empty() answers every
 * question with null, and the helpers that name things (raceName,
 * pointName, catName) fall back to the ids, so that a page drawn without
 * the topic looks as it did before it existed.
 *
 * Points are kept in course order: by distance, the start first and the
 * finish last (the config's order where distances are equal).
 */
import { fmtPoint } from './board.js';

function str(v) {
  return typeof v === 'string' && v ? v : null;
}

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const ROLE_RANK = { start: 0, split: 1, finish: 2 };

function normRace(r) {
  const id = str(r && r.id);
  if (!id) return null;
  const points = (Array.isArray(r.points) ? r.points : [])
    .map((p, i) => ({ id: str(p && p.id), name: str(p && p.name), distance_m: num(p && p.distance_m), role: str(p && p.role) || 'split', i }))
    .filter((p) => p.id);
  const rank = (p) => ROLE_RANK[p.role] ?? 1;
  points.sort((a, b) => rank(a) - rank(b) || (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity) || a.i - b.i);
  const waves = new Map();
  for (const w of Array.isArray(r.waves) ? r.waves : []) {
    const wid = w && w.id != null ? String(w.id) : null;
    if (wid) waves.set(wid, num(w.start));
  }
  const cats = new Map();
  for (const c of Array.isArray(r.categories) ? r.categories : []) {
    const cid = str(c && c.id);
    if (cid) cats.set(cid, str(c.name) || cid);
  }
  return {
    id,
    name: str(r.name) || id,
    kind: str(r.kind),
    distance_m: num(r.distance_m),
    ranking: r.ranking === 'gun' ? 'gun' : r.ranking === 'net' ? 'net' : null,
    precision_ms: num(r.precision_ms),
    waves,
    points,
    cats,
  };
}

export class EventInfo {
  constructor(row = null) {
    this.row = row && typeof row === 'object' ? row : null;
    this.id = this.row ? str(this.row.event) : null;
    this.name = this.row ? str(this.row.name) || this.id : null;
    this.date = this.row ? str(this.row.date) : null;
    /* IANA zone of the event's clocks, or null (board.js's setClockZone) */
    this.timezone = this.row ? str(this.row.timezone) : null;
    this.raceList = this.row && Array.isArray(this.row.races) ? this.row.races.map(normRace).filter(Boolean) : [];
    this.byId = new Map(this.raceList.map((r) => [r.id, r]));
  }

  static empty() {
    return new EventInfo(null);
  }

  /* From a snapshot of the `event` topic; an empty snapshot gives empty(). */
  static fromMessage(m) {
    const row = m && Array.isArray(m.rows) && m.rows.length ? m.rows[0] : null;
    return new EventInfo(row);
  }

  known() {
    return this.row != null;
  }

  races() {
    return this.raceList;
  }

  race(id) {
    return id == null ? null : this.byId.get(String(id)) || null;
  }

  raceName(id) {
    const r = this.race(id);
    return r ? r.name : id == null ? '' : String(id);
  }

  /* 'net' or 'gun', or null when the topic does not say. */
  ranking(raceId) {
    const r = this.race(raceId);
    return r ? r.ranking : null;
  }

  precision(raceId) {
    const r = this.race(raceId);
    return r ? r.precision_ms : null;
  }

  /* The race's points in course order (empty when unknown). */
  points(raceId) {
    const r = this.race(raceId);
    return r ? r.points : [];
  }

  point(raceId, pt) {
    return this.points(raceId).find((p) => p.id === pt) || null;
  }

  /* The point's name from the config, else its id made readable ("5k" -> "5K"). */
  pointName(raceId, pt) {
    const p = this.point(raceId, pt);
    return p && p.name ? p.name : fmtPoint(pt);
  }

  /*
   * The name with the distance where the name does not give it: "Heartbreak
   * Hill (32.5 km)", but "5 km", "Start" and "Finish" alone.
   */
  pointLabel(raceId, pt) {
    const p = this.point(raceId, pt);
    const name = this.pointName(raceId, pt);
    if (!p || p.role !== 'split' || !(p.distance_m > 0) || /\d/.test(name)) return name;
    return `${name} (${fmtKm(p.distance_m)})`;
  }

  catName(raceId, cat) {
    const r = this.race(raceId);
    if (r && r.cats.has(cat)) return r.cats.get(cat);
    for (const x of this.raceList) if (x.cats.has(cat)) return x.cats.get(cat);
    return cat == null ? '' : String(cat);
  }

  /* [{id, name}] of the race's categories, in config order. */
  categories(raceId) {
    const r = this.race(raceId);
    return r ? [...r.cats].map(([id, name]) => ({ id, name })) : [];
  }

  /* The wave's start (ms), or null when not known (yet). */
  waveStart(raceId, wave) {
    const r = this.race(raceId);
    if (!r || wave == null) return null;
    const v = r.waves.get(String(wave));
    return v == null ? null : v;
  }

  /* wave id -> start ms (or null) of a race, for project.js. */
  waveStarts(raceId) {
    const r = this.race(raceId);
    return r ? new Map(r.waves) : new Map();
  }

  /* The date as people read it ("20 Apr 2015"), or ''. */
  dateText() {
    return fmtDate(this.date);
  }
}

/* "2015-04-20" -> "20 Apr 2015" ('' for anything else); month: 'long' -> "20 April 2015". */
export function fmtDate(iso, month = 'short') {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(iso || '');
  if (!m) return '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.toLocaleDateString('en-GB', { day: 'numeric', month, year: 'numeric', timeZone: 'UTC' });
}

/* 5000 -> "5 km", 21097.5 -> "21.1 km", 800 -> "800 m" */
export function fmtKm(m) {
  if (typeof m !== 'number' || !Number.isFinite(m)) return '';
  if (m < 1000) return `${Math.round(m)} m`;
  const km = m / 1000;
  return `${Number.isInteger(km) ? km : km.toFixed(1)} km`;
}
