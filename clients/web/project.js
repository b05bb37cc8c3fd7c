/*
 * project.js: projections for the tracker and the announcer, pure functions
 * (no DOM, no socket) so that node tests check them against hand-computed
 * fixtures (tests/browser/project.test.mjs).
 *
 * What a result row gives (PROTOCOL.md "Result row"): `start` (epoch ms of
 * the start crossing), `splits` (elapsed net ms at each point reached),
 * `last` (the furthest point), and for a runner on course `proj`, the
 * server's projected net finish: elapsed at `last` x race distance /
 * distance of `last` (server/core/view.c), i.e. an even pace from the last
 * split on.  `pace` is sent for finishers only.
 *
 * Geometry.  The `event` topic gives the race's distance and each point's
 * distance (event.js); learnGeometry(rows, race) takes them as they are.
 * Without it (an older server, the topic not there yet) the rows tell: each
 * on-course row gives its last point's share of the race exactly:
 * frac(last) = splits[last] / proj.  learnGeometry() collects these (the
 * median per point; "finish" is 1) and the race distance from finishers
 * (net x 1000 / pace).  A point no on-course row has reached yet falls back
 * to a finisher's splits[p] / net, or to the distance in its id ("5k",
 * "half") over the race distance.
 *
 * Times of arrival.  A runner on course reaches point p at
 *   start + proj x frac(p)
 * (even pace); the finish at start + proj.  upcoming() lists every runner
 * on course who has not reached p and whose arrival lies in
 * [now - graceMs, now + windowMs], soonest first; "overdue" marks those
 * already past their time (up to graceMs late).
 *
 * Projected finish.  `proj` is a net time.  A race ranked by gun time
 * (`ranking: "gun"` in the event topic) projects gun time: the runner's
 * start crossing - the wave's start (from the event topic, which is sent
 * again when a wave start changes) + proj.  projectedFinish() gives the time
 * and the basis it is on; while the wave's start is unknown a gun race's
 * projection stays net (and says so).
 *
 * Projected places.  makeProjector(rows) sorts the ranking times once: a
 * finisher's time (net, or gun when the ranking is gun), an on-course
 * runner's projected time on the same basis (projectedFinish, with the
 * waves' starts passed as `waves`).  A projected time T gets place
 * 1 + the number of other runners (finished or projected) whose time, cut
 * to precision_ms, is smaller: ties share a place, as in the results.
 * Overall and per category.  Runners who are neither finished nor on
 * course with a projection do not count.  With finishedOnly only finishers
 * count: a finisher's current place (the server's place in an athlete/<bib>
 * row goes stale when faster runners finish later, PROTOCOL.md "delta").
 */

export const FINISH = 'finish';

const ID_DIST = { half: 21097.5, marathon: 42195 };

