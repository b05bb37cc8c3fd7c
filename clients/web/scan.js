/*
 * scan.js: the check-in scanner for phones (scan.html), and what the desk
 * (desk.js) shares with it: an authenticated connection and the outbox.
 *
 * Design.  AuthClient is protocol.js's SplitlineClient with a token in its
 * hello (role desk or scanner); the hello reply names the device.  Every
 * scan goes first into the Outbox, kept in localStorage under the event and
 * device, with a per-device seq (the next seq and the acked seq are stored
 * with the items), and is shown "queued".  The outbox sends the scans past
 * the acked seq as one `checkins` batch at a time (PROTOCOL.md "Check-in"),
 * marks them "saved" on the ack, and learns each scan's answer from the
 * topic scans/<dev>, subscribed with offset = the first unanswered seq.
 * Offline (the browser says so, or the socket is down) it keeps queueing;
 * after every (re)connect it resends everything unacked with the same seqs
 * (resends are idempotent on the server).  A `gap` err makes it resend from
 * the seq the server expects.
 *
 * A scan is a plain check-in or, from a desk, one of the ops assign, pair,
 * swap, transfer (PROTOCOL.md "Check-in"): the op and its fields (bib,
 * chip, with, reason, to) travel with the item.  A batch the server refuses
 * for good (`bad_request`, `forbidden`: it names scans[i]) would block the
 * outbox forever; that scan is answered locally as "refused" and the scans
 * after it take its seq (nothing of the batch was appended), so the rest
 * still go; the refused item keeps seq -1.
 *
 * Invariants: seqs are given once and never reused while stored; at most
 * one batch is in flight; acked <= next - 1; an item leaves the outbox only
 * once answered and older than the last KEEP answered items.  A fresh
 * outbox (nothing stored for this device) first asks scans/<dev> for the
 * device's last answered seq, so a phone whose storage was wiped does not
 * reuse seqs the server already holds (they would be acked as duplicates
 * and never answered).
 *
 * The scanner page takes codes from the keyboard field (a wedge scanner
 * types a code and Enter) and, on request, from the camera (camera.js): a
 * decoded QR text is queued exactly like a typed code.
 */
import { SplitlineClient } from './protocol.js';
import { connBadge, fmtClockOf, followClockZone } from './common.js';
import { Camera } from './camera.js';
import { warningHead, warningSentence, errorSentence, connSentence, stopReason, STOP_WHAT_TO_DO } from './words.js';

const KEEP = 50; // answered items kept for the list
const BATCH_MAX = 500;
export const CODE_MAX = 64;
// The fields of a scan besides code, t, volunteer and race, per op (PROTOCOL.md "Check-in").
const OP_FIELDS = ['op', 'bib', 'chip', 'with', 'reason', 'to'];
const REFUSED = new Set(['bad_request', 'forbidden']);

export class AuthClient extends SplitlineClient {
  constructor(opts = {}) {
    super(opts);
    this.token = opts.token || null;
    this.hello = null;
    this.stopWhy = null;
    this.listeners.stop = [];
    this.on('hello', (r) => (this.hello = r));
  }

  /*
   * The hello carries the token; a token this page cannot use (refused:
   * unknown, revoked, another event; or accepted for a role that cannot
   * check in) stops the client for good: retrying would queue scans for
   * ever behind a "Ready".  The page shows why (on('stop', {title, text})).
   */
  request(msg) {
    if (msg.t !== 'hello') return super.request(msg);
    if (this.token) msg = { ...msg, token: this.token };
    return super.request(msg).then(
      (r) => {
        const why = stopReason(r);
        if (why) this.halt(why);
        return r;
      },
      (err) => {
        // after a 4001 close (revoked on this node) the hello says "unknown or revoked": it was revoked
        const e = err && err.code === 'unauthorized' && this.closedRevoked ? { ...err, msg: 'token revoked' } : err;
        const why = e && e.code !== 'unavailable' ? stopReason({ t: 'err', ...e }) : null;
        if (why) this.halt(why);
        throw err;
      },
    );
  }

  onClose(ws, ev) {
    if (ws === this.ws && ev && ev.code === 4001) this.closedRevoked = true;
    super.onClose(ws, ev);
  }

