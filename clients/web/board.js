/*
 * board.js: the page's data, apart from the socket and the DOM.
 *
 * Board holds one ranking topic (results/<race>[/sex/<S>|/cat/<cat>]) as the
 * server sends it: rows kept by bib, a snapshot replaces them (offset 0
 * starts afresh, a later offset continues a snapshot sent in pieces), a delta
 * replaces the rows it names.
 *
 * Order and places.  The server computes a row's place when it sends the row
 * and does not re-send the rows whose place shifts when someone finishes
 * ahead of them (server/core/view.c).  With wave starts a runner of a late
 * wave often beats runners who finished long before, so a place held by the
 * client goes stale, and ordering by (place, net) would put a fast late
 * finisher below slower, earlier ones.  So finishers are ordered by their
 * ranking time (net or gun) then bib, the server's own tree order, and while
 * the board holds the whole topic (rows == n) the places are recounted after
 * each sort: 1 + the finishers strictly faster at the race's precision (ties
 * share a place, 1, 2, 2, 4).  The ranking basis and precision are not sent
 * to spectators: they are inferred from each snapshot, whose places are all
 * fresh (defaults: net, 1000 ms).
 *
 * Partial boards.  A snapshot of a big field does not fit the server's
 * per-connection queue, so the page subscribes with a limit (the top rows)
 * and loads the whole list over HTTP only when needed (mergeFull).  The
 * deltas cover the whole topic, so the board then holds every finisher up
 * to the snapshot's last time (prefix): places are recounted up to there,
 * and the server's places are shown beyond.  Then come runners on course, furthest
 * point first and, at the same point, the earliest there; then registered,
 * DNF, DSQ, DNS.
 *
 * The order of the timing points comes from the `event` topic when the
 * page has it (PointOrder.useConfig: course order, event.js); without it,
 * it is learnt from the rows: a point's rank is its mean elapsed time over
 * the runners seen there ("start" first, "finish" last).  Likewise the
 * ranking basis and precision: the event topic's (Board.setRanking), else
 * inferred from the snapshots.
 *
 * Cost: each entry carries its sort keys, computed when its row arrives, so
 * the comparator does no work; the ordered array is kept between updates and
 * re-sorted (nearly sorted input: V8's TimSort is close to linear), only when
 * something changed and only when the page asks for it.  A search scans the
 * ordered array once with precomputed lower-case text.
 *
 * Also: FinishFeed (latest finishers), parseStatus (the counts line) and
 * formatting helpers.  Everything here is pure JS and runs under node too.
 */

const GROUP = { finished: 0, on_course: 2, started: 2, registered: 3, dnf: 4, dsq: 5, dns: 6 };

