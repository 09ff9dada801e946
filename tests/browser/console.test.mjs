// realtime-gateway: the operator's console in headless Chromium, driven
// over the DevTools protocol by puppeteer-core (run by run-browser.sh,
// which starts the local realtime server, the two robots and the console
// server). Prints "PASS name" / "FAIL name: why" per check; a screenshot
// of each step goes to --shots.
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Ajv2020 from 'ajv/dist/2020.js';
import puppeteer from 'puppeteer-core';

const { values: opts } = parseArgs({
  options: {
    chromium: { type: 'string' },
    console: { type: 'string' },
    server: { type: 'string' },
    'key-file': { type: 'string' },
    shots: { type: 'string' },
    'log-a': { type: 'string' },
    'log-b': { type: 'string' },
    injector: { type: 'string', default: '0' },
    'signals-b': { type: 'string' },
    'signals-d': { type: 'string' },
    schema: { type: 'string' },
    'pid-a': { type: 'string' },
  },
});

const WAIT_MS = Number(process.env.RT_BROWSER_WAIT_MS ?? 30000); // each wait
// From the watch clicks to both viewers decoding the robot's video.
const WEBRTC_BOUND_MS = Number(process.env.RT_BROWSER_WEBRTC_BOUND_MS ?? 15000);
const key = readFileSync(opts['key-file'], 'utf8').trim();
let failed = 0;
let shot = 0;

function pass(name) {
  console.log(`PASS ${name}`);
}
function fail(name, why) {
  failed += 1;
  console.log(`FAIL ${name}: ${String(why).replaceAll(key, '***')}`);
}
async function check(name, fn) {
  try {
    await fn();
    pass(name);
    return true;
  } catch (err) {
    fail(name, err?.message ?? err);
    return false;
  }
}

