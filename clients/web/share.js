/*
 * share.js: a share link with its QR code (athlete page, leaderboard).
 *
 * The QR code is encoded in the browser by npm qrcode-generator (MIT, no
 * dependencies, ESM), served from clients/web/node_modules like the
 * scanner's jsQR (clients/web/package.json; `npm ci` there), and drawn
 * here as an SVG of dark modules: no outside service sees who is followed.
 * When the module cannot be loaded (node_modules not installed) the link is
 * shown alone and the page says so in the box's title.
 *
 * drawShare(box, url, label): fills box with the link (a read-only input
 * and a Copy button; the system's share sheet where the browser has one)
 * and the QR code, <svg class="qr" data-modules=N data-text=url>.
 */

let qrLib = null;

async function loadQr() {
  if (!qrLib) qrLib = import('./node_modules/qrcode-generator/dist/qrcode.mjs').then((m) => m.default || m.qrcode);
  return qrLib;
}

/* The QR code of text as an SVG element (error correction M, size chosen by the encoder). */
export async function qrSvg(text) {
  const qrcode = await loadQr();
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const q = 4; // the quiet zone the standard asks for
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 2 * q} ${n + 2 * q}`);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `QR code of ${text}`);
  svg.dataset.modules = String(n);
  svg.dataset.text = text;
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(NS, 'rect');
  bg.setAttribute('width', String(n + 2 * q));
  bg.setAttribute('height', String(n + 2 * q));
  bg.setAttribute('fill', '#fff');
  svg.append(bg);
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + q} ${r + q}h1v1h-1z`;
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(path);
  return svg;
}

export function drawShare(box, url, label) {
  box.replaceChildren();
  const row = document.createElement('div');
  row.className = 'share-row';
  const input = document.createElement('input');
  input.type = 'text';
  input.readOnly = true;
  input.value = url;
  input.className = 'share-url';
  input.setAttribute('aria-label', `Link to ${label}`);
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'btn btn-light';
  copy.textContent = 'Copy link';
  copy.addEventListener('click', async () => {
    try {
      if (navigator.share) await navigator.share({ title: label, url });
      else await navigator.clipboard.writeText(url);
      copy.textContent = navigator.share ? 'Shared' : 'Copied';
    } catch {
      input.select();
    }
  });
  row.append(input, copy);
  box.append(row);
  qrSvg(url).then(
    (svg) => {
      if (box.querySelector('.share-url') === input && input.value === url) box.append(svg);
    },
    (e) => {
      box.title = 'QR code not available on this server (clients/web: npm ci)';
      console.warn('splitline: no QR encoder:', e);
    },
  );
}
