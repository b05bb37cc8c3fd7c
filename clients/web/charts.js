/*
 * charts.js: the athlete page's pictures, drawn as SVG by the page (no
 * outside service, no map tiles: they work offline).  Each chart is a pure
 * model (numbers from result rows; node tests check them, charts.test.mjs)
 * and a renderer that turns the model into an <svg> scaled to its box
 * (viewBox, width 100%), so that it never overflows a phone.
 *
 *   segmentPaces   pace (ms per km) of each segment between the timing
 *                  points the athlete has crossed, in course order
 *   placesAt       the athlete's place at each timing point crossed: 1 +
 *                  the runners of the race whose elapsed net time there,
 *                  cut to the race's precision, is smaller (as the results
 *                  place finishers), out of those who crossed it
 *   histogram      finish times of a race (or one category) in bins of a
 *                  round width (1, 2, 5, 10, 15, 30 minutes...), the bin of
 *                  the athlete's time marked
 *   parseGpx,      the course from the race's optional GPX text (event
 *   courseAt       topic `gpx`): track points with their distance along the
 *                  track (haversine); a point of the course at a share of
 *                  the race (its distance / the race's), so that timing
 *                  points and athletes are placed by distance
 *
 * For tests every drawn datum carries a class and data-*: pace and place
 * points are <circle class="pt" data-pt>, bars <rect class="bar" data-n>,
 * the athlete's bin .bar.mine and the line .mark, the course <polyline
 * class="course">, timing points <circle class="tp" data-pt>, athletes
 * <g class="who" data-bib data-frac>.
 */

export const FINISH = 'finish';

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/*
 * points: the race's points in course order ([{id, distance_m, role}], the
 * event topic's); distOf(id): metres from the start, or null (default: the
 * point's distance_m).  Returns [{pt, from, ms, m, pace}] (pace ms per km).
 */
export function segmentPaces(row, points, distOf = null) {
  const sp = (row && row.splits) || {};
  const dist = distOf || ((id) => num((points.find((p) => p.id === id) || {}).distance_m));
  const out = [];
  let prev = { pt: 'start', t: 0, d: 0 };
  for (const p of points) {
    if (p.role === 'start' || p.id === 'start') continue;
    const t = num(sp[p.id]);
    const d = dist(p.id);
    if (t == null || d == null || d <= prev.d || t <= prev.t) continue;
    const ms = t - prev.t;
    const m = d - prev.d;
    out.push({ pt: p.id, from: prev.pt, ms, m, pace: Math.round((ms * 1000) / m) });
    prev = { pt: p.id, t, d };
  }
  return out;
}

/* The athlete's place at each point crossed: [{pt, place, of}] in course order. */
export function placesAt(row, rows, points, precision = 1000) {
  const prec = precision > 0 ? precision : 1;
  const sp = (row && row.splits) || {};
  const bib = row ? String(row.bib) : '';
  const out = [];
  for (const p of points) {
    if (p.role === 'start' || p.id === 'start') continue;
    const mine = num(sp[p.id]);
    if (mine == null) continue;
    const b = Math.floor(mine / prec);
    let ahead = 0;
    let of = 1;
    for (const r of rows) {
      if (!r || String(r.bib) === bib || !r.splits) continue;
      const v = num(r.splits[p.id]);
      if (v == null) continue;
      of++;
      if (Math.floor(v / prec) < b) ahead++;
    }
    out.push({ pt: p.id, place: ahead + 1, of });
  }
  return out;
}

const NICE_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200].map((s) => s * 1000);

/*
 * times: finish times (ms); mark: the athlete's (or null).  Returns {width,
 * bins: [{lo, hi, n}], mine: index of mark's bin or -1, max}.
 */
export function histogram(times, mark = null, { target = 24 } = {}) {
  const ts = times.filter((t) => num(t) != null && t >= 0);
  if (mark != null) ts.push(mark);
  if (!ts.length) return { width: 0, bins: [], mine: -1, max: 0 };
  let lo = Math.min(...ts);
  const hi = Math.max(...ts);
  const width = NICE_MS.find((w) => (hi - lo) / w <= target) || NICE_MS[NICE_MS.length - 1];
  lo = Math.floor(lo / width) * width;
  const nb = Math.floor((hi - lo) / width) + 1;
  const bins = Array.from({ length: nb }, (_, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, n: 0 }));
  for (const t of times) if (num(t) != null && t >= 0) bins[Math.floor((t - lo) / width)].n++;
  const mine = mark != null ? Math.floor((mark - lo) / width) : -1;
  return { width, bins, mine, max: Math.max(...bins.map((b) => b.n)) };
}