/* The distance in metres a point id names ("5k", "10km", "13.1mi", "half"), else null. */
export function distanceFromId(id) {
  if (id == null) return null;
  const s = String(id).toLowerCase();
  if (s in ID_DIST) return ID_DIST[s];
  const m = /^(\d+(?:\.\d+)?)(k|km|mi|m)$/.exec(s);
  if (!m) return null;
  const v = parseFloat(m[1]);
  return m[2] === 'mi' ? v * 1609.344 : m[2] === 'm' ? v : v * 1000;
}

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function median(list) {
  if (!list.length) return null;
  const s = [...list].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/* Whether a row is a runner on course with what a projection needs. */
export function isProjectable(row) {
  return !!row && (row.status === 'on_course' || row.status === 'started') && num(row.proj) != null && num(row.start) != null && row.proj > 0;
}

/*
 * rows: an iterable of result rows; race (optional): the race as event.js
 * describes it ({distance_m, points: [{id, distance_m}]}), whose distances
 * win over what the rows suggest.  Returns {fracs: Map point -> share of
 * the race (0..1], distance: race metres or null}.
 */
export function learnGeometry(rows, race = null) {
  const exact = new Map(); // point -> [fractions]
  const approx = new Map();
  const dists = [];
  for (const r of rows) {
    if (!r || !r.splits) continue;
    if (isProjectable(r) && r.last && num(r.splits[r.last]) != null) {
      let l = exact.get(r.last);
      if (!l) exact.set(r.last, (l = []));
      if (l.length < 200) l.push(r.splits[r.last] / r.proj);
    } else if (r.status === 'finished' && num(r.net) > 0) {
      if (num(r.pace) > 0 && dists.length < 200) dists.push((r.net * 1000) / r.pace);
      for (const p in r.splits) {
        const v = num(r.splits[p]);
        if (v == null || p === FINISH) continue;
        let l = approx.get(p);
        if (!l) approx.set(p, (l = []));
        if (l.length < 200) l.push(v / r.net);
      }
    }
  }
  const distance = dists.length ? Math.round(median(dists)) : null;
  const fracs = new Map([[FINISH, 1]]);
  for (const [p, l] of approx) fracs.set(p, median(l));
  for (const [p, l] of exact) fracs.set(p, median(l));
  const cd = race && num(race.distance_m) > 0 ? race.distance_m : null;
  if (cd) {
    for (const pt of Array.isArray(race.points) ? race.points : []) {
      const d = pt && num(pt.distance_m);
      if (pt && pt.id && d != null && d >= 0 && pt.id !== FINISH) fracs.set(pt.id, Math.min(1, d / cd));
    }
    return { fracs, distance: cd };
  }
  if (distance) {
    for (const p of [...exact.keys(), ...approx.keys()]) {
      if (!fracs.has(p)) {
        const d = distanceFromId(p);
        if (d != null) fracs.set(p, d / distance);
      }
    }
  }
  return { fracs, distance };
}

/* Share of the race at point p, or null when unknown. */
export function fracOf(geom, p) {
  if (p === FINISH) return 1;
  const f = geom && geom.fracs.get(p);
  if (f != null) return f;
  const d = distanceFromId(p);
  return d != null && geom && geom.distance ? d / geom.distance : null;
}

/* Epoch ms at which a runner on course is expected at point p, or null. */
export function etaAt(row, p, geom) {
  if (!isProjectable(row)) return null;
  if (row.splits && num(row.splits[p]) != null) return null; // already there
  const f = fracOf(geom, p);
  if (f == null) return null;
  const lastAt = row.last && row.splits ? num(row.splits[row.last]) : null;
  const at = Math.round(row.start + row.proj * f);
  // never before the last crossing (a point behind the runner)
  if (lastAt != null && at <= row.start + lastAt) return null;
  return at;
}

/* Projected pace in ms per km from a row (proj over the race distance), or the finisher's pace. */
export function paceOf(row, geom) {
  if (!row) return null;
  if (num(row.pace) > 0) return row.pace;
  const d = geom && geom.distance;
  if (isProjectable(row) && d) return Math.round((row.proj * 1000) / d);
  return null;
}

/*
 * The runners expected at `point` (default the finish) between now - graceMs
 * and now + windowMs, soonest first.  Returns [{row, bib, eta, inMs, overdue}].
 */
export function upcoming(rows, { now, windowMs, graceMs = 0, point = FINISH, geom = null } = {}) {
  const list = Array.isArray(rows) ? rows : [...rows];
  const g = geom || learnGeometry(list);
  const out = [];
  for (const row of list) {
    const eta = etaAt(row, point, g);
    if (eta == null) continue;
    if (eta < now - graceMs || eta > now + windowMs) continue;
    out.push({ row, bib: String(row.bib), eta, inMs: eta - now, overdue: eta < now });
  }
  out.sort((a, b) => a.eta - b.eta || (a.bib < b.bib ? -1 : a.bib > b.bib ? 1 : 0));
  return out;
}

/*
 * The projected finish of a runner on course on the race's basis: {ms,
 * basis}.  ranking 'gun' with the wave's start known (waveStart, epoch ms):
 * start crossing - waveStart + proj, basis 'gun'; otherwise proj, basis
 * 'net'.  Null when the row has no projection.
 */
export function projectedFinish(row, { ranking = 'net', waveStart = null } = {}) {
  if (!isProjectable(row)) return null;
  if (ranking === 'gun' && num(waveStart) != null) {
    return { ms: row.start - waveStart + row.proj, basis: 'gun' };
  }
  return { ms: row.proj, basis: 'net' };
}

/* waves: a Map or object wave id -> start ms (or null); the row's wave's start. */
export function waveStartOf(row, waves) {
  if (!row || row.wave == null || !waves) return null;
  const v = waves instanceof Map ? waves.get(String(row.wave)) : waves[String(row.wave)];
  return num(v);
}

/* A row's time for the ranking: finishers' result, on-course runners' projection on the same basis. */
export function rankingTime(row, basis = 'net', waves = null) {
  if (!row) return null;
  if (row.status === 'finished') {
    const t = basis === 'gun' ? num(row.gun) ?? num(row.net) : num(row.net) ?? num(row.gun);
    return t;
  }
  const p = projectedFinish(row, { ranking: basis, waveStart: waveStartOf(row, waves) });
  return p ? p.ms : null;
}

function lowerBound(arr, x) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/*
 * Sorts every row's ranking time (bucketed at precision) overall and per
 * category; waves (wave id -> start ms) project gun times for a gun basis.  Returns place(row) -> {place, cats: {cat: place}} for the row's
 * projected (or actual) time, or null when the row has none.
 */
export function makeProjector(rows, { precision = 1000, basis = 'net', finishedOnly = false, waves = null } = {}) {
  const prec = precision > 0 ? precision : 1;
  const all = [];
  const byCat = new Map();
  const key = new Map(); // bib -> bucket
  for (const r of rows) {
    if (finishedOnly && (!r || r.status !== 'finished')) continue;
    const t = rankingTime(r, basis, waves);
    if (t == null) continue;
    const b = Math.floor(t / prec);
    all.push(b);
    key.set(String(r.bib), b);
    for (const c of Array.isArray(r.cats) ? r.cats : []) {
      let l = byCat.get(c);
      if (!l) byCat.set(c, (l = []));
      l.push(b);
    }
  }
  const cmp = (a, b) => a - b;
  all.sort(cmp);
  for (const l of byCat.values()) l.sort(cmp);
  return function place(row) {
    const t = rankingTime(row, basis, waves);
    if (t == null) return null;
    const b = Math.floor(t / prec);
    // The row itself is counted when it is among the rows: it is never
    // below its own bucket, so it does not change the count.
    const cats = {};
    for (const c of Array.isArray(row.cats) ? row.cats : []) cats[c] = lowerBound(byCat.get(c) || [], b) + 1;
    return { place: lowerBound(all, b) + 1, cats };
  };
}