// Waits (bounded) until @file has a line matching @re.
async function waitForLog(file, re, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const text = readFileSync(file, 'utf8');
    if (re.test(text)) return text;
    if (Date.now() > end) throw new Error(`no line matching ${re} in ${file}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// docs/schema, as tests/schema/check-schemas.mjs reads it.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
for (const f of readdirSync(opts.schema).filter((n) => n.endsWith('.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(opts.schema, f), 'utf8')));
}
const SIGNALLING = ['watch', 'answer', 'candidates', 'unwatch', 'watch_renew', 'offer', 'session_state'];

// Every WebRTC signalling message in @file (a `realtime-gateway listen`
// log: one {"event", "payload"} a line) is valid against its schema, and
// each of @needed was seen. Returns the count per event.
function checkSignalling(file, needed) {
  const counts = {};
  const bad = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      continue;
    }
    let payload = m?.payload;
    if (payload && typeof payload.payload === 'object' && typeof payload.event === 'string') payload = payload.payload;
    if (!SIGNALLING.includes(m?.event)) continue;
    counts[m.event] = (counts[m.event] ?? 0) + 1;
    const validate = ajv.getSchema(`${m.event}.json`);
    if (!validate) bad.push(`${m.event}: no docs/schema/${m.event}.json`);
    else if (!validate(payload)) bad.push(`${m.event} ${JSON.stringify(payload).slice(0, 160)}: ${ajv.errorsText(validate.errors)}`);
  }
  const missing = needed.filter((e) => !counts[e]);
  if (missing.length) throw new Error(`never heard: ${missing.join(', ')} (heard ${JSON.stringify(counts)})`);
  if (bad.length) throw new Error(`${bad.length} off the contract: ${bad.slice(0, 3).join(' | ')}`);
  return counts;
}

// Lines of @file matching the global regex @re.
function countLog(file, re) {
  return (readFileSync(file, 'utf8').match(re) ?? []).length;
}

async function screenshot(page, name) {
  shot += 1;
  const file = join(opts.shots, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

const profile = mkdtempSync(join(tmpdir(), 'rt-browser-profile-'));
// Flags: headless; no sandbox (the tests run as root); ICE candidates on
// loopback and not hidden behind mDNS names, for WebRTC viewing on one
// machine; pages in the background (the stand-in sender's, the console's
// while the sender is in front) not throttled; no first-run noise.
const browser = await puppeteer.launch({
  executablePath: opts.chromium,
  headless: true,
  userDataDir: profile,
  args: [
    '--no-sandbox',
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--disable-background-timer-throttling',
    '--disable-backgrounding-occluded-windows',
    '--disable-renderer-backgrounding',
    '--no-first-run',
    '--disable-gpu',
    '--window-size=1400,1000',
  ],
  defaultViewport: { width: 1400, height: 1000 },
});

// A stand-in WebRTC sender in a page of its own, following docs/CONTRACT.md
// ("WebRTC viewing") with the browser's own WebRTC and a canvas as camera:
// it answers describe with a catalog of one pipeline with a WebRTC output,
// and watch / answer / candidates / unwatch as the robot does. It checks
// the console's viewer, not the robot (the step after it does that).
async function startFakeSender(channelName) {
  const sender = await browser.newPage();
  sender.on('pageerror', (err) => console.log(`  sender page error: ${err.message}`));
  await sender.goto(opts.console, { waitUntil: 'load' });
  await sender.evaluate(
    async (url, apikey, channelName) => {
      const { RealtimeClient } = await import('/vendor/realtime-js.js');
      const endpoint = new URL('realtime/v1', url.replace(/\/*$/, '/'));
      endpoint.protocol = endpoint.protocol.replace(/^http/, 'ws');
      const client = new RealtimeClient(endpoint.toString().replace(/\/$/, ''), { params: { apikey } });
      const channel = client.channel(channelName, { config: { broadcast: { self: false } } });
      const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
      const g = canvas.getContext('2d');
      let n = 0;
      setInterval(() => {
        g.fillStyle = `hsl(${(n += 7) % 360} 80% 50%)`;
        g.fillRect(0, 0, 320, 240);
      }, 40);
      const stream = canvas.captureStream(25);
      const sessions = new Map();
      const send = (event, payload) => channel.send({ type: 'broadcast', event, payload });
      window.senderSend = send; // for the test: a message as the sender
      const state = (id, st, requestId = null, error = null) =>
        send('session_state', { session_id: id, pipeline: 'canvas', state: st, request_id: requestId, error });
      channel.on('broadcast', { event: '*' }, async ({ event, payload }) => {
        const id = payload?.session_id;
        if (event === 'describe') {
          send('catalog', {
            id: 'fake-sender', version: 'test', request_id: payload.request_id ?? null,
            pipelines: [{ name: 'canvas', summary: 'a canvas, sent by a stand-in sender', outputs: ['webrtc'], control: 'watch', lease: { default_ttl: 30, max_ttl: 600 }, params: [] }],
          });
        } else if (event === 'watch') {
          const pc = new RTCPeerConnection({ iceServers: [] });
          sessions.set(id, pc);
          pc.addTrack(stream.getVideoTracks()[0], stream);
          pc.onicecandidate = (e) => {
            if (e.candidate?.candidate) send('candidates', { session_id: id, candidates: [{ candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex }] });
          };
          pc.onconnectionstatechange = () => {
            if (pc.connectionState === 'connected') state(id, 'watching');
          };
          state(id, 'offering', payload.request_id);
          const offer = await pc.createOffer();
          await pc.setLocalDescription(offer);
          send('offer', { session_id: id, pipeline: 'canvas', type: 'offer', sdp: offer.sdp });
        } else if (event === 'answer' && sessions.has(id)) {
          await sessions.get(id).setRemoteDescription({ type: 'answer', sdp: payload.sdp });
          state(id, 'connecting', payload.request_id);
        } else if (event === 'candidates' && sessions.has(id)) {
          for (const c of payload.candidates) await sessions.get(id).addIceCandidate(c);
        } else if (event === 'unwatch' && sessions.has(id)) {
          sessions.get(id).close();
          sessions.delete(id);
          state(id, 'ended', payload.request_id);
        }
      });
      await new Promise((resolve) => channel.subscribe((s) => s === 'SUBSCRIBED' && resolve()));
    },
    opts.server,
    key,
    channelName,
  );
  return sender;
}

// Two viewers of @pipeline on @robotId at once: decoded frames, the
// video's size and the overlay's figures, read from the page; then both
// stopped. Returns the seconds from the clicks to both decoding.
async function watchTwice(page, robotId, pipeline, size, boundMs) {
  const sel = pipe(robotId, pipeline);
  const viewers = `figure.viewer[data-robot="${robotId}"][data-pipeline="${pipeline}"]`;
  await page.waitForSelector(`${sel} button[data-action="watch"]`, { timeout: WAIT_MS });
  const t0 = Date.now();
  await page.click(`${sel} button[data-action="watch"]`);
  await page.click(`${sel} button[data-action="watch"]`);
  await page.waitForFunction(
    (vsel) => {
      const v = [...document.querySelectorAll(vsel)];
      return v.length === 2 && v.every((f) => Number(f.dataset.framesDecoded) > 0 && f.querySelector('video').videoWidth > 0 && f.dataset.rttMs !== '' && f.dataset.kbps !== '' && f.dataset.state === 'watching');
    },
    { timeout: boundMs, polling: 100 },
    viewers,
  );
  const seconds = (Date.now() - t0) / 1000;
  const sizes = await page.$$eval(`${viewers} video`, (vs) => vs.map((v) => `${v.videoWidth}x${v.videoHeight}`));
  if (sizes.some((s) => s !== size)) throw new Error(`video sizes ${sizes}`);
  // Playing, not only decoding: each <video> has shown a second of it.
  await page
    .waitForFunction((vsel) => [...document.querySelectorAll(`${vsel} video`)].every((v) => v.currentTime > 1 && !v.paused), { timeout: WAIT_MS, polling: 100 }, viewers)
    .catch(async (err) => {
      const states = await page.$$eval(`${viewers} video`, (vs) => vs.map((v) => `t=${v.currentTime} paused=${v.paused} ready=${v.readyState} ${document.visibilityState}`));
      throw new Error(`the videos do not play: ${states.join('; ')} (${err.message})`);
    });
  const overlay = await page.$eval(`${viewers} figcaption`, (n) => n.textContent);
  if (!/RTT \d+ ms · \d+ kbit\/s · loss [\d.]+ %/.test(overlay)) throw new Error(`overlay: ${overlay}`);
  return seconds;
}

async function stopWatching(page, robotId, pipeline) {
  const viewers = `figure.viewer[data-robot="${robotId}"][data-pipeline="${pipeline}"]`;
  for (const b of await page.$$(`${viewers} button[data-action="unwatch"]`)) await b.click();
  await page.waitForFunction(
    (p) => [...document.querySelectorAll(`#timeline li.session[data-pipeline="${p}"]`)].filter((l) => l.dataset.state === 'ended').length >= 2,
    { timeout: WAIT_MS },
    pipeline,
  );
  await page.waitForFunction((vsel) => document.querySelectorAll(vsel).length === 0, { timeout: WAIT_MS }, viewers);
}

