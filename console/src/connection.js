// The connection: one official RealtimeClient, one channel per name, each
// joined with presence (to see robots) and broadcast (requests out,
// answers in). Everything received is handed on as events of this
// EventTarget: 'broadcast', 'presence', 'channel-status', 'status'.
import { RealtimeClient } from '../vendor/realtime-js.js';

// What supabase-js does with a project URL: <url>/realtime/v1, http(s)
// turned into ws(s); the client appends /websocket, the key and vsn.
export function realtimeEndpoint(projectUrl) {
  const url = new URL('realtime/v1', projectUrl.replace(/\/*$/, '/'));
  url.protocol = url.protocol.replace(/^http/, 'ws');
  return url.toString().replace(/\/$/, '');
}

export class Connection extends EventTarget {
  #client = null;
  #channels = new Map(); // name -> RealtimeChannel

  get connected() {
    return this.#client !== null;
  }

  // Joins @channels on the project at @url with @key (and @token, a user
  // JWT, for private channels and RLS).
  connect({ url, key, token, channels, isPrivate }) {
    this.disconnect();
    this.#client = new RealtimeClient(realtimeEndpoint(url), {
      params: { apikey: key },
    });
    if (token) this.#client.setAuth(token);
    for (const name of channels) {
      const channel = this.#client.channel(name, {
        config: {
          broadcast: { self: false, ack: false },
          presence: { key: '' },
          private: Boolean(isPrivate),
        },
      });
      channel.on('broadcast', { event: '*' }, (msg) => {
        this.#emit('broadcast', { channel: name, event: msg.event, payload: msg.payload ?? null });
      });
      channel.on('presence', { event: 'sync' }, () => {
        this.#emit('presence', { channel: name, state: channel.presenceState() });
      });
      channel.subscribe((status, err) => {
        this.#emit('channel-status', {
          channel: name,
          status,
          reason: err ? String(err.message ?? err) : null,
        });
      });
      this.#channels.set(name, channel);
    }
  }

  // Sends one broadcast @event with @payload on channel @name; resolves to
  // realtime-js's answer ('ok' means queued, not delivered).
  async send(name, event, payload) {
    const channel = this.#channels.get(name);
    if (!channel) throw new Error(`not joined to ${name}`);
    return channel.send({ type: 'broadcast', event, payload });
  }

  channelNames() {
    return [...this.#channels.keys()];
  }

  disconnect() {
    if (!this.#client) return;
    const client = this.#client;
    this.#client = null;
    this.#channels.clear();
    client.removeAllChannels().finally(() => client.disconnect());
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
