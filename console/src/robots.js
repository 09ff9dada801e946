// The robots on the joined channels and their pipelines, live.
//
// A robot is known by its channel and id: from presence (the key it tracks
// with, its id) and from its catalog (the answer to describe). Presence
// says online or offline; a robot that answers but does not track
// presence (realtimesrc) shows "no presence". pipeline_state answers name
// a pipeline, not a robot: a state belongs to every robot on that channel
// whose catalog has that pipeline (requests reach them all alike).
import { buildPipelineForm } from './pipeline-form.js';
import { el } from './dom.js';

const stateKey = (channel, pipeline) => `${channel}\u0000${pipeline}`;

export class Fleet {
  #root;
  #empty;
  #send;
  #watch;
  #robots = new Map(); // channel\0id -> robot
  #states = new Map(); // channel\0pipeline -> {state, error, fromBroadcast}
  #results = new Map(); // request_id -> {channel, pipeline, action}

  // @root: the element robots are shown in; @send(channel, action, payload,
  // forced) sends a request and returns its request_id; @watch(robot,
  // {pipeline, params, ttl}) opens a viewer.
  constructor(root, empty, send, watch) {
    this.#root = root;
    this.#empty = empty;
    this.#send = send;
    this.#watch = watch;
  }

  #robot(channel, id) {
    const key = `${channel}\u0000${id}`;
    let robot = this.#robots.get(key);
    if (!robot) {
      robot = { channel, id, version: null, presence: 'none', catalog: null, view: null, pipelines: new Map() };
      this.#robots.set(key, robot);
      this.#render(robot);
    }
    return robot;
  }

  // Robots whose catalog or presence names @pipeline on @channel.
  #robotsWith(channel, pipeline) {
    return [...this.#robots.values()].filter((r) => r.channel === channel && r.pipelines.has(pipeline));
  }

  // Presence state of @channel (realtime-js presenceState()).
  applyPresence(channel, state) {
    const online = new Set();
    for (const [key, metas] of Object.entries(state ?? {})) {
      const meta = metas?.[metas.length - 1] ?? {};
      const id = typeof meta.id === 'string' ? meta.id : key;
      online.add(id);
      const robot = this.#robot(channel, id);
      robot.presence = 'online';
      if (typeof meta.version === 'string') robot.version = meta.version;
      for (const [name, st] of Object.entries(meta.pipelines ?? {})) {
        const k = stateKey(channel, name);
        // Broadcasts are newer than presence, which is rate-limited.
        if (!this.#states.get(k)?.fromBroadcast) this.#states.set(k, { state: String(st), error: null, fromBroadcast: false });
        if (!robot.pipelines.has(name)) robot.pipelines.set(name, null);
      }
      this.#render(robot);
    }
    for (const robot of this.#robots.values()) {
      if (robot.channel === channel && robot.presence === 'online' && !online.has(robot.id)) {
        robot.presence = 'offline';
        this.#render(robot);
      }
    }
    return [...online];
  }

  // Whether @channel's robot @id has sent its catalog.
  hasCatalog(channel, id) {
    return Boolean(this.#robots.get(`${channel}\u0000${id}`)?.catalog);
  }

  applyCatalog(channel, payload) {
    if (!payload || !Array.isArray(payload.pipelines)) return;
    const robot = this.#robot(channel, typeof payload.id === 'string' ? payload.id : '(no id)');
    const same = robot.catalog && JSON.stringify(robot.catalog.pipelines) === JSON.stringify(payload.pipelines);
    robot.catalog = payload;
    robot.version = typeof payload.version === 'string' ? payload.version : robot.version;
    if (!same) {
      robot.pipelines = new Map(payload.pipelines.map((p) => [p.name, p]));
      robot.view = null; // forms are rebuilt from the new catalog
    }
    this.#render(robot);
  }

  // A pipeline_state answer: returns the robots it was shown on.
  applyState(channel, payload) {
    if (!payload || typeof payload.pipeline !== 'string') return [];
    const k = stateKey(channel, payload.pipeline);
    const error = typeof payload.error === 'string' ? payload.error : null;
    const previous = this.#states.get(k);
    this.#states.set(k, {
      state: String(payload.state),
      // The last error stays until a new one replaces it.
      error: error ?? previous?.error ?? null,
      fromBroadcast: true,
    });
    const result = this.#results.get(payload.request_id);
    const robots = this.#robotsWith(channel, payload.pipeline);
    for (const robot of robots) this.#updatePipeline(robot, payload.pipeline, result ? { ...result, payload } : null);
    return robots;
  }

  stateOf(channel, pipeline) {
    return this.#states.get(stateKey(channel, pipeline))?.state ?? null;
  }

  #request(robot, action, payload, forced) {
    if (action === 'watch') {
      this.#watch(robot, payload);
      return;
    }
    const requestId = this.#send(robot.channel, action, payload, forced);
    if (requestId) this.#results.set(requestId, { action, forced });
    const view = robot.view?.pipelines.get(payload.pipeline);
    if (view) {
      view.result.textContent = `${action}${forced ? ' (sent anyway)' : ''} sent, request ${requestId}`;
      view.result.dataset.kind = 'sent';
    }
  }

  #render(robot) {
    this.#empty.hidden = this.#robots.size > 0;
    if (!robot.view) {
      const heading = el('h3', {}, el('span', { class: 'robot-id', text: robot.id }));
      const badge = el('span', { class: 'presence' });
      const meta = el('p', { class: 'robot-meta' });
      const list = el('div', { class: 'pipelines' });
      const article = el('article', {
        class: 'robot',
        'data-robot': robot.id,
        'data-channel': robot.channel,
        'aria-label': `robot ${robot.id} on ${robot.channel}`,
      }, el('header', {}, heading, badge), meta, list);
      const old = [...this.#root.children].find((n) => n.dataset.robot === robot.id && n.dataset.channel === robot.channel);
      if (old) old.replaceWith(article);
      else this.#root.append(article);
      robot.view = { article, badge, meta, list, pipelines: new Map() };
    }
    const v = robot.view;
    const presenceText = { online: 'online', offline: 'offline', none: 'no presence' }[robot.presence];
    v.badge.textContent = presenceText;
    v.badge.dataset.presence = robot.presence;
    v.article.dataset.presence = robot.presence;
    v.meta.textContent = `channel ${robot.channel}` + (robot.version ? ` · version ${robot.version}` : '') +
      (robot.catalog ? '' : ' · catalog not received yet');
    for (const name of robot.pipelines.keys()) {
      if (!v.pipelines.has(name)) this.#renderPipeline(robot, name);
      this.#updatePipeline(robot, name, null);
    }
  }

  #renderPipeline(robot, name) {
    const entry = robot.pipelines.get(name); // null until the catalog came
    const state = el('span', { class: 'state', 'data-state': 'unknown', text: 'unknown' });
    const error = el('p', { class: 'last-error' });
    const result = el('p', { class: 'result', role: 'status', 'aria-live': 'polite' });
    const title = el('h4', {}, el('span', { class: 'pipeline-name', text: name }), ' ', state);
    const section = el('section', { class: 'pipeline', 'data-pipeline': name, 'aria-label': `pipeline ${name}` }, title);
    if (entry) {
      const outputs = entry.outputs?.length ? entry.outputs.join(', ') : 'the application\'s';
      const lease = entry.lease?.default_ttl ? `lease ${entry.lease.default_ttl} s by default, at most ${entry.lease.max_ttl} s` : `no default lease, at most ${entry.lease?.max_ttl} s`;
      section.append(
        el('p', { class: 'summary', text: entry.summary ?? '' }),
        el('p', { class: 'pipeline-meta', text: `output: ${outputs} · ${lease}` }),
      );
      section.append(buildPipelineForm(entry, (action, payload, forced) => this.#request(robot, action, payload, forced)));
    }
    section.append(result, error);
    robot.view.list.append(section);
    robot.view.pipelines.set(name, { section, state, error, result });
  }

  #updatePipeline(robot, name, answer) {
    const view = robot.view?.pipelines.get(name);
    if (!view) return;
    const st = this.#states.get(stateKey(robot.channel, name));
    const state = st?.state ?? 'unknown';
    view.state.textContent = state;
    view.state.dataset.state = state;
    view.section.dataset.state = state;
    view.error.textContent = st?.error ? `last error: ${st.error}` : '';
    if (answer) {
      const { action, forced, payload } = answer;
      const failed = payload.state === 'failed';
      view.result.textContent = failed
        ? `${action}${forced ? ' (sent anyway)' : ''} refused by the robot: ${payload.error ?? 'no reason given'}`
        : `${action}: ${payload.state}`;
      view.result.dataset.kind = failed ? 'refused-by-robot' : 'answered';
    }
  }
}