/* ---- the course ---- */

const R_EARTH = 6371008.8;

function haversine(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R_EARTH * Math.asin(Math.min(1, Math.sqrt(h)));
}

/* GPX text -> [{lat, lon, d}] (d: metres along the track); [] when it has no usable point. */
export function parseGpx(text) {
  const pts = [];
  const re = /<(?:\w+:)?(?:trkpt|rtept)\b([^>]*)>/g;
  let m;
  while ((m = re.exec(String(text || '')))) {
    const la = /\blat\s*=\s*["']?(-?\d+(?:\.\d+)?)/.exec(m[1]);
    const lo = /\blon\s*=\s*["']?(-?\d+(?:\.\d+)?)/.exec(m[1]);
    if (!la || !lo) continue;
    const lat = Number(la[1]);
    const lon = Number(lo[1]);
    if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) continue;
    const p = { lat, lon, d: 0 };
    if (pts.length) p.d = pts[pts.length - 1].d + haversine(pts[pts.length - 1], p);
    pts.push(p);
  }
  return pts;
}

/* The course point at share f (0..1) of the track's length: {lat, lon}. */
export function courseAt(track, f) {
  if (!track.length) return null;
  const total = track[track.length - 1].d;
  const want = Math.max(0, Math.min(1, f)) * total;
  let lo = 0;
  let hi = track.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (track[mid].d <= want) lo = mid;
    else hi = mid;
  }
  const a = track[lo];
  const b = track[hi];
  const k = b.d > a.d ? (want - a.d) / (b.d - a.d) : 0;
  return { lat: a.lat + (b.lat - a.lat) * k, lon: a.lon + (b.lon - a.lon) * k };
}

/* ---- SVG ---- */

const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text = null) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