  /* Stops for good (see request): why = {title, text}. */
  halt(why) {
    if (this.stopWhy) return;
    this.stopWhy = why;
    this.stop();
    this.setState('error', why.title);
    this.emit('stop', why);
  }

  /* Change a wanted subscription's offset for the next (re)subscribe, sending nothing now. */
  setOffset(topic, offset) {
    const o = this.wanted.get(topic);
    if (o) {
      o.offset = offset;
      o.limit = 0;
    }
  }

  goOffline() {
    this.dropSocket();
    this.scheduleRetry('offline');
  }
}

/* The token: ?token= (then remembered) or localStorage[key]. */
export function tokenFrom(params, key) {
  const t = params.get('token');
  if (t) {
    localStorage.setItem(key, t.trim());
    return t.trim();
  }
  return localStorage.getItem(key) || '';
}

export class Outbox {
  /*
   * client: an AuthClient whose hello carried a token with a device.
   * onChange(outbox, item|null): called after any change (item: the one answered now).
   */
  constructor(client, onChange) {
    this.client = client;
    this.onChange = onChange;
    this.dev = null;
    this.key = null;
    this.items = []; // {seq, code, t, volunteer, race, state: queued|saved|answered, answer}
    this.next = 1;
    this.acked = 0;
    this.fresh = false; // nothing stored: ask the server where the device is
    this.inflight = false;
    this.retryTimer = null;
    client.on('hello', (r) => this.onHello(r));
    client.on('message', (m) => this.onMessage(m));
    client.on('state', () => this.flush());
  }

  onHello(r) {
    // An official's own device is numbered by the server: no outbox can number it.
    const dev = r.seqs === 'server' ? null : r.device;
    if (!dev) {
      this.onChange(this, null);
      return;
    }
    if (dev !== this.dev) {
      this.dev = dev;
      this.key = `splitline.outbox.${this.client.event}.${dev}`;
      const early = this.items.filter((it) => !it.seq);
      this.load();
      if (!this.fresh) {
        for (const it of early) {
          it.seq = this.next++;
          this.items.push(it);
        }
        this.save();
      } else {
        this.items = early;
      }
    }
    this.inflight = false;
    // Fresh: the last answer tells where the device is; then every answer from the first unanswered.
    if (this.fresh) this.client.subscribe(`scans/${dev}`, { offset: 0, limit: 1 });
    else this.client.subscribe(`scans/${dev}`, { offset: this.firstUnanswered() });
    this.onChange(this, null);
    if (!this.fresh) this.flush();
  }

  load() {
    let s = null;
    try {
      s = JSON.parse(localStorage.getItem(this.key) || 'null');
    } catch {
      s = null;
    }
    if (s && Array.isArray(s.items)) {
      this.items = s.items;
      this.next = s.next;
      this.acked = s.acked;
      this.fresh = false;
    } else {
      // Keep what was queued before the device was known (scans made before the first hello).
      this.fresh = true;
    }
  }