export function fold(s) {
  return String(s == null ? '' : s)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/* Learns the order of timing points from the splits seen. */
export class PointOrder {
  constructor() {
    this.stats = new Map(); // id -> {sum, count}
    this.ranks = new Map();
    this.version = 0;
    this.config = null; // point ids in course order, from the event topic
  }

  /* The course order from the event topic (ids, start first); null: learn it from the rows again. */
  useConfig(ids) {
    const list = Array.isArray(ids) && ids.length ? ids.map(String) : null;
    if (String(list) === String(this.config)) return;
    this.config = list;
    this.ranks = new Map();
    this.refresh();
  }

  observe(row) {
    const sp = row && row.splits;
    if (!sp || typeof sp !== 'object') return;
    for (const id in sp) {
      const v = sp[id];
      if (typeof v !== 'number') continue;
      let s = this.stats.get(id);
      if (!s) {
        s = { sum: 0, count: 0 };
        this.stats.set(id, s);
      }
      if (s.count < 5000) {
        // enough to order the points; keeps the mean stable later on
        s.sum += v;
        s.count++;
      }
    }
  }

  key(id) {
    if (this.config) {
      // configured points in course order; a point the config lacks just before the last
      const i = this.config.indexOf(id);
      return i >= 0 ? (i === this.config.length - 1 ? i + 1 : i) : this.config.length - 1 + 0.5;
    }
    if (id === 'start') return -1;
    if (id === 'finish') return Number.MAX_SAFE_INTEGER;
    const s = this.stats.get(id);
    return s && s.count ? s.sum / s.count : 0;
  }

  /* Recompute ranks; returns true when the order of points changed. */
  refresh() {
    const ids = [...this.stats.keys()];
    if (this.config) {
      for (const id of this.config) if (!ids.includes(id)) ids.push(id);
    } else if (!ids.includes('finish')) ids.push('finish');
    ids.sort((a, b) => this.key(a) - this.key(b));
    let changed = ids.length !== this.ranks.size;
    ids.forEach((id, i) => {
      if (this.ranks.get(id) !== i) changed = true;
    });
    if (changed) {
      this.ranks = new Map(ids.map((id, i) => [id, i]));
      this.version++;
    }
    return changed;
  }

  rank(id) {
    const r = this.ranks.get(id);
    return r == null ? 0 : r + 1;
  }

  ids() {
    return [...this.ranks.keys()];
  }
}

/* The place shown for a row in a view: overall, within sex or within category. */
export function placeOf(row, view) {
  if (!row) return null;
  if (view && view.kind === 'sex') return numOrNull(row.place_sex);
  if (view && view.kind === 'cat') {
    const pc = row.place_cat;
    return pc && typeof pc === 'object' ? numOrNull(pc[view.key]) : null;
  }
  return numOrNull(row.place);
}

function numOrNull(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function bibNumber(bib) {
  const n = parseInt(bib, 10);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

export class Board {
  /* view: {kind: 'all'|'sex'|'cat', key}; points: a shared PointOrder. */
  constructor(view = { kind: 'all' }, points = new PointOrder()) {
    this.view = view;
    this.points = points;
    this.entries = new Map(); // bib -> entry
    this.order = []; // entries, sorted when !dirty
    this.dirty = false;
    this.n = 0; // rows in the topic, as the server counts them
    this.pointsVersion = points.version;
    this.version = 0; // bumps on every change (for the renderer)
    this.hasSnapshot = false;
    this.prefix = Infinity; // places are recounted for finishers up to this time
    this.basis = 'net'; // ranking time: 'net' or 'gun' (event topic, else inferred)
    this.precision = 1000; // ms at which times share a place (event topic, else inferred)
    this.rankingFixed = false; // basis and precision came from the event topic
  }

  /* The shared PointOrder changed (the event topic's course order): re-sort. */
  syncPoints() {
    if (this.pointsVersion === this.points.version) return;
    this.pointsVersion = this.points.version;
    for (const e of this.entries.values()) this.rekey(e);
    this.dirty = true;
    this.version++;
  }

  /*
   * The race's ranking from the event topic: basis 'net' or 'gun', precision
   * in ms.  Null basis: back to inferring from snapshots.
   */
  setRanking(basis, precision) {
    if (basis !== 'net' && basis !== 'gun') {
      this.rankingFixed = false;
      return;
    }
    const prec = typeof precision === 'number' && precision > 0 ? precision : this.precision;
    this.rankingFixed = true;
    if (basis === this.basis && prec === this.precision) return;
    this.basis = basis;
    this.precision = prec;
    for (const e of this.entries.values()) this.rekey(e);
    this.dirty = true;
    this.version++;
  }

  clear() {
    this.entries.clear();
    this.order = [];
    this.dirty = false;
    this.n = 0;
    this.hasSnapshot = false;
    this.prefix = Infinity;
    this.version++;
  }

  /*
   * A snapshot.  Offset 0 starts afresh, unless the board already held the
   * whole topic (a resend after a reconnect or a config change): then the
   * snapshot's rows replace theirs and the others stay until the page
   * reloads the whole list (loadFull), so the list does not shrink to the
   * snapshot's limit meanwhile.  A later offset continues a snapshot.
   */
  applySnapshot(msg, now = Date.now()) {
    const rows = Array.isArray(msg.rows) ? msg.rows : [];
    const n = typeof msg.n === 'number' ? msg.n : rows.length;
    if (!msg.offset && (!this.full() || rows.length >= n)) {
      this.entries.clear();
      this.order = [];
    }
    this.hasSnapshot = true;
    if (!msg.offset) {
      this.infer(rows);
      // The list is ranked finishers first (by time), then everyone else: a
      // truncated snapshot of finishers only covers every finisher up to the
      // last one's time; one that reaches a non-finisher covers them all.
      const done = rows.length >= n || rows.some((r) => r && r.status !== 'finished');
      this.prefix = done ? Infinity : rows.length ? Math.max(...rows.map((r) => this.rankTime(r) ?? 0)) : -Infinity;
    }
    this.putRows(rows, 0, now);
    this.n = n;
    this.dirty = true;
    this.version++;
  }

  applyDelta(msg, now = Date.now()) {
    const rows = Array.isArray(msg.rows) ? msg.rows : [];
    this.putRows(rows, now, now);
    if (typeof msg.n === 'number' && msg.n !== this.n) {
      this.n = msg.n;
      this.dirty = true;
      this.version++;
    }
  }

  /*
   * Every row of the topic from elsewhere (the HTTP export), asked for at
   * time `since`: a row replaces the board's unless the board's came in a
   * snapshot or delta received after `since` (that one is newer).
   */
  mergeFull(rows, since) {
    const fresh = rows.filter((r) => {
      if (!r || r.bib == null) return false;
      const e = this.entries.get(String(r.bib));
      return !e || e.seenAt < since;
    });
    this.putRows(fresh, 0, since);
    this.prefix = Infinity;
    if (this.entries.size > this.n) this.n = this.entries.size;
    this.dirty = true;
    this.version++;
  }

  putRows(rows, changedAt, seenAt = 0) {
    for (const row of rows) {
      if (!row || row.bib == null) continue;
      this.points.observe(row);
    }
    if (this.points.refresh() || this.pointsVersion !== this.points.version) {
      this.pointsVersion = this.points.version;
      for (const e of this.entries.values()) this.rekey(e);
    }
    for (const row of rows) {
      if (!row || row.bib == null) continue;
      const bib = String(row.bib);
      let e = this.entries.get(bib);
      if (!e) {
        e = { bib, bibNum: bibNumber(bib), row: null, g: 0, k2: 0, k3: 0, place: null, text: '', changedAt: 0, seenAt: 0 };
        this.entries.set(bib, e);
        this.order.push(e);
      }
      e.row = row;
      e.changedAt = changedAt;
      e.seenAt = seenAt;
      e.text = fold(row.name);
      this.rekey(e);
    }
    if (rows.length) {
      this.dirty = true;
      this.version++;
    }
  }

  rekey(e) {
    const r = e.row;
    let g = GROUP[r.status];
    if (g == null) g = 3;
    if (g === 0) {
      const t = this.rankTime(r);
      if (t != null) {
        e.g = 0;
        e.k2 = t;
      } else {
        e.g = 1; // finished without a time: after the timed ones, by the server's place
        e.k2 = placeOf(r, this.view) ?? Number.MAX_SAFE_INTEGER;
      }
      e.k3 = 0;
      return;
    }
    e.g = g;
    if (g === 2) {
      const last = r.last;
      const at = last && r.splits && typeof r.splits[last] === 'number' ? r.splits[last] : 0;
      e.k2 = last ? -this.points.rank(last) : 0;
      e.k3 = at;
    } else {
      e.k2 = 0;
      e.k3 = 0;
    }
  }

  rankTime(r) {
    const v = this.basis === 'gun' ? r.gun : r.net;
    return numOrNull(v) ?? numOrNull(r.net) ?? numOrNull(r.gun);
  }

  /*
   * From a full snapshot (fresh places): is the ranking on net or gun time,
   * and at what precision do times share a place?  Keeps the defaults when
   * the rows do not tell.
   */
  infer(rows) {
    if (this.rankingFixed) return;
    const fins = rows.filter((r) => r && r.status === 'finished' && placeOf(r, this.view) != null);
    if (fins.length < 2) return;
    fins.sort((a, b) => placeOf(a, this.view) - placeOf(b, this.view));
    const monotone = (k) => fins.every((r, i) => i === 0 || (numOrNull(r[k]) ?? -1) >= (numOrNull(fins[i - 1][k]) ?? Infinity));
    const basis = monotone('net') ? 'net' : monotone('gun') ? 'gun' : this.basis;
    if (basis !== this.basis) {
      this.basis = basis;
      for (const e of this.entries.values()) this.rekey(e);
    }
    const times = fins.map((r) => this.rankTime(r));
    for (const prec of [1000, 100, 10, 1, 60000]) {
      let ok = true;
      for (let i = 1; i < fins.length && ok; i++) {
        const same = placeOf(fins[i], this.view) === placeOf(fins[i - 1], this.view);
        ok = same === (Math.floor(times[i] / prec) === Math.floor(times[i - 1] / prec));
      }
      if (ok) {
        this.precision = prec;
        break;
      }
    }
  }

  /* Whether the board holds every row of the topic. */
  full() {
    return this.hasSnapshot && this.entries.size >= this.n;
  }

  sorted() {
    if (this.dirty) {
      this.order.sort(compare);
      this.dirty = false;
      // Places are recounted where the board holds every finisher: all of
      // them when full, else those up to the snapshot's last time (prefix).
      const upTo = this.full() ? Infinity : this.prefix;
      let prevBucket = null;
      let prevPlace = 0;
      for (let i = 0; i < this.order.length; i++) {
        const e = this.order[i];
        if (e.g !== 0 || e.k2 > upTo) {
          e.place = placeOf(e.row, this.view);
          continue;
        }
        const bucket = Math.floor(e.k2 / this.precision);
        e.place = bucket === prevBucket ? prevPlace : i + 1;
        prevBucket = bucket;
        prevPlace = e.place;
      }
    }
    return this.order;
  }

  /* Rows matching a search ("bib prefix" or words of the name), in order. */
  search(query) {
    const list = this.sorted();
    const q = fold(query).trim();
    if (!q) return list;
    const words = q.split(/\s+/);
    return list.filter((e) => {
      if (e.bib.toLowerCase().startsWith(q)) return true;
      for (const w of words) if (!e.text.includes(w)) return false;
      return true;
    });
  }

  /* Every category and sex seen in the rows (for the filter menu). */
  categories() {
    const cats = new Set();
    const sexes = new Set();
    for (const e of this.entries.values()) {
      const r = e.row;
      if (r.sex) sexes.add(r.sex);
      if (Array.isArray(r.cats)) for (const c of r.cats) cats.add(c);
    }
    return { cats: [...cats].sort(), sexes: [...sexes].sort() };
  }
}

function compare(a, b) {
  return a.g - b.g || a.k2 - b.k2 || a.k3 - b.k3 || a.bibNum - b.bibNum || (a.bib < b.bib ? -1 : a.bib > b.bib ? 1 : 0);
}

/* The latest finishers, newest first, from finishes/<race>. */
export class FinishFeed {
  constructor(max = 50) {
    this.max = max;
    this.items = []; // rows, newest first
    this.version = 0;
  }

  static finishAt(row) {
    if (typeof row.start === 'number' && typeof row.net === 'number') return row.start + row.net;
    if (typeof row.net === 'number') return row.net;
    return 0;
  }

  applySnapshot(msg) {
    this.items = [];
    this.add(msg.rows);
  }

  applyDelta(msg) {
    this.add(msg.rows);
  }

  add(rows) {
    if (!Array.isArray(rows) || !rows.length) return;
    const byBib = new Map(this.items.map((r) => [String(r.bib), r]));
    for (const r of rows) if (r && r.bib != null) byBib.set(String(r.bib), r);
    this.items = [...byBib.values()]
      .sort((a, b) => FinishFeed.finishAt(b) - FinishFeed.finishAt(a))
      .slice(0, this.max);
    this.version++;
  }
}

/*
 * The `status` topic's counts.  PROTOCOL.md names the counts (participants,
 * started, finished, reads, unknown) but not the frame's shape, so accept
 * them at the top level, in rows[0], or per race (rows with "race", or a
 * "races" map/list).  Returns {participants, started, finished, races:[ids]}
 * for the race asked (totals when there is no per-race entry).
 */
export function parseStatus(msg, race) {
  const out = { participants: null, started: null, finished: null, races: [] };
  if (!msg) return out;
  const take = (o) => {
    if (!o || typeof o !== 'object') return false;
    let got = false;
    for (const k of ['participants', 'started', 'finished']) {
      if (typeof o[k] === 'number') {
        out[k] = o[k];
        got = true;
      }
    }
    if (typeof o.registered === 'number' && out.participants == null) {
      out.participants = o.registered;
      got = true;
    }
    return got;
  };
  const rows = Array.isArray(msg.rows) ? msg.rows : [];
  let perRace = null;
  const raceList = [];
  const addRaces = (list) => {
    for (const r of list) {
      const id = r && (r.race || r.id);
      if (id && !raceList.includes(id)) raceList.push(id);
      if (id === race) perRace = r;
    }
  };
  addRaces(rows.filter((r) => r && r.race));
  for (const holder of [msg, rows[0], msg.status]) {
    if (!holder || typeof holder !== 'object') continue;
    const races = holder.races;
    if (Array.isArray(races)) addRaces(races);
    else if (races && typeof races === 'object') {
      addRaces(Object.entries(races).map(([id, v]) => ({ ...(typeof v === 'object' ? v : {}), race: id })));
    }
  }
  out.races = raceList;
  take(msg) || take(msg.status) || take(rows.find((r) => r && !r.race));
  if (perRace) take(perRace);
  if (perRace && perRace.results && typeof perRace.results === 'object') out.results = perRace.results;
  return out;
}

/*
 * A race's results state (the status topic's `results`: provisional,
 * official, corrected, with who and when) as a label for people:
 * {text, title, cls}, or null without one.
 */
export function resultsLabel(res, fmtClock) {
  if (!res || !res.state) return null;
  const at = (ms) => (typeof ms === 'number' && fmtClock ? ` at ${fmtClock(ms)}` : '');
  if (res.state === 'official') return { text: 'Official results', title: `made official by ${res.official_by || '?'}${at(res.official_at)}`, cls: 'res-official' };
  if (res.state === 'corrected') return { text: 'Corrected after official', title: `official by ${res.official_by || '?'}${at(res.official_at)}; corrected by ${res.corrected_by || '?'}${at(res.corrected_at)}: ${res.corrected_why || ''}`, cls: 'res-corrected' };
  return { text: 'Provisional results', title: 'results may still change until the officials make them official', cls: 'res-provisional' };
}

/*
 * Per race counts of the `status` topic (`races: [{race, participants,
 * started, finished}]` in its row): [{race, participants, started,
 * finished}] in the server's order, [] when it gives none.
 */
export function raceCounts(msg) {
  if (!msg) return [];
  const rows = Array.isArray(msg.rows) ? msg.rows : [];
  for (const holder of [rows[0], msg, msg.status]) {
    if (!holder || !Array.isArray(holder.races)) continue;
    return holder.races
      .filter((r) => r && (r.race || r.id))
      .map((r) => ({ race: String(r.race || r.id), participants: numOrNull(r.participants), started: numOrNull(r.started), finished: numOrNull(r.finished) }));
  }
  return [];
}

/* ---- formatting ---- */

/* ms -> H:MM:SS (whole seconds, truncated as results are published). */
export function fmtDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/* ms per km -> M:SS */
export function fmtPace(msPerKm) {
  if (typeof msPerKm !== 'number' || !Number.isFinite(msPerKm) || msPerKm <= 0) return '';
  const s = Math.round(msPerKm / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/*
 * Clock times (a split at 09:48) are shown in the event's time zone, the
 * `event` topic's `timezone` (PROTOCOL.md "Topics"), so that a viewer in
 * another zone sees the event's clocks and not their own; without one (or
 * one this browser does not know), in the viewer's zone, as before.
 * common.js's followEvent sets it on every event snapshot.
 */
let clockZone = null;
const clockFormats = new Map(); // zone -> Intl.DateTimeFormat, or null when unknown

function clockFormat(tz) {
  let f = clockFormats.get(tz);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    } catch {
      f = null; // RangeError: not a zone this browser knows
    }
    clockFormats.set(tz, f);
  }
  return f;
}

/* The zone clock times are shown in (an IANA name), or null for the viewer's own. Returns it. */
export function setClockZone(tz) {
  clockZone = typeof tz === 'string' && tz && clockFormat(tz) ? tz : null;
  return clockZone;
}

export function clockZoneName() {
  return clockZone;
}

/*
 * What clock times on the page are: "Times of day: New York time (EDT,
 * UTC-04:00)" for the event's zone on `when` (epoch ms: the race day, for
 * its summer or winter time), or the viewer's own zone when the event names
 * none.
 */
export function clockZoneLabel(tz = clockZone, when = Date.now()) {
  if (!tz) return 'Times of day: your own time zone (the event names none)';
  const part = (opts) => {
    try {
      const p = new Intl.DateTimeFormat('en-US', { timeZone: tz, ...opts }).formatToParts(new Date(when));
      return (p.find((x) => x.type === 'timeZoneName') || {}).value || '';
    } catch {
      return '';
    }
  };
  const abbr = part({ timeZoneName: 'short' });
  const off = part({ timeZoneName: 'longOffset' }).replace(/^GMT/, 'UTC') || 'UTC';
  const place = tz.split('/').pop().replace(/_/g, ' ');
  const named = abbr && !/^(GMT|UTC)/.test(abbr) ? `${abbr}, ` : '';
  return `Times of day: ${place} time (${named}${off === 'UTC' ? 'UTC+00:00' : off})`;
}

/* Epoch ms -> time of day HH:MM:SS in tz (default: the event's zone, else the viewer's). */
export function fmtClock(ms, tz = clockZone) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return '';
  const f = tz ? clockFormat(tz) : null;
  if (f) {
    const p = {};
    for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
    return `${p.hour}:${p.minute}:${p.second}`;
  }
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((v) => String(v).padStart(2, '0')).join(':');
}

/* "5k" -> "5K", "half" -> "Half", "finish" -> "Finish" */
export function fmtPoint(id) {
  if (!id) return '';
  const s = String(id);
  if (/^\d+(\.\d+)?(k|km|mi)$/i.test(s)) return s.replace(/k$/i, 'K');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const STATUS_LABEL = {
  registered: 'Registered',
  started: 'Started',
  on_course: 'On course',
  finished: 'Finished',
  dnf: 'DNF',
  dns: 'DNS',
  dsq: 'DSQ',
};

const DECISION_LABEL = { penalty: 'Penalty', dq: 'Disqualified', dns: 'Did not start', dnf: 'Did not finish', scratch: 'Scratched', exhibition: 'Exhibition', relegation: 'Relegated', place: "Judges' place", station: 'Station', hand_time: 'Hand time' };

/* The officials' decisions on a row, as one sentence ("Disqualified: shortcut at 20 km"). */
export function reasonsText(row) {
  return (Array.isArray(row.reasons) ? row.reasons : [])
    .map((r) => `${DECISION_LABEL[r.type] || r.type}${r.reason ? `: ${r.reason}` : ''}`).join('; ');
}

/* A penalty (+) or bonus (-) in a row: "+1:00", or '' when none. */
export function adjustmentText(row) {
  if (typeof row.penalty !== 'number' || row.penalty === 0) return '';
  const ms = Math.abs(row.penalty), s = Math.round(ms / 1000);
  const t = s >= 3600 ? `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${row.penalty > 0 ? '+' : '−'}${t}`;
}

export function fmtInt(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
}