function frame(w, h, label) {
  const svg = el('svg', { viewBox: `0 0 ${w} ${h}`, width: '100%', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  svg.append(el('title', {}, label));
  return svg;
}

const W = 640;
const H = 240;
const PAD = { l: 70, r: 16, t: 16, b: 44 };

/* A line of points over the segments/points: ys are values, lower drawn higher when invert. */
function lineChart(items, { label, yText, xText, invert = false, cls }) {
  const svg = frame(W, H, label);
  svg.classList.add('chart-svg', cls);
  if (!items.length) return svg;
  const ys = items.map((i) => i.y);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const x = (i) => PAD.l + (items.length === 1 ? (W - PAD.l - PAD.r) / 2 : (i * (W - PAD.l - PAD.r)) / (items.length - 1));
  const y = (v) => {
    const k = (v - lo) / (hi - lo);
    return PAD.t + (invert ? k : 1 - k) * (H - PAD.t - PAD.b);
  };
  svg.append(el('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, class: 'axis' }), el('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: 'axis' }));
  for (const v of [lo, hi]) svg.append(el('text', { x: PAD.l - 6, y: y(v) + 5, class: 'tick', 'text-anchor': 'end' }, yText(v)));
  svg.append(el('polyline', { points: items.map((it, i) => `${x(i).toFixed(1)},${y(it.y).toFixed(1)}`).join(' '), class: 'line' }));
  const every = Math.ceil(items.length / 6);
  items.forEach((it, i) => {
    const c = el('circle', { cx: x(i).toFixed(1), cy: y(it.y).toFixed(1), r: 5, class: 'pt', 'data-pt': it.pt, 'data-v': it.y });
    c.append(el('title', {}, it.title));
    svg.append(c);
    // the last label ends at its point, the first starts at it: none runs off the picture
    const anchor = items.length > 1 && i === items.length - 1 ? 'end' : items.length > 1 && i === 0 ? 'start' : 'middle';
    const last = i === items.length - 1;
    if ((i % every === 0 && i + every <= items.length - 1) || last) svg.append(el('text', { x: x(i), y: H - PAD.b + 24, class: 'tick', 'text-anchor': anchor }, xText(it)));
  });
  return svg;
}

/* Pace per segment: faster (smaller) higher up. */
export function paceSvg(segs, { fmtPace, pointName }) {
  return lineChart(
    segs.map((s) => ({ pt: s.pt, y: s.pace, title: `${pointName(s.from)} → ${pointName(s.pt)}: ${fmtPace(s.pace)} /km` })),
    { label: 'Pace per segment (min/km)', yText: (v) => fmtPace(v), xText: (it) => pointName(it.pt), invert: true, cls: 'chart-pace' },
  );
}

/* Place at each point: 1st on top. */
export function placeSvg(places, { pointName }) {
  return lineChart(
    places.map((p) => ({ pt: p.pt, y: p.place, title: `${pointName(p.pt)}: ${p.place} of ${p.of}` })),
    { label: 'Place at each timing point', yText: (v) => String(Math.round(v)), xText: (it) => pointName(it.pt), invert: true, cls: 'chart-place' },
  );
}

/* Finish-time histogram; the athlete's bin filled and a line at their time. */
export function histogramSvg(model, mark, { fmtDuration, label }) {
  const svg = frame(W, H, label);
  svg.classList.add('chart-svg', 'chart-hist');
  const { bins, max } = model;
  if (!bins.length) return svg;
  const bw = (W - PAD.l - PAD.r) / bins.length;
  const y = (n) => H - PAD.b - (max ? (n / max) * (H - PAD.t - PAD.b) : 0);
  svg.append(el('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: 'axis' }));
  svg.append(el('text', { x: PAD.l - 6, y: PAD.t + 14, class: 'tick', 'text-anchor': 'end' }, String(max)));
  bins.forEach((b, i) => {
    const r = el('rect', { x: (PAD.l + i * bw + 0.5).toFixed(1), y: y(b.n).toFixed(1), width: Math.max(1, bw - 1).toFixed(1), height: (H - PAD.b - y(b.n)).toFixed(1), class: i === model.mine ? 'bar mine' : 'bar', 'data-n': b.n, 'data-lo': b.lo });
    r.append(el('title', {}, `${fmtDuration(b.lo)}–${fmtDuration(b.hi)}: ${b.n}`));
    svg.append(r);
  });
  const every = Math.ceil(bins.length / 5);
  bins.forEach((b, i) => {
    if (i % every === 0) svg.append(el('text', { x: PAD.l + i * bw, y: H - PAD.b + 24, class: 'tick', 'text-anchor': 'start' }, fmtDuration(b.lo).replace(/:00$/, '')));
  });
  if (mark != null && model.width) {
    const x = PAD.l + ((mark - bins[0].lo) / model.width) * bw;
    svg.append(el('line', { x1: x.toFixed(1), y1: PAD.t, x2: x.toFixed(1), y2: H - PAD.b, class: 'mark' }));
  }
  return svg;
}

/*
 * The course: the track, the timing points (pts: [{id, f, name}], f the share
 * of the race) and the athletes (who: [{bib, name, f, projected}]).
 */
export function courseSvg(track, pts, who) {
  const svg = frame(W, 400, 'Course with the timing points and the athletes followed');
  svg.classList.add('chart-svg', 'chart-course');
  if (!track.length) return svg;
  const lat0 = track.reduce((s, p) => s + p.lat, 0) / track.length;
  const kx = Math.cos((lat0 * Math.PI) / 180);
  const xs = track.map((p) => p.lon * kx);
  const ys = track.map((p) => -p.lat);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const span = Math.max(Math.max(...xs) - minX, Math.max(...ys) - minY) || 1e-9;
  const m = 24;
  const s = Math.min((W - 2 * m) / (Math.max(...xs) - minX || span), (400 - 2 * m) / (Math.max(...ys) - minY || span));
  // centred in the picture
  const ox = (W - (Math.max(...xs) - minX) * s) / 2;
  const oy = (400 - (Math.max(...ys) - minY) * s) / 2;
  const X = (p) => (ox + (p.lon * kx - minX) * s).toFixed(1);
  const Y = (p) => (oy + (-p.lat - minY) * s).toFixed(1);
  svg.append(el('polyline', { points: track.map((p) => `${X(p)},${Y(p)}`).join(' '), class: 'course' }));
  for (const p of pts) {
    const at = courseAt(track, p.f);
    const c = el('circle', { cx: X(at), cy: Y(at), r: 5, class: 'tp', 'data-pt': p.id });
    c.append(el('title', {}, p.name));
    svg.append(c);
  }
  for (const w of who) {
    const at = courseAt(track, w.f);
    const g = el('g', { class: w.projected ? 'who projected' : 'who', 'data-bib': w.bib, 'data-frac': w.f.toFixed(4) });
    g.append(el('circle', { cx: X(at), cy: Y(at), r: 9 }), el('text', { x: X(at), y: (Number(Y(at)) - 13).toFixed(1), 'text-anchor': 'middle', class: 'who-label' }, w.label));
    g.append(el('title', {}, `${w.name}${w.projected ? ' (projected position)' : ''}`));
    svg.append(g);
  }
  return svg;
}
