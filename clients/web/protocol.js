/*
 * protocol.js: a spectator's connection to splitlined (protocol/PROTOCOL.md).
 *
 * Design: one WebSocket with subprotocol splitline.v1.json at ws(s)://<host>/ws.
 * The connection owns the set of wanted subscriptions (topic -> options); after
 * every (re)connect it sends hello without a token (spectator) and then
 * subscribes to every wanted topic again, so the page never has to.  The
 * server answers each subscribe with a fresh snapshot, which replaces what the
 * page held: nothing is lost across a reconnect.
 *
 * States (what the page shows):
 *   "connecting"   first connection not up yet
 *   "live"         socket open, hello ok, the server says its store is up
 *   "delayed"      socket open, but the server reports its store down or not
 *                  caught up, /health fails, or a request got no reply in time
 *   "reconnecting" socket closed; a new attempt is scheduled with backoff
 *                  (0.5 s doubling to 15 s, with jitter; reset once hello ok)
 *   "error"        the server refused us for good (wrong event); retried slowly
 *
 * Where the page is (pageScope): under /e/<event>/ (a server of many events)
 * the event is the path's and the HTTP API is /api/events/<event>/...; elsewhere
 * (a single-event server) the event is ?event= or /health's and the API /api/.
 * Every page's fetches and links go through it (api(), healthUrl).
 *
 * Invariants: at most one socket at a time (connect() calls are numbered; one
 * overtaken while it waited for /health gives up); a closed socket's
 * handlers are detached before the next is made, so a late event from an old
 * socket never touches the new state.  Knows nothing about rendering: the page listens
 * with on("state"|"message"|"reply-error", fn).
 */

const SUBPROTOCOL = 'splitline.v1.json';
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const REQUEST_TIMEOUT_MS = 8000;
const HEALTH_EVERY_MS = 10000;

