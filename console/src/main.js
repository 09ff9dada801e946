// The console's wiring: the connection form, the fleet, the leases and
// the timeline. What it knows about robots comes from the documented
// contract only (docs/CONTRACT.md): presence, describe/catalog, status,
// start/stop/renew and their pipeline_state answers.
import { Connection } from './connection.js';
import { EVENTS, newRequestId } from './contract.js';
import { Fleet } from './robots.js';
import { Leases } from './leases.js';
import { Timeline } from './timeline.js';
import { Viewer, WEBRTC_EVENTS, parseIceServers } from './viewer.js';

const $ = (id) => document.getElementById(id);
const connection = new Connection();
const timeline = new Timeline($('timeline'));
const channelStatus = new Map();
const lastDescribe = new Map(); // channel -> Date.now() of the last describe
const sentActions = new Map(); // request_id -> action, of this page's requests

function send(channel, action, payload, forced = false) {
  const requestId = newRequestId(action);
  const body = { ...payload, request_id: requestId };
  sentActions.set(requestId, action);
  timeline.add({ kind: 'sent', channel, action, pipeline: payload.pipeline, request_id: requestId, text: forced ? '(sent anyway)' : '' });
  connection.send(channel, EVENTS[action], body).catch((err) => {
    timeline.add({ kind: 'note', channel, text: `${action} not sent: ${err.message}` });
  });
  if (action === 'start' && Number.isInteger(body.ttl) && body.ttl > 0) leases.hold(channel, payload.pipeline, body.ttl);
  if (action === 'stop') leases.release(channel, payload.pipeline);
  return requestId;
}

const leases = new Leases((channel, pipeline, ttl) => send(channel, 'renew', { pipeline, ttl }));
const viewers = new Map(); // session_id -> Viewer
let iceServers = []; // the browser's STUN/TURN servers, from the form
const pastSessions = new Map(); // session_id -> Viewer, closed here

function watch(robot, { pipeline, params, ttl }) {
  const viewer = new Viewer({
    channel: robot.channel,
    robot: robot.id,
    pipeline,
    params,
    ttl,
    iceServers,
    send: (channel, event, payload) => {
      const body = { ...payload, request_id: newRequestId(event) };
      if (event !== WEBRTC_EVENTS.candidates) timeline.add({ kind: 'sent', channel, action: event, pipeline, request_id: body.request_id, text: `session ${payload.session_id}` });
      connection.send(channel, event, body).catch((err) => timeline.add({ kind: 'note', channel, text: `${event} not sent: ${err.message}` }));
    },
    onState: (v, state, error) => timeline.add({ kind: 'session', channel: v.channel, robots: [v.robot], pipeline: v.pipeline, state, error, text: `session ${v.sessionId}` }),
    onClose: (v) => {
      viewers.delete(v.sessionId);
      pastSessions.set(v.sessionId, v);
      if (pastSessions.size > 100) pastSessions.delete(pastSessions.keys().next().value);
      setTimeout(() => v.element.remove(), v.state === 'failed' ? 10000 : 0);
      $('viewers-section').hidden = viewers.size === 0 && !$('viewers').querySelector('.viewer[data-state="failed"]');
    },
  });
  viewers.set(viewer.sessionId, viewer);
  $('viewers').append(viewer.element);
  $('viewers-section').hidden = false;
  viewer.start();
}

const fleet = new Fleet($('robots'), $('robots-empty'), send, watch);
window.rtConsole = { leases, fleet, viewers }; // for the browser tests and the curious

function ask(channel) {
  lastDescribe.set(channel, Date.now());
  send(channel, 'describe', {});
  send(channel, 'status', {});
}

function showConnection() {
  const parts = [...channelStatus].map(([name, status]) => `${name}: ${status}`);
  $('conn-status').textContent = connection.connected ? `Connected · ${parts.join(' · ')}` : 'Not connected';
  $('conn-status').dataset.state = connection.connected ? 'connected' : 'disconnected';
}

connection.addEventListener('channel-status', ({ detail }) => {
  channelStatus.set(detail.channel, detail.status.toLowerCase() + (detail.reason ? ` (${detail.reason})` : ''));
  showConnection();
  timeline.add({ kind: 'note', channel: detail.channel, text: `channel ${detail.status.toLowerCase()}${detail.reason ? `: ${detail.reason}` : ''}` });
  if (detail.status === 'SUBSCRIBED') ask(detail.channel);
});