  save() {
    if (!this.key) return;
    const keep = [];
    let answered = 0;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i];
      if (it.state === 'answered' && ++answered > KEEP) continue;
      keep.unshift(it);
    }
    this.items = keep;
    localStorage.setItem(this.key, JSON.stringify({ next: this.next, acked: this.acked, items: this.items }));
  }

  firstUnanswered() {
    for (const it of this.items) if (it.state !== 'answered') return it.seq;
    return this.next;
  }

  pending() {
    return this.items.filter((it) => it.seq > this.acked).length;
  }

  unanswered() {
    return this.items.filter((it) => it.state !== 'answered').length;
  }

  /* A scan: queued at once (stored), sent when possible. Returns the item or an error string. */
  add(code, extra = {}) {
    code = String(code).trim();
    if (!code) return 'Nothing to send: the code is empty.';
    if (new TextEncoder().encode(code).length > CODE_MAX) return `That code is too long to be a bib, chip or QR code (over ${CODE_MAX} characters).`;
    const it = { seq: 0, code, t: Date.now(), state: 'queued', answer: null };
    if (extra.volunteer) it.volunteer = extra.volunteer;
    if (extra.race) it.race = extra.race;
    for (const k of OP_FIELDS) if (extra[k] != null && extra[k] !== '' && !(k === 'op' && extra[k] === 'checkin')) it[k] = extra[k];
    if (this.dev && !this.fresh) {
      it.seq = this.next++;
    } else {
      it.seq = 0; // numbered once the device's position is known
    }
    this.items.push(it);
    this.save();
    this.onChange(this, null);
    this.flush();
    return it;
  }

  /* Number the scans queued before the device's position was known. */
  numberFrom(seq) {
    this.next = Math.max(this.next, seq);
    if (this.acked < this.next - 1 && !this.items.some((it) => it.seq && it.seq <= this.next - 1)) this.acked = this.next - 1;
    for (const it of this.items) if (!it.seq) it.seq = this.next++;
    this.fresh = false;
    this.save();
  }

  onMessage(m) {
    if (!this.dev || m.topic !== `scans/${this.dev}`) return;
    const rows = Array.isArray(m.rows) ? m.rows : [];
    if (this.fresh && m.t === 'snapshot') {
      // Where is this device on the server?  Past its last answer.
      let last = 0;
      for (const r of rows) if (typeof r.seq === 'number' && r.seq > last) last = r.seq;
      this.numberFrom(last + 1);
      this.client.setOffset(`scans/${this.dev}`, this.firstUnanswered());
      this.onChange(this, null);
      this.flush();
      return;
    }
    let newest = null;
    for (const r of rows) {
      const it = this.items.find((x) => x.seq === r.seq);
      if (!it || it.state === 'answered') continue;
      it.state = 'answered';
      it.answer = r;
      if (r.seq > this.acked) this.acked = r.seq; // answered: folded, so appended (no holes)
      if (!newest || r.seq > newest.seq) newest = it;
    }
    if (newest) {
      this.save();
      this.client.setOffset(`scans/${this.dev}`, this.firstUnanswered());
      this.onChange(this, newest);
    }
  }

  flush() {
    const c = this.client;
    if (this.inflight || !this.dev || this.fresh || !c.ready || (globalThis.navigator && navigator.onLine === false)) return;
    const todo = this.items.filter((it) => it.seq > this.acked).sort((a, b) => a.seq - b.seq);
    if (!todo.length) return;
    // One contiguous run of seqs per batch.
    const batch = [todo[0]];
    if (this.single && todo[0].seq > this.single) this.single = 0;
    const max = this.single ? 1 : BATCH_MAX;
    for (let i = 1; i < todo.length && batch.length < max && todo[i].seq === batch[batch.length - 1].seq + 1; i++) batch.push(todo[i]);
    const scans = batch.map((it) => {
      const s = { code: it.code, t: it.t };
      if (it.volunteer) s.volunteer = it.volunteer;
      if (it.race) s.race = it.race;
      for (const k of OP_FIELDS) if (it[k] != null) s[k] = it[k];
      return s;
    });
    this.inflight = true;
    const ws = c.ws;
    c.request({ t: 'checkins', dev: this.dev, seq: batch[0].seq, scans })
      .then((ack) => {
        if (c.ws !== ws) return;
        this.inflight = false;
        const last = typeof ack.last === 'number' ? ack.last : batch[batch.length - 1].seq;
        if (last > this.acked) this.acked = last;
        for (const it of this.items) if (it.seq <= this.acked && it.state === 'queued') it.state = 'saved';
        this.save();
        this.lastError = '';
        this.onChange(this, null);
        this.flush();
      })
      .catch((err) => {
        if (c.ws !== ws && c.ws) return;
        this.inflight = false;
        if (err && err.code === 'gap' && typeof err.expected === 'number') {
          this.resendFrom(err.expected);
          this.flush();
          return;
        }
        if (err && err.code === 'unauthorized') {
          // revoked on another node: "token revoked: nothing was written"
          if (c.halt) c.halt(stopReason({ t: 'err', ...err }));
          this.onChange(this, null);
          return;
        }
        if (err && REFUSED.has(err.code)) {
          this.refuse(batch, err);
          this.flush();
          return;
        }
        this.lastError = errorSentence(err); // for people: never the code
        this.lastErrorDetail = err && err.msg ? `${err.code}: ${err.msg}` : '';
        this.onChange(this, null);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.flush(), 2000);
      });
  }

  /*
   * The batch was refused for good: the scan it names (scans[i]; the only one
   * of a batch of one) is answered "refused" here and gives up its seq.  A
   * batch of several naming none is sent again one scan at a time.
   */
  refuse(batch, err) {
    const m = /scans\[(\d+)\]/.exec(err.msg || '');
    const i = batch.length === 1 ? 0 : m ? Number(m[1]) : -1;
    if (i < 0 || i >= batch.length) {
      this.single = batch[batch.length - 1].seq;
      return;
    }
    const bad = batch[i];
    const seq = bad.seq;
    this.items = this.items.filter((it) => it !== bad);
    for (const it of this.items) if (it.seq > seq) it.seq--;
    this.next--;
    bad.seq = -1; // no seq: never sent again, never numbered (0 would be "not numbered yet")
    bad.state = 'answered';
    bad.answer = { seq: -1, code: bad.code, op: bad.op || 'checkin', ok: false, warning: 'refused', refused: true, msg: errorSentence(err), why: `${err.code}: ${err.msg || ''}`.trim() };
    this.refused = bad;
    this.save();
    this.client.setOffset(`scans/${this.dev}`, this.firstUnanswered());
    this.onChange(this, bad);
  }

  /* The server has everything below `expected`: resend from there (renumbering if we hold no such seq). */
  resendFrom(expected) {
    const unacked = this.items.filter((it) => it.seq > this.acked).sort((a, b) => a.seq - b.seq);
    const held = this.items.some((it) => it.seq === expected);
    if (!held && unacked.length && unacked[0].seq > expected) {
      // Never appended (the batch was refused): number them on from where the server is.
      let s = expected;
      for (const it of unacked) it.seq = s++;
      this.next = s;
    }
    this.acked = Math.min(this.acked, expected - 1);
    for (const it of this.items) if (it.seq > this.acked && it.state === 'saved') it.state = 'queued';
    this.save();
    this.client.setOffset(`scans/${this.dev}`, this.firstUnanswered());
  }
}

