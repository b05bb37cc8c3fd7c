// scancam.test.mjs: the scanner page's camera (scan.html, camera.js) in real
// headless Chromium against the real Redis and splitlined.
//   - Chromium's fake camera (--use-fake-device-for-media-stream
//     --use-file-for-fake-video-capture) plays a Y4M video that this test
//     writes: a QR code of sl:<event>:<bib> (npm qrcode-generator gives the
//     matrix);
//   - the volunteer presses Camera: the page decodes the frames (jsQR from
//     clients/web/node_modules when the browser has no BarcodeDetector, as
//     Chromium on Linux) and sends the code like a typed one: the answer
//     shows the athlete checked in, and the server's checkin/<race> topic
//     counts one;
//   - the QR stays in view: it is one scan, not one per frame (debounce);
//   - Stop camera releases it; a second page where the browser has no
//     camera says so politely, and the keyboard field still checks in.
//   node --test tests/browser/scancam.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import qrcode from 'qrcode-generator';
import { stackTest, SOURCE, log, pageSnapshot, sleep, writeQrY4m, startStack, launchBrowser, pageOpener } from './harness.mjs';

const EVENT = 'cam-test';
const RACE = 'fun';
const YAML = `event: ${EVENT}
name: Camera test run
date: 2026-11-29
races:
  - id: ${RACE}
    name: Fun run
    kind: mass
    distance_m: 5000
    waves:
      - {id: "1", start: "2026-11-29T10:00:00+01:00"}
    points:
      - {id: start, distance_m: 0, role: start}
      - {id: finish, distance_m: 5000, role: finish}
`;
const PEOPLE = [
  ['101', 'Ada Lovelace', 'F', 36],
  ['102', 'Alan Turing', 'M', 41],
  ['103', 'Grace Hopper', 'F', 45],
];