connection.addEventListener('presence', ({ detail }) => {
  const online = fleet.applyPresence(detail.channel, detail.state);
  // A robot seen without its catalog is asked for it.
  const now = Date.now();
  if (online.some((id) => !fleet.hasCatalog(detail.channel, id)) && now - (lastDescribe.get(detail.channel) ?? 0) > 5000) {
    lastDescribe.set(detail.channel, now);
    send(detail.channel, 'describe', {});
  }
});

connection.addEventListener('broadcast', ({ detail }) => {
  const { channel, event, payload } = detail;
  if ([WEBRTC_EVENTS.offer, WEBRTC_EVENTS.candidates, WEBRTC_EVENTS.session].includes(event)) {
    // Other viewers' sessions share the channel: only ours are handled.
    const viewer = viewers.get(payload?.session_id);
    const past = pastSessions.get(payload?.session_id);
    if (viewer) viewer.handle(event, payload);
    else if (past && event === WEBRTC_EVENTS.session) {
      // The last word on a session this page ended ("ended").
      timeline.add({ kind: 'session', channel, robots: [past.robot], pipeline: past.pipeline, state: payload.state, error: payload.error, text: `session ${past.sessionId}` });
    } else if (event === WEBRTC_EVENTS.session && typeof payload?.session_id === 'string') {
      // Another viewer's session (another page or operator), as the robot
      // reports it: in the timeline, never acted on.
      timeline.add({ kind: 'session', channel, pipeline: payload.pipeline, state: payload.state, error: payload.error, text: `session ${payload.session_id} (another viewer)` });
    }
  } else if (event === EVENTS.catalog) {
    fleet.applyCatalog(channel, payload);
  } else if (event === EVENTS.reply) {
    const robots = fleet.applyState(channel, payload).map((r) => r.id);
    timeline.add({ kind: 'state', channel, robots, pipeline: payload?.pipeline, state: payload?.state, request_id: payload?.request_id, error: payload?.error });
    if (['stopped', 'failed'].includes(payload?.state)) leases.release(channel, payload.pipeline);
    // A refused request touches nothing, yet its answer says "failed":
    // ask for the pipeline's real state (status is never refused thus).
    const action = sentActions.get(payload?.request_id);
    if (payload?.state === 'failed' && ['start', 'stop', 'renew'].includes(action) && typeof payload.pipeline === 'string') {
      send(channel, 'status', { pipeline: payload.pipeline });
    }
  }
});

// url, channels, key, private and ice may come in the address's fragment
// (scripts/demo console prints such a link); the fragment never reaches
// a server, and is cleared from the address bar once read.
function prefill() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const saved = JSON.parse(localStorage.getItem('rt-console') ?? '{}');
  $('url').value = hash.get('url') ?? saved.url ?? '';
  $('channels').value = hash.get('channels') ?? saved.channels ?? '';
  $('private').checked = (hash.get('private') ?? String(saved.private ?? false)) === 'true';
  $('ice').value = hash.get('ice') ?? saved.ice ?? '';
  if (hash.get('key')) $('key').value = hash.get('key');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
}

$('connect-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const channels = $('channels').value.split(/[\s,]+/).filter(Boolean);
  const settings = { url: $('url').value.trim(), key: $('key').value.trim(), token: $('token').value.trim(), channels, isPrivate: $('private').checked };
  try {
    iceServers = parseIceServers($('ice').value, $('turn-user').value.trim(), $('turn-pass').value);
  } catch (err) {
    $('conn-status').textContent = `Cannot connect: STUN/TURN servers: ${err.message}`;
    return;
  }
  // The URL, channels and STUN/TURN URLs are remembered; the key, token
  // and TURN password never are.
  localStorage.setItem('rt-console', JSON.stringify({ url: settings.url, channels: channels.join(', '), private: settings.isPrivate, ice: $('ice').value.trim() }));
  leases.releaseAll();
  channelStatus.clear();
  for (const name of channels) channelStatus.set(name, 'joining');
  try {
    connection.connect(settings);
  } catch (err) {
    $('conn-status').textContent = `Cannot connect: ${err.message}`;
    return;
  }
  showConnection();
  $('disconnect-button').disabled = false;
  $('refresh-button').disabled = false;
});

$('disconnect-button').addEventListener('click', () => {
  for (const v of [...viewers.values()]) v.close(true);
  leases.releaseAll();
  connection.disconnect();
  channelStatus.clear();
  showConnection();
  $('disconnect-button').disabled = true;
  $('refresh-button').disabled = true;
});

$('refresh-button').addEventListener('click', () => {
  for (const name of connection.channelNames()) ask(name);
});

prefill();
showConnection();