/*
 * The full-screen stop (#stop, made here for scan.html and desk.html) when
 * the token cannot be used: what happened, what to do, how many scans wait
 * on this device, and a button that forgets the token and asks for a new one.
 */
export function showStop(why, box, tokenKey, params) {
  const $ = (id) => document.getElementById(id);
  let el = $('stop');
  if (!el) {
    el = document.createElement('div');
    el.id = 'stop';
    el.className = 'stop';
    el.setAttribute('role', 'alertdialog');
    el.setAttribute('aria-labelledby', 'stop-title');
    el.setAttribute('aria-describedby', 'stop-text');
    el.innerHTML = '<div class="stop-box"><h2 id="stop-title" class="stop-title"></h2><p id="stop-text" class="stop-text"></p>' +
      '<p id="stop-todo" class="stop-todo"></p><p id="stop-pending" class="stop-pending"></p>' +
      '<button type="button" id="stop-new" class="stop-new">Enter a new token</button></div>';
    document.body.append(el);
  }
  $('stop-title').textContent = why.title;
  $('stop-text').textContent = why.text;
  $('stop-todo').textContent = STOP_WHAT_TO_DO;
  const n = box ? box.unanswered() : 0;
  $('stop-pending').textContent = n ? `${n} scan${n === 1 ? '' : 's'} on this device ${n === 1 ? 'is' : 'are'} not sent yet: ${n === 1 ? 'it is' : 'they are'} kept until a valid token for the same device is entered.` : '';
  el.hidden = false;
  document.documentElement.dataset.stop = '1';
  for (const f of document.querySelectorAll('#main input, #main button, #main select')) f.disabled = true;
  $('stop-new').disabled = false;
  $('stop-new').onclick = () => {
    localStorage.removeItem(tokenKey);
    const ev = params.get('event');
    location.replace(location.pathname + (ev ? `?event=${encodeURIComponent(ev)}` : ''));
  };
  $('stop-new').focus();
}

