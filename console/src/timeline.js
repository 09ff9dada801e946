// The timeline: every pipeline_state and session state received, newest
// first, with the requests this page sent among them.
const MAX_ENTRIES = 500;

export class Timeline {
  #list;

  constructor(list) {
    this.#list = list;
  }

  // @entry: {kind: 'state'|'session'|'sent'|'note', channel, pipeline,
  // state, request_id, error, robots}
  add(entry) {
    const li = document.createElement('li');
    li.className = `entry ${entry.kind}`;
    if (entry.state) li.dataset.state = entry.state;
    if (entry.pipeline) li.dataset.pipeline = entry.pipeline;
    if (entry.channel) li.dataset.channel = entry.channel;
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString([], { hour12: false }) + `.${String(now.getMilliseconds()).padStart(3, '0')}`;
    const text = document.createElement('span');
    const parts = [];
    if (entry.channel) parts.push(entry.channel);
    if (entry.robots?.length) parts.push(entry.robots.join(', '));
    if (entry.pipeline) parts.push(entry.pipeline);
    if (entry.kind === 'sent') parts.push(`→ ${entry.action}`);
    if (entry.state) parts.push(entry.state);
    if (entry.request_id) parts.push(`(${entry.request_id})`);
    if (entry.error) parts.push(`: ${entry.error}`);
    if (entry.text) parts.push(entry.text);
    text.textContent = parts.join(' ');
    li.append(time, ' ', text);
    this.#list.prepend(li);
    while (this.#list.children.length > MAX_ENTRIES) this.#list.lastElementChild.remove();
  }
}