stackTest('scanner camera in headless Chromium: a QR code from the fake camera checks an athlete in', { prefix: 'scancam', timeout: 240000 }, async (t) => {
  const { tmp, shots, procs } = t;
  const jsqr = path.join(SOURCE, 'clients', 'web', 'node_modules', 'jsqr', 'dist', 'jsQR.js');
  assert.ok(fs.existsSync(jsqr), `${jsqr} missing: run npm ci in clients/web (the browser.npm_ci test does)`);
  const { base, ws, ctl } = await startStack(procs, tmp, EVENT);
  const jsRes = await fetch(`${base}/node_modules/jsqr/dist/jsQR.js`);
  assert.equal(jsRes.status, 200, 'splitlined serves jsQR from the web root');
  assert.match(jsRes.headers.get('content-type') || '', /javascript/);

  const yaml = path.join(tmp, 'event.yaml');
  fs.writeFileSync(yaml, YAML);
  const csv = path.join(tmp, 'people.csv');
  fs.writeFileSync(csv, 'bib,name,sex,age\n' + PEOPLE.map((p) => p.join(',')).join('\n') + '\n');
  await ctl('event', 'create', yaml);
  await ctl('participants', 'import', csv, '--chip-from-bib');
  const scanTok = (await ctl('token', 'issue', '--role', 'scanner', '--device', 'phone-cam')).trim();
  const scan2Tok = (await ctl('token', 'issue', '--role', 'scanner', '--device', 'phone-nocam')).trim();

  // The camera's picture: a QR code of the registration code of bib 102.
  const [bib, name] = PEOPLE[1];
  const text = `sl:${EVENT}:${bib}`;
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const video = path.join(tmp, 'qr.y4m');
  const geo = writeQrY4m(video, qr.getModuleCount(), (r, c) => qr.isDark(r, c));
  log(`fake camera: ${video}: QR '${text}', ${qr.getModuleCount()} modules of ${geo.scale} px`);

  const browser = (t.browser = await launchBrowser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]));
  const pageErrors = [];
  const open = (ctx, url) => pageOpener(ctx, base, pageErrors)(url);
  const phone = await browser.newContext({ viewport: { width: 400, height: 820 } });
  await phone.grantPermissions(['camera'], { origin: base });
  const page = await open(phone, `scan.html?token=${scanTok}`);
  await page.waitForFunction(() => document.getElementById('device').textContent === 'phone-cam', null, { timeout: 10000 });
  const hasBD = await page.evaluate(() => 'BarcodeDetector' in globalThis);
  log(`BarcodeDetector in this Chromium: ${hasBD}`);

  // 1. Camera on: the QR in view is decoded and sent as scan 1; the answer names the athlete.
  await page.click('#camera');
  await page.waitForFunction(() => document.getElementById('camera-note').dataset.state === 'on' || document.getElementById('camera-note').dataset.state === 'unavailable', null, { timeout: 15000 });
  const note = await page.textContent('#camera-note');
  assert.equal(await page.getAttribute('#camera-note', 'data-state'), 'on', `the camera started: ${note}`);
  const decoder = await page.getAttribute('#video', 'data-decoder');
  log(`camera on, decoder ${decoder}`);
  if (!hasBD) assert.equal(decoder, 'jsQR', 'without BarcodeDetector the page decodes with jsQR');
  await page.waitForFunction((name) => {
    const fb = document.getElementById('feedback');
    return fb.classList.contains('fb-ok') && fb.dataset.seq === '1' && fb.textContent.includes(name);
  }, name, { timeout: 20000 });
  log(`decoded after ${await page.getAttribute('#video', 'data-frames')} frames: ${(await page.textContent('#feedback')).replace(/\s+/g, ' ').trim()}`);
  await page.screenshot({ path: path.join(shots, 'scan-camera.png') });
  const item = await page.evaluate(() => globalThis.splitline.box.items.map((i) => ({ seq: i.seq, code: i.code, state: i.state })));
  assert.deepEqual(item, [{ seq: 1, code: text, state: 'answered' }], 'the decoded text is sent as it is, like a typed code');

  // The server counts the check-in.
  const snap = await pageSnapshot(page, ws, EVENT, scanTok, `checkin/${RACE}`, { limit: 0 });
  assert.equal(snap.checked_in, 1, `checkin/${RACE} counts one: ${JSON.stringify(snap)}`);
  assert.equal(snap.no_shows, PEOPLE.length - 1);
  assert.ok(!snap.rows.some((r) => r.bib === bib), 'the athlete is no no-show');

  // 2. The QR stays in view for 2.5 s more: still one scan (frames keep being decoded).
  const f0 = Number(await page.getAttribute('#video', 'data-frames'));
  await sleep(2500);
  const f1 = Number(await page.getAttribute('#video', 'data-frames'));
  assert.ok(f1 > f0 + 3, `frames keep being decoded (${f0} -> ${f1})`);
  assert.equal(await page.evaluate(() => globalThis.splitline.box.items.length), 1, 'a QR held in view is one scan');

  // 3. Stop camera: the track is released and no more frames are decoded.
  await page.click('#camera');
  await page.waitForFunction(() => document.getElementById('video').hidden && !globalThis.splitline.cam.on, null, { timeout: 5000 });
  assert.equal(await page.textContent('#camera'), 'Camera');
  const f2 = Number(await page.getAttribute('#video', 'data-frames'));
  await sleep(600);
  assert.equal(Number(await page.getAttribute('#video', 'data-frames')), f2, 'no frame decoded after stop');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'code', 'the wedge field has the focus back');

  // 4. A phone without a camera: a polite note, and typing still works.
  const nocam = await browser.newContext({ viewport: { width: 400, height: 820 } });
  await nocam.addInitScript(() => {
    Object.defineProperty(navigator.mediaDevices, 'getUserMedia', { value: () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError')) });
  });
  const p2 = await open(nocam, `scan.html?token=${scan2Tok}`);
  await p2.click('#camera');
  await p2.waitForFunction(() => document.getElementById('camera-note').dataset.state === 'unavailable', null, { timeout: 10000 });
  const why = await p2.textContent('#camera-note');
  assert.match(why, /No camera found/);
  log(`no camera: '${why}'`);
  assert.equal(await p2.isHidden('#video'), true);
  await p2.screenshot({ path: path.join(shots, 'scan-no-camera.png') });
  await p2.keyboard.type(PEOPLE[0][0]);
  await p2.keyboard.press('Enter');
  await p2.waitForFunction((name) => document.getElementById('feedback').classList.contains('fb-ok') && document.getElementById('feedback').textContent.includes(name), PEOPLE[0][1], { timeout: 15000 });

  assert.deepEqual(pageErrors, [], 'no errors in the pages');
});