/* ---- the scanner page ---- */

const OP_WORD = { assign: 'bib for', pair: 'chip for', swap: 'swap', transfer: 'transfer' };
const OP_DONE = { pair: '✓ Chip paired', swap: '✓ Bibs swapped', transfer: '✓ Entry transferred' };

/* What an item reads as, a line of text (lists). */
export function itemText(it) {
  const op = it.op && it.op !== 'checkin' ? `${OP_WORD[it.op] || it.op} ` : '';
  const args = [it.bib ? `bib ${it.bib}` : '', it.chip ? `chip ${it.chip}` : '', it.with ? `with ${it.with}` : '', it.to && it.to.name ? `to ${it.to.name}` : ''].filter(Boolean).join(', ');
  return `${op}${it.code}${args ? ` (${args})` : ''}`;
}

/*
 * The big panel for an item: {cls, head, line, detail, warning, op, bigBib}.
 * bigBib: the bib to show large (an assign that gave one).
 */
export function answerView(it) {
  const a = it.answer;
  if (!a) {
    return { cls: it.state === 'saved' ? 'fb-saved' : 'fb-queued', head: it.state === 'saved' ? 'Saved' : 'Queued', line: itemText(it), detail: it.state === 'saved' ? 'waiting for the answer…' : 'will be sent when online', op: it.op || 'checkin' };
  }
  const op = a.op || it.op || 'checkin';
  const who = [a.bib ? `Bib ${a.bib}` : a.reg ? `reg ${a.reg} (no bib)` : '', a.race ? `race ${a.race}` : '', a.wave ? `wave ${a.wave}` : ''].filter(Boolean).join(' · ');
  if (a.ok) {
    if (op === 'assign') return { cls: 'fb-ok', head: a.bib ? `✓ Bib ${a.bib}` : '✓ Done', line: a.name || a.code, detail: a.msg || who, op, bigBib: a.bib || '' };
    if (op !== 'checkin') return { cls: 'fb-ok', head: OP_DONE[op] || `✓ ${op}`, line: a.msg || a.name || a.code, detail: a.name ? `${a.name}${who ? ' — ' + who : ''}` : who, op };
    return { cls: 'fb-ok', head: '✓ Checked in', line: a.name || a.code, detail: who, op };
  }
  let detail = a.refused ? a.msg : warningSentence(a.warning, a);
  if (a.warning === 'already_checked_in' && a.by) {
    detail = `Checked in by ${a.by.volunteer ? a.by.volunteer + ' on ' : ''}${a.by.dev} at ${fmtClockOf(a.by.t)}.`;
  }
  const line = a.refused ? itemText(it) : a.name ? `${a.name}${who ? ' — ' + who : ''}` : a.code;
  return { cls: 'fb-bad', head: warningHead(a.warning), line, detail, warning: a.warning, op };
}