const EVENT_PATH = /^\/e\/([^/?#]+)\//;

/*
 * The page's event and where its HTTP API is, from its URL (loc, default the
 * page's location; none under node): { event, api, health, path }.  Under
 * /e/<event>/ (path: true) the event is the path's, whatever ?event= says;
 * elsewhere it is ?event=, else null (the client asks /health).
 */
export function pageScope(loc = globalThis.location) {
  const m = loc ? EVENT_PATH.exec(loc.pathname || '') : null;
  if (m) {
    let event;
    try {
      event = decodeURIComponent(m[1]);
    } catch (e) {
      event = m[1];
    }
    const api = `/api/events/${encodeURIComponent(event)}/`;
    return { event, api, health: `${api}health`, path: true };
  }
  const q = loc && loc.search ? new URLSearchParams(loc.search).get('event') : null;
  return { event: q || null, api: '/api/', health: '/health', path: false };
}

/* The URL of an HTTP API resource of the page's event: api('results/10k.json'). */
export function api(rest, loc = globalThis.location) {
  return pageScope(loc).api + rest;
}

export class SplitlineClient {
  /*
   * opts.event: event id (default: the page's, pageScope; when that names
   * none either, the event the health URL reports).
   * opts.url: WebSocket URL (default: same host, path /ws).
   * opts.healthUrl: default the page's (pageScope: "/health", or
   * /api/events/<event>/health under /e/<event>/).
   */
  constructor(opts = {}) {
    const loc = globalThis.location;
    const scope = pageScope(loc);
    const wsScheme = loc && loc.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = opts.url || (loc ? `${wsScheme}//${loc.host}/ws` : 'ws://127.0.0.1:8080/ws');
    this.healthUrl = opts.healthUrl || scope.health;
    this.event = opts.event || scope.event;
    this.health = null; // the last /health answer
    this.state = 'connecting';
    this.stateDetail = '';
    this.ws = null;
    this.ready = false; // hello ok on the current socket
    this.nextId = 1;
    this.pending = new Map(); // id -> {msg, sentAt, resolve, reject}
    this.wanted = new Map(); // topic -> {limit, offset}
    this.listeners = { state: [], message: [], 'reply-error': [], hello: [] };
    this.attempt = 0;
    this.retryTimer = null;
    this.healthTimer = null;
    this.stopped = false;
    this.lastFrameAt = 0;
    this.storeDelayed = false; // from /health
    this.gen = 0;
  }

  on(kind, fn) {
    this.listeners[kind].push(fn);
    return this;
  }

  emit(kind, ...args) {
    for (const fn of this.listeners[kind]) {
      try {
        fn(...args);
      } catch (e) {
        console.error(e);
      }
    }
  }

  setState(state, detail = '') {
    if (state === this.state && detail === this.stateDetail) return;
    this.state = state;
    this.stateDetail = detail;
    this.emit('state', state, detail);
  }

  start() {
    this.stopped = false;
    this.connect();
    this.healthTimer = setInterval(() => this.checkHealth(), HEALTH_EVERY_MS);
    this.tickTimer = setInterval(() => this.updateLiveState(), 1000);
    if (globalThis.document) {
      document.addEventListener('visibilitychange', () => {
        // A phone that slept may hold a dead socket or a long backoff.
        if (document.visibilityState === 'visible' && !this.ready && !this.stopped) {
          this.retryNow();
        }
      });
    }
    if (globalThis.addEventListener) {
      globalThis.addEventListener('online', () => this.retryNow());
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    clearInterval(this.tickTimer);
    this.dropSocket();
  }

  retryNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= 1)) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  /* Wanted subscriptions survive reconnects. */
  subscribe(topic, { limit = 0, offset = 0 } = {}) {
    this.wanted.set(topic, { limit, offset });
    if (this.ready) this.sendSubscribe(topic);
  }

  unsubscribe(topic) {
    if (!this.wanted.delete(topic)) return;
    if (this.ready) this.request({ t: 'unsubscribe', topic }).catch(() => {});
  }

  sendSubscribe(topic) {
    const o = this.wanted.get(topic);
    const msg = { t: 'subscribe', topic, limit: o.limit };
    if (o.offset) msg.offset = o.offset;
    this.request(msg).catch((err) => {
      this.emit('reply-error', err, msg);
    });
  }

  /* Send a request; resolves with the ok/ack reply, rejects with an err reply. */
  request(msg) {
    if (!this.ws || this.ws.readyState !== 1) {
      return Promise.reject({ code: 'unavailable', msg: 'not connected' });
    }
    const id = this.nextId++;
    const full = { ...msg, id };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { msg: full, sentAt: Date.now(), resolve, reject });
      this.ws.send(JSON.stringify(full));
    });
  }

  async fetchHealth() {
    const res = await fetch(this.healthUrl, { cache: 'no-store' });
    if (!res.ok) throw new Error(`GET ${this.healthUrl}: HTTP ${res.status}`);
    const h = await res.json();
    this.health = h;
    return h;
  }

  async connect() {
    if (this.stopped) return;
    this.dropSocket();
    const gen = ++this.gen; // a newer connect() while we wait wins
    if (!this.event) {
      try {
        const h = await this.fetchHealth();
        this.event = h.event || null;
        if (!this.event && h.event === null && 'events_loaded' in h && typeof location !== 'undefined') {
          // a node of many events, and a page outside /e/<event>/: the directory lists them
          location.replace('/');
          return;
        }
      } catch (e) {
        // fall through: no event yet, retry below
      }
      if (gen !== this.gen) return;
      if (!this.event) {
        this.scheduleRetry('cannot read the event id from /health');
        return;
      }
    }
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(this.url, SUBPROTOCOL);
    } catch (e) {
      this.scheduleRetry(String(e.message || e));
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (ev) => this.onFrame(ws, ev);
    ws.onclose = (ev) => this.onClose(ws, ev);
    ws.onerror = () => {}; // onclose follows and carries the news
  }

  dropSocket() {
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch (e) {
        /* already closed */
      }
    }
    for (const p of this.pending.values()) p.reject({ code: 'unavailable', msg: 'connection closed' });
    this.pending.clear();
  }

  onOpen(ws) {
    if (ws !== this.ws) return;
    this.lastFrameAt = Date.now();
    this.request({ t: 'hello', event: this.event })
      .then((reply) => {
        if (ws !== this.ws) return;
        this.ready = true;
        this.attempt = 0;
        // Resubscribe first: what the hello listeners subscribe to is sent by subscribe().
        for (const topic of this.wanted.keys()) this.sendSubscribe(topic);
        this.emit('hello', reply);
        this.updateLiveState();
        this.checkHealth();
      })
      .catch((err) => {
        if (ws !== this.ws) return;
        if (err && err.code === 'not_found') {
          // A wrong event will not fix itself quickly: say so, retry slowly.
          this.setState('error', `event '${this.event}' not found`);
          this.attempt = 6;
        }
        this.dropSocket();
        this.scheduleRetry(err && err.msg ? err.msg : 'hello refused');
      });
  }

  onFrame(ws, ev) {
    if (ws !== this.ws) return;
    this.lastFrameAt = Date.now();
    if (typeof ev.data !== 'string') return; // the JSON subprotocol uses text frames
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch (e) {
      console.warn('splitline: bad frame', e);
      return;
    }
    if (!m || typeof m.t !== 'string') return;
    if ((m.t === 'ok' || m.t === 'err' || m.t === 'ack') && m.id != null) {
      const p = this.pending.get(m.id);
      if (p) {
        this.pending.delete(m.id);
        if (m.t === 'err') p.reject(m);
        else p.resolve(m);
        this.updateLiveState();
      }
      return;
    }
    if (m.t === 'err') {
      this.emit('reply-error', m, null);
      return;
    }
    this.emit('message', m);
  }

  onClose(ws, ev) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    for (const p of this.pending.values()) p.reject({ code: 'unavailable', msg: 'connection closed' });
    this.pending.clear();
    this.scheduleRetry(ev && ev.code ? `closed (${ev.code}${ev.reason ? ': ' + ev.reason : ''})` : 'closed');
  }

  scheduleRetry(why) {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    this.attempt++;
    if (this.state !== 'error') this.setState('reconnecting', why);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /* /health tells whether the server's data is current (store up, caught up). */
  async checkHealth() {
    if (!this.ready) return;
    try {
      const h = await this.fetchHealth();
      const redisDown = h.redis != null && h.redis !== 'up';
      const behind = h.caught_up === false;
      this.storeDelayed = redisDown || behind || h.ok === false;
      this.storeWhy = redisDown ? 'server store is down' : behind ? 'server is catching up' : '';
    } catch (e) {
      this.storeDelayed = true;
      this.storeWhy = 'server health check failed';
    }
    this.updateLiveState();
  }

  updateLiveState() {
    if (!this.ready) return;
    const now = Date.now();
    let late = false;
    for (const p of this.pending.values()) if (now - p.sentAt > REQUEST_TIMEOUT_MS) late = true;
    if (this.storeDelayed) this.setState('delayed', this.storeWhy);
    else if (late) this.setState('delayed', 'server is slow to answer');
    else this.setState('live', '');
  }
}
