// WebRTC viewing of a pipeline with a WebRTC output, signalled over the
// robot's channel (docs/CONTRACT.md, "WebRTC viewing"): the page picks a
// random session id and sends watch; the robot answers with an SDP offer;
// the page sends its answer and both sides send ICE candidates in
// batches; session_state says offering, connecting, watching, ended or
// failed (with a reason). The session's lease is renewed (watch_renew)
// while the page shows it, and unwatch ends it; a closed page sends
// nothing and the robot ends the session when its lease runs out.
// The browser's own STUN/TURN servers come from the connection form (the
// robot has its own, in its configuration). Several viewers may run at
// once, each with its own overlay: state,
// round-trip time, and bitrate and loss over the last second, from the
// browser's getStats().

import { el } from './dom.js';

export const WEBRTC_EVENTS = Object.freeze({
  watch: 'watch',
  answer: 'answer',
  candidates: 'candidates',
  unwatch: 'unwatch',
  renew: 'watch_renew',
  offer: 'offer',
  session: 'session_state',
});

const BATCH_MS = 100; // candidates gathered this long go in one message
const BATCH_MAX = 32; // the contract's bound per message
const STATS_MS = 1000;

// The browser's STUN/TURN servers (RTCIceServer[]) from the form: stun:,
// turn: and turns: URLs separated by commas or spaces, the TURN username
// and password given to every turn(s): URL. Throws on anything else.
export function parseIceServers(text, username, credential) {
  const servers = [];
  for (const url of String(text ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (!/^(stun|turns?):[^\s]+$/.test(url)) throw new Error(`"${url}" is not a stun:, turn: or turns: URL`);
    if (url.startsWith('stun:')) servers.push({ urls: url });
    else if (!username || !credential) throw new Error(`${url} needs the TURN username and password`);
    else servers.push({ urls: url, username, credential });
  }
  return servers;
}

function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'v' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class Viewer {
  // @send(channel, event, payload) broadcasts; @onState(viewer, state,
  // error) reports session states (the timeline); @onClose(viewer).
  constructor({ channel, robot, pipeline, params, ttl, iceServers, send, onState, onClose }) {
    this.channel = channel;
    this.iceServers = iceServers ?? [];
    this.robot = robot;
    this.pipeline = pipeline;
    this.sessionId = newSessionId();
    this.state = 'requested';
    this.ttl = ttl;
    this.#send = send;
    this.#onState = onState;
    this.#onClose = onClose;
    this.#params = params;
    this.element = this.#render();
  }

  #send;
  #onState;
  #onClose;
  #params;
  #pc = null;
  #pending = []; // remote candidates before the offer is set
  #batch = [];
  #batchTimer = null;
  #renewTimer = null;
  #statsTimer = null;
  #last = null; // previous inbound-rtp figures, for bitrate and loss
  #video;
  #overlay;
  #closed = false;

  #render() {
    this.#video = el('video', { autoplay: true, muted: true, playsinline: true });
    this.#video.muted = true;
    this.#overlay = el('figcaption', { class: 'overlay', 'aria-live': 'off' });
    const close = el('button', { type: 'button', class: 'secondary', 'data-action': 'unwatch', text: 'Stop watching' });
    close.addEventListener('click', () => this.close(true));
    const figure = el(
      'figure',
      { class: 'viewer', 'data-session': this.sessionId, 'data-pipeline': this.pipeline, 'data-robot': this.robot, 'data-state': this.state },
      el('div', { class: 'video-box' }, this.#video, this.#overlay),
      el('div', { class: 'viewer-bar' }, el('span', { text: `${this.robot} · ${this.pipeline}` }), close),
    );
    this.#showStats({});
    return figure;
  }

  start() {
    this.#pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.#pc.addTransceiver('video', { direction: 'recvonly' });
    this.#pc.ontrack = (event) => {
      this.#video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      // autoplay alone may leave the element paused with its frames
      // decoded (seen in Chromium on a page opened after another one):
      // play it; muted playback is always allowed.
      this.#video.play().catch(() => {});
    };
    this.#pc.onicecandidate = (event) => {
      const c = event.candidate;
      if (!c || !c.candidate) return; // end of candidates: nothing to send
      this.#batch.push({ candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0, ...(c.sdpMid ? { sdpMid: c.sdpMid } : {}) });
      if (this.#batch.length >= BATCH_MAX) this.#flushCandidates();
      else if (!this.#batchTimer) this.#batchTimer = setTimeout(() => this.#flushCandidates(), BATCH_MS);
    };
    this.#send(this.channel, WEBRTC_EVENTS.watch, {
      session_id: this.sessionId,
      pipeline: this.pipeline,
      params: this.#params,
      ttl: this.ttl,
    });
    this.#renewTimer = setInterval(() => {
      this.#send(this.channel, WEBRTC_EVENTS.renew, { session_id: this.sessionId, ttl: this.ttl });
    }, Math.max(1, Math.floor(this.ttl / 2)) * 1000);
    this.#statsTimer = setInterval(() => this.#updateStats(), STATS_MS);
  }

  #flushCandidates() {
    clearTimeout(this.#batchTimer);
    this.#batchTimer = null;
    while (this.#batch.length) {
      const candidates = this.#batch.splice(0, BATCH_MAX);
      this.#send(this.channel, WEBRTC_EVENTS.candidates, { session_id: this.sessionId, candidates });
    }
  }

  // A broadcast of the robot for this session (session_id already checked).
  async handle(event, payload) {
    if (this.#closed || !this.#pc) return;
    try {
      if (event === WEBRTC_EVENTS.offer && typeof payload.sdp === 'string') {
        // The robot repeats its offer only for a repeated watch, while it
        // waits for an answer: the first one is answered, once.
        if (this.#pc.remoteDescription) return;
        await this.#pc.setRemoteDescription({ type: 'offer', sdp: payload.sdp });
        for (const c of this.#pending.splice(0)) await this.#pc.addIceCandidate(c);
        const answer = await this.#pc.createAnswer();
        await this.#pc.setLocalDescription(answer);
        this.#send(this.channel, WEBRTC_EVENTS.answer, { session_id: this.sessionId, type: 'answer', sdp: answer.sdp });
      } else if (event === WEBRTC_EVENTS.candidates && Array.isArray(payload.candidates)) {
        for (const c of payload.candidates) {
          const init = { candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0 };
          if (this.#pc.remoteDescription) await this.#pc.addIceCandidate(init);
          else this.#pending.push(init);
        }
      } else if (event === WEBRTC_EVENTS.session) {
        this.#setState(payload.state, payload.error);
        if (payload.state === 'ended' || payload.state === 'failed') this.close(false);
      }
    } catch (err) {
      this.#setState('failed', `in this browser: ${err.message}`);
      this.close(true);
    }
  }

  #setState(state, error) {
    this.state = String(state);
    this.error = error ?? null;
    this.element.dataset.state = this.state;
    this.#onState(this, this.state, this.error);
    this.#showStats(this.stats ?? {});
  }

  async #updateStats() {
    if (!this.#pc) return;
    const report = await this.#pc.getStats();
    const s = { ...(this.stats ?? {}) };
    report.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        s.framesDecoded = r.framesDecoded ?? 0;
        s.width = r.frameWidth ?? 0;
        s.height = r.frameHeight ?? 0;
        // Bitrate and loss over the last interval, not since the start: a
        // burst of loss while the session was set up (packets the sender
        // sent before DTLS was ready count as lost) fades from the figure
        // instead of weighing on it for minutes.
        const received = r.packetsReceived ?? 0;
        const lost = Math.max(0, r.packetsLost ?? 0);
        const last = this.#last ?? { timestamp: r.timestamp, bytesReceived: 0, received: 0, lost: 0 };
        const seconds = (r.timestamp - last.timestamp) / 1000;
        if (seconds > 0) s.kbps = (8 * ((r.bytesReceived ?? 0) - last.bytesReceived)) / 1000 / seconds;
        if (this.#last) {
          const dReceived = Math.max(0, received - last.received);
          const dLost = Math.max(0, lost - last.lost);
          s.lossPercent = dReceived + dLost > 0 ? (100 * dLost) / (dReceived + dLost) : 0;
        }
        this.#last = { timestamp: r.timestamp, bytesReceived: r.bytesReceived ?? 0, received, lost };
      } else if (r.type === 'candidate-pair' && r.nominated && r.currentRoundTripTime !== undefined) {
        s.rttMs = r.currentRoundTripTime * 1000;
      }
    });
    this.stats = s;
    this.#showStats(s);
  }

  #showStats(s) {
    const fmt = (v, digits, unit) => (v === undefined || v === null ? '–' : `${v.toFixed(digits)}${unit}`);
    const lines = [
      `${this.state}${this.error ? `: ${this.error}` : ''}`,
      `RTT ${fmt(s.rttMs, 0, ' ms')} · ${fmt(s.kbps, 0, ' kbit/s')} · loss ${fmt(s.lossPercent, 1, ' %')}`,
      `${s.width ? `${s.width}×${s.height}` : 'no picture yet'} · ${s.framesDecoded ?? 0} frames`,
    ];
    this.#overlay.textContent = lines.join('\n');
    const d = this.element?.dataset;
    if (d) {
      d.framesDecoded = String(s.framesDecoded ?? 0);
      d.rttMs = s.rttMs === undefined ? '' : String(Math.round(s.rttMs));
      d.kbps = s.kbps === undefined ? '' : String(Math.round(s.kbps));
    }
  }

  // Ends the session: @tell sends unwatch (not when the robot ended it).
  close(tell) {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renewTimer);
    clearInterval(this.#statsTimer);
    clearTimeout(this.#batchTimer);
    if (tell) this.#send(this.channel, WEBRTC_EVENTS.unwatch, { session_id: this.sessionId });
    this.#pc?.close();
    this.#pc = null;
    this.#onClose(this);
  }

  get video() {
    return this.#video;
  }
}