function startScanner() {
  const params = new URLSearchParams(location.search);
  const TOKEN_KEY = 'splitline.scanner.token';
  const $ = (id) => document.getElementById(id);
  let token = tokenFrom(params, TOKEN_KEY);
  const setup = $('setup');
  const main = $('main');
  if (!token) {
    setup.hidden = false;
    main.hidden = true;
    $('setup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const t = $('setup-token').value.trim();
      if (!t) return;
      localStorage.setItem(TOKEN_KEY, t);
      location.replace(location.pathname + (params.get('event') ? `?event=${encodeURIComponent(params.get('event'))}` : ''));
    });
    return;
  }
  setup.hidden = true;
  main.hidden = false;
  const client = new AuthClient({ token });
  connBadge(client);
  const vol = $('volunteer');
  vol.value = localStorage.getItem('splitline.scanner.volunteer') || '';
  vol.addEventListener('change', () => localStorage.setItem('splitline.scanner.volunteer', vol.value.trim()));
  const input = $('code');
  const fb = $('feedback');
  let shown = null; // the item the big panel shows

  const draw = (box, answeredNow) => {
    if (answeredNow && (!shown || answeredNow.seq >= shown.seq || shown === answeredNow)) shown = answeredNow;
    if (shown) {
      const v = answerView(shown);
      fb.className = `fb ${v.cls}`;
      fb.dataset.seq = shown.seq;
      fb.dataset.warning = v.warning || '';
      $('fb-head').textContent = v.head;
      $('fb-line').textContent = v.line;
      $('fb-detail').textContent = v.detail || '';
    }
    const pend = box.pending();
    $('pending').textContent = String(pend);
    $('pending-wrap').dataset.pending = String(pend);
    $('device').textContent = box.dev || '?';
    $('error').textContent = box.lastError || '';
    const ol = $('recent');
    ol.textContent = '';
    for (const it of [...box.items].reverse().slice(0, 20)) {
      const li = document.createElement('li');
      const v = answerView(it);
      li.className = v.cls;
      li.dataset.seq = it.seq;
      li.dataset.state = it.state;
      const st = it.state === 'answered' ? (it.answer.ok ? (it.op && it.op !== 'checkin' ? 'done' : 'checked in') : warningHead(it.answer.warning).replace(/^✗ /, '').toLowerCase()) : it.state === 'saved' ? 'saved, waiting for the answer' : 'queued';
      li.textContent = `${fmtClockOf(it.t)}  ${itemText(it)}  ${it.answer && it.answer.name ? it.answer.name + '  ' : ''}— ${st}`;
      ol.appendChild(li);
    }
  };
  const box = new Outbox(client, draw);
  client.on('state', (s, detail) => {
    $('conn-why').textContent = s === 'error' ? '' : connSentence(s, detail);
  });
  client.on('stop', (why) => showStop(why, box, TOKEN_KEY, params));

  const scan = (code) => {
    const it = box.add(code, { volunteer: vol.value.trim() });
    if (typeof it === 'string') {
      $('error').textContent = it;
      return;
    }
    shown = it;
    draw(box, null);
  };
  $('scan-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value;
    input.value = '';
    if (v.trim()) scan(v);
    input.focus();
  });
  // Keyboard wedge: the input keeps focus unless another field is being used.
  const refocus = () => {
    const a = document.activeElement;
    if (a && a !== input && (a.tagName === 'INPUT' || a.tagName === 'SELECT' || a.tagName === 'BUTTON')) return;
    input.focus();
  };
  document.addEventListener('click', () => setTimeout(refocus, 0));
  input.addEventListener('blur', () => setTimeout(refocus, 200));
  input.focus();

  addEventListener('offline', () => client.goOffline());
  addEventListener('online', () => {
    client.retryNow();
    box.flush();
  });

  // Camera scanning: BarcodeDetector where the browser has it, else jsQR on the frames (camera.js).
  const camBtn = $('camera');
  const camNote = $('camera-note');
  const cam = new Camera($('video'), (code) => {
    if (new TextEncoder().encode(code).length > CODE_MAX) {
      camNote.textContent = 'That QR code is not a Splitline code.';
      return;
    }
    camNote.textContent = '';
    scan(code);
  }, params.get('decoder') || '');
  camBtn.hidden = false;
  camBtn.addEventListener('click', async () => {
    if (cam.on) {
      cam.stop();
      camBtn.textContent = 'Camera';
      camNote.textContent = '';
      input.focus();
      return;
    }
    camBtn.disabled = true;
    camNote.textContent = 'Starting the camera…';
    const why = await cam.start();
    camBtn.disabled = false;
    camNote.textContent = why || 'Hold the QR code in front of the camera.';
    camNote.dataset.state = why ? 'unavailable' : 'on';
    camBtn.textContent = why ? 'Camera' : 'Stop camera';
    input.focus();
  });
  $('forget').addEventListener('click', () => {
    if (!confirm('Forget this token? Unsent scans stay queued for this device.')) return;
    localStorage.removeItem(TOKEN_KEY);
    location.replace(location.pathname);
  });
  followClockZone(client, () => draw(box, null)); // scan times in the event's zone
  globalThis.splitline = { client, box, cam };
  client.start();
  draw(box, null);
}

if (globalThis.document && document.body && document.body.dataset.page === 'scan') startScanner();