const robot = (id) => `article.robot[data-robot="${id}"]`;
const pipe = (id, name) => `${robot(id)} section.pipeline[data-pipeline="${name}"]`;

// A console page, connected to both channels by keyboard (Enter submits).
const ICE_URLS = 'stun:127.0.0.1:9, turn:127.0.0.1:9?transport=udp';
const TURN_PASSWORD = 'turn-5ecret-not-stored';
let prefilled = null;
const requested = new Set(); // every URL the console pages asked for
async function openConsole() {
  const page = await browser.newPage();
  page.on('request', (r) => requested.add(r.url()));
  page.on('pageerror', (err) => console.log(`  page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.log(`  page console: ${msg.text().replaceAll(key, '***')}`);
  });
  await page.goto(opts.console, { waitUntil: 'load' });
  // What the page filled in by itself (a second page: the URL and channels
  // remembered, never the key).
  prefilled = await page.evaluate(() => ({ url: document.getElementById('url').value, key: document.getElementById('key').value }));
  // Typed afresh.
  await page.$eval('#url', (i) => { i.value = ''; });
  await page.$eval('#channels', (i) => { i.value = ''; });
  await page.$eval('#ice', (i) => { i.value = ''; });
  await page.type('#url', opts.server);
  await page.type('#key', key);
  // STUN/TURN servers the browser tries (nobody answers there: ICE
  // connects on the host candidates, as on one machine it does).
  await page.type('#ice', ICE_URLS);
  await page.type('#turn-user', 'viewer');
  await page.type('#turn-pass', TURN_PASSWORD);
  await page.type('#channels', opts.injector === '1' ? 'robot-a, robot-b, robot-c, robot-d' : 'robot-a, robot-b, robot-d');
  await page.focus('#channels');
  await page.keyboard.press('Enter');
  return page;
}

async function stateOf(page, id, name) {
  return page.$eval(`${pipe(id, name)} .state`, (n) => n.dataset.state).catch(() => null);
}

async function waitState(page, id, name, state) {
  await page.waitForFunction(
    (sel, st) => document.querySelector(sel)?.dataset.state === st,
    { timeout: WAIT_MS },
    `${pipe(id, name)} .state`,
    state,
  );
}

// The timeline's states for @pipeline, oldest first.
async function timelineStates(page, name) {
  return page.$$eval(`#timeline li.state[data-pipeline="${name}"]`, (items) =>
    items.map((li) => li.dataset.state).reverse(),
  );
}

let page;
try {
  page = await openConsole();

  await check('both robots appear, online, with their catalogs', async () => {
    await page.waitForSelector(`${pipe('robot-a', 'pattern-rtp')} form`, { timeout: WAIT_MS });
    await page.waitForSelector(`${pipe('robot-a', 'short-lease')} form`, { timeout: WAIT_MS });
    await page.waitForSelector(`${pipe('robot-b', 'pattern-file')} form`, { timeout: WAIT_MS });
    await page.waitForFunction(
      () => [...document.querySelectorAll('article.robot')].filter((a) => a.dataset.presence === 'online').length === 2,
      { timeout: WAIT_MS },
    );
    // robot-a has no pattern-file, robot-b no pattern-rtp.
    if (await page.$(pipe('robot-a', 'pattern-file'))) throw new Error('robot-a shows robot-b\'s pipeline');
    if (await page.$(pipe('robot-b', 'pattern-rtp'))) throw new Error('robot-b shows robot-a\'s pipeline');
  });

  await check('the key is kept in the page only: not in storage or cookies', async () => {
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    if (stored.includes(key)) throw new Error('the key is stored');
    if (stored.includes(TURN_PASSWORD)) throw new Error('the TURN password is stored');
    if (!stored.includes('robot-a')) throw new Error(`the channels are not remembered either: ${stored}`);
  });

  await check('every field and button has a label (keyboard and screen readers)', async () => {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((c) => c.type !== 'hidden')
        .filter((c) => !(c.labels?.length > 0 || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || (c.tagName === 'BUTTON' && c.textContent.trim())))
        .map((c) => c.outerHTML.slice(0, 80)),
    );
    if (unlabelled.length) throw new Error(`without a label: ${unlabelled.join(' | ')}`);
  });

  await check('a link\'s #fragment fills the form and leaves the address bar; a bad STUN/TURN URL is refused', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${opts.console}#url=${encodeURIComponent(opts.server)}&channels=robot-x,robot-y`, { waitUntil: 'load' });
      await other.waitForFunction(() => document.getElementById('channels').value !== '', { timeout: WAIT_MS });
      const got = await other.evaluate(() => [document.getElementById('url').value, document.getElementById('channels').value, location.hash]);
      if (got[0] !== opts.server || got[1] !== 'robot-x,robot-y' || got[2] !== '') throw new Error(`url, channels, hash: ${JSON.stringify(got)}`);
      // A STUN/TURN URL that is none is refused in the form: no connection.
      await other.$eval('#ice', (i) => { i.value = 'http://stun.example.org'; });
      await other.type('#key', 'k');
      await other.focus('#channels');
      await other.keyboard.press('Enter');
      const status = await other.$eval('#conn-status', (n) => n.textContent);
      if (!status.includes('is not a stun:, turn: or turns: URL')) throw new Error(`status: ${status}`);
    } finally {
      await other.close();
    }
    await page.bringToFront();
  });

  await check('the forms follow the catalogs (select for enum, bounds, pattern, lease)', async () => {
    const options = await page.$$eval(`${pipe('robot-a', 'pattern-rtp')} select[name="param-pattern"] option`, (o) => o.map((x) => x.value));
    if (options.join() !== 'smpte,ball,snow') throw new Error(`enum options ${options}`);
    const speed = await page.$eval(`${pipe('robot-b', 'pattern-file')} input[name="param-speed"]`, (i) => [i.type, i.min, i.max, i.value]);
    if (speed.join() !== 'number,-20,20,0') throw new Error(`speed input ${speed}`);
    const file = await page.$eval(`${pipe('robot-b', 'pattern-file')} input[name="param-file"]`, (i) => [i.maxLength, i.value]);
    if (file.join() !== '32,browser') throw new Error(`file input ${file}`);
    const ttl = await page.$eval(`${pipe('robot-a', 'short-lease')} input[name="ttl"]`, (i) => [i.value, i.max]);
    if (ttl.join() !== '4,30') throw new Error(`ttl ${ttl}`);
    const outputs = await page.$eval(`${pipe('robot-b', 'pattern-file')} .pipeline-meta`, (n) => n.textContent);
    if (!outputs.includes('output: file')) throw new Error(`outputs: ${outputs}`);
  });
  if (opts.injector === '1') {
    await check('a realtimesrc injector answers describe and is driven from its form', async () => {
      const sel = pipe('front-door', 'front-door');
      await page.waitForSelector(`${sel} form`, { timeout: WAIT_MS });
      const presence = await page.$eval(robot('front-door'), (a) => a.dataset.presence);
      if (presence !== 'none') throw new Error(`presence ${presence}`);
      const options = await page.$$eval(`${sel} select[name="param-pattern"] option`, (o) => o.map((x) => x.value));
      if (options.join() !== 'smpte,ball,snow') throw new Error(`enum options ${options}`);
      await page.click(`${sel} button[data-action="start"]`);
      await waitState(page, 'front-door', 'front-door', 'playing');
      await page.click(`${sel} button[data-action="stop"]`);
      await waitState(page, 'front-door', 'front-door', 'stopped');
    });
  } else {
    console.log('SKIP realtimesrc injector: no plugin directory or gst-launch-1.0');
  }
  await screenshot(page, 'robots');

  await check('a start from the form reaches the robot, states in order', async () => {
    await page.select(`${pipe('robot-a', 'pattern-rtp')} select[name="param-pattern"]`, 'ball');
    await page.click(`${pipe('robot-a', 'pattern-rtp')} button[data-action="start"]`);
    await waitState(page, 'robot-a', 'pattern-rtp', 'playing');
    await waitForLog(opts['log-a'], /pipeline pattern-rtp: playing request console-/);
    const states = await timelineStates(page, 'pattern-rtp');
    const i = states.indexOf('starting');
    if (i < 0 || states.indexOf('playing', i) < 0) throw new Error(`timeline states: ${states}`);
    const params = await page.$$eval('#timeline li.sent', (items) => items.map((li) => li.textContent));
    if (!params.some((t) => t.includes('pattern-rtp') && t.includes('start'))) throw new Error('the start is not in the timeline');
  });
  await screenshot(page, 'playing');

  await check('a stop from the form ends it', async () => {
    await page.click(`${pipe('robot-a', 'pattern-rtp')} button[data-action="stop"]`);
    await waitState(page, 'robot-a', 'pattern-rtp', 'stopped');
    await waitForLog(opts['log-a'], /pipeline pattern-rtp: stopped request console-/);
    const states = await timelineStates(page, 'pattern-rtp');
    if (states.indexOf('stopping') < states.lastIndexOf('playing')) throw new Error(`timeline states: ${states}`);
  });
  await screenshot(page, 'stopped');

  await check('an out-of-bounds value is refused in the form, nothing sent', async () => {
    const sel = `${pipe('robot-b', 'pattern-file')} input[name="param-speed"]`;
    const sentBefore = await page.$$eval('#timeline li.sent', (l) => l.length);
    await page.$eval(sel, (i) => { i.value = ''; });
    await page.type(sel, '999');
    await page.click(`${pipe('robot-b', 'pattern-file')} button[data-action="start"]`);
    const note = await page.$eval(`${pipe('robot-b', 'pattern-file')} .form-note`, (n) => [n.dataset.kind, n.textContent]);
    if (note[0] !== 'refused-in-form') throw new Error(`form note: ${note}`);
    const problem = await page.$eval(`${pipe('robot-b', 'pattern-file')} input[name="param-speed"]`, (i) => [i.validity.valid, i.validationMessage]);
    if (problem[0] !== false || !problem[1].includes('above 20')) throw new Error(`field: ${problem}`);
    const sentAfter = await page.$$eval('#timeline li.sent', (l) => l.length);
    if (sentAfter !== sentBefore) throw new Error('a request was sent');
  });
  await screenshot(page, 'refused-in-form');

  await check('sent anyway, the robot\'s reason is shown', async () => {
    // By keyboard, as an operator without a mouse would.
    await page.focus(`${pipe('robot-b', 'pattern-file')} button[data-action="force"]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.dataset.kind === 'refused-by-robot',
      { timeout: WAIT_MS },
      `${pipe('robot-b', 'pattern-file')} .result`,
    );
    const text = await page.$eval(`${pipe('robot-b', 'pattern-file')} .result`, (n) => n.textContent);
    if (!text.includes('999')) throw new Error(`result: ${text}`);
    await waitForLog(opts['log-b'], /request console-\S+ rejected: .*999/);
    // The refusal touched nothing: the page asks, and shows it stopped.
    await waitState(page, 'robot-b', 'pattern-file', 'stopped');
    const error = await page.$eval(`${pipe('robot-b', 'pattern-file')} .last-error`, (n) => n.textContent);
    if (!error.includes('999')) throw new Error(`last error: ${error}`);
  });
  await screenshot(page, 'refused-by-robot');

  await check('the lease is renewed while the page is open', async () => {
    await page.click(`${pipe('robot-a', 'short-lease')} button[data-action="start"]`);
    await waitState(page, 'robot-a', 'short-lease', 'playing');
    // Renewed every 2 s: three renews make 6 s, beyond the 4 s lease.
    await page.waitForFunction(
      () => [...document.querySelectorAll('#timeline li.sent')].filter((l) => /short-lease → renew/.test(l.textContent)).length >= 3,
      { timeout: WAIT_MS },
    );
    if ((await stateOf(page, 'robot-a', 'short-lease')) !== 'playing') throw new Error('it stopped while renewed');
    const log = readFileSync(opts['log-a'], 'utf8');
    if (/short-lease: stopped: lease expired/.test(log)) throw new Error('the robot stopped it');
  });
  await screenshot(page, 'lease-held');

  await check('closing the page lets the lease lapse: the robot stops the pipeline', async () => {
    const t0 = Date.now();
    await page.close();
    page = null;
    await waitForLog(opts['log-a'], /pipeline short-lease: stopped: lease expired/);
    console.log(`  lease lapsed ${((Date.now() - t0) / 1000).toFixed(1)} s after the page closed (ttl 4 s)`);
    page = await openConsole();
    await page.bringToFront();
    await page.waitForSelector(`${pipe('robot-a', 'short-lease')} form`, { timeout: WAIT_MS });
    await waitState(page, 'robot-a', 'short-lease', 'stopped');
  });
  await check('a new page remembers the project URL, not the key', async () => {
    if (prefilled?.url !== opts.server || prefilled?.key !== '') throw new Error(`prefilled url ${prefilled?.url}, key ${prefilled?.key ? 'filled' : 'empty'}`);
  });
  if (page) await screenshot(page, 'lease-lapsed');

  await check('the viewer against a stand-in WebRTC sender: two at once, video and overlay; another viewer\'s session in the timeline', async () => {
    const sender = await startFakeSender('robot-d');
    await page.bringToFront();
    try {
      await page.click('#refresh-button');
      const seconds = await watchTwice(page, 'fake-sender', 'canvas', '320x240', 20000);
      console.log(`  both viewers decoding ${seconds.toFixed(1)} s after the watch clicks (stand-in sender)`);
      await screenshot(page, 'watching-stand-in');
      // Another viewer's session, as a robot reports it: in the timeline.
      await sender.evaluate(() => window.senderSend('session_state', { session_id: 'another-viewer-1', pipeline: 'canvas', state: 'watching', request_id: null, error: null }));
      await page.waitForSelector('#timeline li.session[data-pipeline="canvas"][data-state="watching"]', { timeout: WAIT_MS });
      await page.waitForFunction(() => [...document.querySelectorAll('#timeline li.session')].some((l) => l.textContent.includes('another-viewer-1')), { timeout: WAIT_MS });
      await stopWatching(page, 'fake-sender', 'canvas');
    } finally {
      await sender.close();
    }
  });
  await check('the viewer\'s signalling follows docs/schema (watch, answer, candidates, unwatch)', async () => {
    const counts = checkSignalling(opts['signals-d'], ['watch', 'answer', 'candidates', 'unwatch', 'offer', 'session_state']);
    console.log(`  signalling heard on robot-d: ${JSON.stringify(counts)}`);
  });

  // The robot's own WebRTC output (pipelines/test-pattern-webrtc.pipeline,
  // 640x360 H.264): two viewers at once, decoded in this browser within
  // the bound (RT_BROWSER_WEBRTC_BOUND_MS; see README for the figures it
  // was set from), then unwatched: the robot ends both sessions and, with
  // its last viewer gone, stops the pipeline and releases the source.
  await check('two WebRTC viewers of the robot at once: decoded video, the stats overlay filled', async () => {
    await page.click('#refresh-button');
    // Watched, not started (catalog control "watch"): Watch is its only action.
    const sel = pipe('robot-b', 'test-pattern-webrtc');
    await page.waitForSelector(`${sel} button[data-action="watch"]`, { timeout: WAIT_MS });
    const actions = await page.$$eval(`${sel} .actions button`, (bs) => bs.map((b) => b.dataset.action));
    if (actions.join() !== 'watch') throw new Error(`the WebRTC pipeline offers ${actions.join()}`);
    const seconds = await watchTwice(page, 'robot-b', 'test-pattern-webrtc', '640x360', WEBRTC_BOUND_MS);
    console.log(`  both viewers decoding ${seconds.toFixed(1)} s after the watch clicks (robot-b, bound ${WEBRTC_BOUND_MS / 1000} s)`);
    const ice = await page.evaluate(() => [...window.rtConsole.viewers.values()].map((v) => JSON.stringify(v.iceServers)));
    const expected = JSON.stringify([{ urls: 'stun:127.0.0.1:9' }, { urls: 'turn:127.0.0.1:9?transport=udp', username: 'viewer', credential: TURN_PASSWORD }]);
    if (ice.length !== 2 || ice.some((i) => i !== expected)) throw new Error('the viewers do not use the form\'s STUN/TURN servers');
    const overlay = await page.$$eval('figure.viewer[data-robot="robot-b"] figcaption', (ns) => ns.map((n) => n.textContent.replaceAll('\n', ' / ')));
    console.log(`  overlays: ${overlay.join(' | ')}`);
  });
  await screenshot(page, 'watching');
  await check('stop watching ends the robot\'s sessions, and the last one stops the pipeline', async () => {
    await stopWatching(page, 'robot-b', 'test-pattern-webrtc');
    await waitForLog(opts['log-b'], /pipeline test-pattern-webrtc: stopped/);
    await waitState(page, 'robot-b', 'test-pattern-webrtc', 'stopped');
  });
  await check('a closed page\'s viewer lapses: the robot ends the session and stops the pipeline', async () => {
    const sel = pipe('robot-b', 'test-pattern-webrtc');
    const viewer = 'figure.viewer[data-robot="robot-b"][data-pipeline="test-pattern-webrtc"]';
    const stopsBefore = countLog(opts['log-b'], /pipeline test-pattern-webrtc: stopped/g);
    // A 3 s lease, renewed every second while the page is open.
    await page.$eval(`${sel} input[name="ttl"]`, (i) => { i.value = ''; });
    await page.type(`${sel} input[name="ttl"]`, '3');
    await page.click(`${sel} button[data-action="watch"]`);
    await page.waitForFunction((v) => Number(document.querySelector(v)?.dataset.framesDecoded) > 0, { timeout: WEBRTC_BOUND_MS, polling: 100 }, viewer);
    await page.waitForFunction(
      () => [...document.querySelectorAll('#timeline li.sent')].filter((l) => /watch_renew/.test(l.textContent)).length >= 2,
      { timeout: WAIT_MS },
    );
    const t0 = Date.now();
    await page.close();
    page = null;
    await waitForLog(opts['log-b'], /webrtc session \S+ \(test-pattern-webrtc\): \w+ -> ended: lease expired/);
    const lapsed = (Date.now() - t0) / 1000;
    const end = Date.now() + WAIT_MS;
    while (countLog(opts['log-b'], /pipeline test-pattern-webrtc: stopped/g) <= stopsBefore) {
      if (Date.now() > end) throw new Error('the pipeline did not stop after its last viewer lapsed');
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`  session lapsed ${lapsed.toFixed(1)} s after the page closed (ttl 3 s), pipeline stopped ${((Date.now() - t0) / 1000).toFixed(1)} s after`);
  });
  await check('viewer and robot signalling follow docs/schema', async () => {
    const counts = checkSignalling(opts['signals-b'], ['watch', 'answer', 'candidates', 'watch_renew', 'unwatch', 'offer', 'session_state']);
    console.log(`  signalling heard on robot-b: ${JSON.stringify(counts)}`);
  });
  await check('a robot that leaves shows offline (presence)', async () => {
    page = await openConsole();
    const a = robot('robot-a');
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.presence === 'online', { timeout: WAIT_MS }, a);
    process.kill(Number(opts['pid-a']), 'SIGTERM');
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.presence === 'offline', { timeout: WAIT_MS }, a);
    const b = await page.$eval(robot('robot-b'), (n) => n.dataset.presence);
    if (b !== 'online') throw new Error(`robot-b shows ${b}`);
    await screenshot(page, 'robot-offline');
  });

  await check('the pages load nothing from elsewhere: only the console and the realtime server', async () => {
    const allowed = [new URL(opts.console).origin, new URL(opts.server).origin];
    const elsewhere = [...requested].filter((u) => !u.startsWith('data:') && !allowed.includes(new URL(u).origin));
    if (elsewhere.length) throw new Error(`requests elsewhere: ${elsewhere.slice(0, 5).join(' ')}`);
    if (requested.size < 5) throw new Error(`only ${requested.size} requests seen`);
  });
} catch (err) {
  fail('console test', err?.stack ?? err);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
