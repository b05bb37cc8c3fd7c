/*
 * camera.js: QR codes from the phone's camera, for the scanner page
 * (scan.js).  The keyboard wedge stays the primary input; this is the
 * fallback for a phone without one.
 *
 * Design.  Camera.start() asks getUserMedia for the back camera, plays it
 * in the page's <video>, and every TICK_MS hands the current frame to a
 * decoder: the browser's BarcodeDetector when it has one that reads QR
 * codes (Android Chrome, Safari), else jsQR (npm `jsqr`, a plain script
 * served from node_modules/jsqr/dist/jsQR.js in the web root, loaded only
 * when needed) on the frame drawn into a canvas, scaled down to at most
 * SCAN_W pixels wide.  ?decoder=jsqr forces jsQR.
 *
 * Invariants: a code is handed to onCode once while it stays in view: the
 * same code again is handed on only after it was out of sight for
 * REPEAT_MS (a QR held in front of the camera is one scan, not one per
 * frame); at most one decode runs at a time; stop() releases the camera
 * (every track stopped) and no tick runs after it.
 */
const TICK_MS = 150;
const REPEAT_MS = 3000;
const SCAN_W = 640;
export const JSQR_SRC = 'node_modules/jsqr/dist/jsQR.js';

let jsqrLoad = null;

/* jsQR as a global from its UMD bundle; resolves to the function, or null when it cannot be loaded. */
export function loadJsQR(src = JSQR_SRC) {
  if (globalThis.jsQR) return Promise.resolve(globalThis.jsQR);
  if (!jsqrLoad) {
    jsqrLoad = new Promise((resolve) => {
      const s = document.createElement('script');
      s.src = src;
      s.async = true;
      s.onload = () => resolve(typeof globalThis.jsQR === 'function' ? globalThis.jsQR : null);
      s.onerror = () => {
        jsqrLoad = null; // may be installed later: try again next time
        resolve(null);
      };
      document.head.appendChild(s);
    });
  }
  return jsqrLoad;
}

/* A decoder: {name, detect(source) -> Promise<string[]>}, or null when neither is available. */
export async function makeDecoder(prefer = '') {
  if (prefer !== 'jsqr' && 'BarcodeDetector' in globalThis) {
    try {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) {
        const det = new globalThis.BarcodeDetector({ formats: ['qr_code'] });
        return { name: 'BarcodeDetector', detect: async (src) => (await det.detect(src)).map((c) => c.rawValue).filter(Boolean) };
      }
    } catch {
      /* fall back to jsQR */
    }
  }
  const jsQR = await loadJsQR();
  if (!jsQR) return null;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  return {
    name: 'jsQR',
    detect: async (src) => {
      const sw = src.videoWidth || src.naturalWidth || src.width;
      const sh = src.videoHeight || src.naturalHeight || src.height;
      if (!sw || !sh) return [];
      const k = Math.min(1, SCAN_W / sw);
      const w = Math.max(1, Math.round(sw * k));
      const h = Math.max(1, Math.round(sh * k));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      ctx.drawImage(src, 0, 0, w, h);
      const img = ctx.getImageData(0, 0, w, h);
      const r = jsQR(img.data, w, h, { inversionAttempts: 'attemptBoth' });
      return r && r.data ? [r.data] : [];
    },
  };
}

/* Why the camera cannot be used, in words for the volunteer. */
export function cameraProblem(err) {
  if (!globalThis.navigator || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return globalThis.isSecureContext === false
      ? 'Camera not available: this page must be opened over https. Type or wedge-scan the code instead.'
      : 'Camera not available in this browser. Type or wedge-scan the code instead.';
  }
  const n = err && err.name;
  if (n === 'NotAllowedError' || n === 'SecurityError') return 'Camera not allowed: allow the camera for this page in the browser settings, or type the code.';
  if (n === 'NotFoundError' || n === 'OverconstrainedError' || n === 'DevicesNotFoundError') return 'No camera found on this device. Type or wedge-scan the code instead.';
  if (n === 'NotReadableError') return 'The camera is busy in another app. Close it and try again, or type the code.';
  return `Camera not available${err && err.message ? ` (${err.message})` : ''}. Type or wedge-scan the code instead.`;
}

/* Codes in view: fresh(code) is true when the code was not seen within the last ms. */
export class Debounce {
  constructor(ms = REPEAT_MS) {
    this.ms = ms;
    this.seen = new Map(); // code -> last seen
  }

  fresh(code, now = Date.now()) {
    for (const [c, t] of this.seen) if (now - t >= this.ms) this.seen.delete(c);
    const isNew = !this.seen.has(code);
    this.seen.set(code, now);
    return isNew;
  }
}

export class Camera {
  /* video: a <video> element; onCode(text): a code decoded; prefer: '' or 'jsqr'. */
  constructor(video, onCode, prefer = '') {
    this.video = video;
    this.onCode = onCode;
    this.prefer = prefer;
    this.stream = null;
    this.decoder = null;
    this.timer = null;
    this.busy = false;
    this.debounce = new Debounce();
    this.frames = 0; // frames decoded (tests and the status line)
  }

  get on() {
    return !!this.stream;
  }

  /* Resolves to null when scanning, else a sentence saying why not (nothing left open then). */
  async start() {
    if (this.stream) return null;
    if (!globalThis.navigator || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return cameraProblem(null);
    const decoder = await makeDecoder(this.prefer);
    if (!decoder) return 'Camera scanning is not available: the QR decoder could not be loaded. Type or wedge-scan the code instead.';
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (e) {
      return cameraProblem(e);
    }
    this.stream = stream;
    this.decoder = decoder;
    this.video.srcObject = stream;
    this.video.dataset.decoder = decoder.name;
    this.video.hidden = false;
    try {
      await this.video.play();
    } catch {
      /* muted + playsinline: autoplay allowed; frames come anyway */
    }
    this.tick();
    return null;
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
  }

  async tick() {
    this.timer = null;
    if (!this.stream) return;
    if (!this.busy && this.video.readyState >= 2) {
      this.busy = true;
      try {
        const codes = await this.decoder.detect(this.video);
        this.frames++;
        this.video.dataset.frames = String(this.frames);
        const now = Date.now();
        for (const c of codes) if (this.stream && this.debounce.fresh(c, now)) this.onCode(c);
      } catch {
        /* a frame not ready */
      }
      this.busy = false;
    }
    if (this.stream) this.timer = setTimeout(() => this.tick(), TICK_MS);
  }
}
