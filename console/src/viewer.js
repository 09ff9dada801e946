// WebRTC viewing of a pipeline with a WebRTC output, signalled over the
// robot's channel (docs/CONTRACT.md, "WebRTC viewing"): the page picks a
// random session id and sends watch; the robot answers with an SDP offer;
// the page sends its answer and both sides send ICE candidates in
// batches; session_state says offering, connecting, watching, ended or
// failed (with a reason). The session's lease is renewed (watch_renew)
// while the page shows it, and unwatch ends it; a closed page sends
// nothing and the robot ends the session when its lease runs out.
// Several viewers may run at once, each with its own overlay: state,
// round-trip time, bitrate and loss, from the browser's getStats().

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

function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'v' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class Viewer {
  // @send(channel, event, payload) broadcasts; @onState(viewer, state,
  // error) reports session states (the timeline); @onClose(viewer).
  constructor({ channel, robot, pipeline, params, ttl, send, onState, onClose }) {
    this.channel = channel;
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
  #last = null; // previous inbound-rtp stats, for the bitrate
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
    this.#pc = new RTCPeerConnection({ iceServers: [] });
    this.#pc.addTransceiver('video', { direction: 'recvonly' });
    this.#pc.ontrack = (event) => {
      this.#video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
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
        await this.#pc.setRemoteDescription({ type: 'offer', sdp: payload.sdp });
        for (const c of this.#pending.splice(0)) await this.#pc.addIceCandidate(c);
        const answer = await this.#pc.createAnswer();
        await this.#pc.setLocalDescription(answer);
        this.#send(this.channel, WEBRTC_EVENTS.answer, { session_id: this.sessionId, sdp: answer.sdp });
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
        const received = r.packetsReceived ?? 0;
        const lost = Math.max(0, r.packetsLost ?? 0);
        s.lossPercent = received + lost > 0 ? (100 * lost) / (received + lost) : 0;
        if (this.#last) {
          const seconds = (r.timestamp - this.#last.timestamp) / 1000;
          if (seconds > 0) s.kbps = (8 * (r.bytesReceived - this.#last.bytesReceived)) / 1000 / seconds;
        }
        this.#last = { timestamp: r.timestamp, bytesReceived: r.bytesReceived ?? 0 };
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
