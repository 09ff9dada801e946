// realtime-gateway
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// js-listener.mjs: the comparison for bench/run, what a user would otherwise
// write: the official @supabase/realtime-js client (Node, `ws` transport)
// joined on a channel that
//   - prints every broadcast as one line {"event":E,"payload":P} on stdout,
//     as `realtime-gateway listen` does, and
//   - with --pipelines FILE (JSON {name: "gst-launch description"}), spawns
//     `gst-launch-1.0 -e DESCRIPTION` on each `start` for that name and sends
//     it SIGINT on `stop` (-e: EOS first, so files would be finalised),
//     answering with `pipeline_state` broadcasts like the gateway: "playing"
//     when the child prints "Setting pipeline to PLAYING", "stopped" when
//     it has exited. "{port}" in a description is replaced by
//     params.port (an integer) of the start.
//
//   node js-listener.mjs --url http://127.0.0.1:PORT --api-key-file FILE
//        --channel NAME [--vsn 2.0.0] [--pipelines FILE] [--quiet]
//        [--heartbeat-interval MS]
//
// stderr, one line each, for the harness to time: "status S" for every
// subscribe status (SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT, CLOSED) and
// "heartbeat S" for every heartbeat status but "sent" (ok, timeout, error).
// Children inherit the environment (bench/run sets GST_REGISTRY for the
// "no registry cache" variant). Every realtime-js option is left at its
// default unless given here.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { RealtimeClient } from '@supabase/realtime-js';
import WebSocket from 'ws';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    'api-key-file': { type: 'string' },
    channel: { type: 'string' },
    vsn: { type: 'string', default: '2.0.0' },
    pipelines: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    'heartbeat-interval': { type: 'string' },
  },
});

if (!opts.url || !opts['api-key-file'] || !opts.channel) {
  process.stderr.write('usage: js-listener.mjs --url URL --api-key-file FILE --channel NAME\n');
  process.exit(2);
}

const apikey = readFileSync(opts['api-key-file'], 'utf8').trim();
const pipelines = opts.pipelines ? JSON.parse(readFileSync(opts.pipelines, 'utf8')) : {};

// What supabase-js does with a project URL.
const endpoint = new URL('realtime/v1', opts.url.replace(/\/*$/, '/'));
endpoint.protocol = endpoint.protocol.replace(/^http/, 'ws');

const options = {
  transport: WebSocket, // Node 20 has no global WebSocket
  params: { apikey },
  vsn: opts.vsn,
  heartbeatCallback: (status) => {
    if (status !== 'sent') process.stderr.write(`heartbeat ${status}\n`);
  },
};
if (opts['heartbeat-interval']) options.heartbeatIntervalMs = Number(opts['heartbeat-interval']);

const client = new RealtimeClient(endpoint.toString().replace(/\/$/, ''), options);
const channel = client.channel(opts.channel, { config: { broadcast: { self: false } } });

function reply(pipeline, state, requestId, error = null) {
  channel.send({
    type: 'broadcast',
    event: 'pipeline_state',
    payload: { pipeline, state, request_id: requestId ?? null, error },
  });
}

const children = new Map(); // pipeline name -> { child, playing }

function start(payload) {
  const name = payload?.pipeline;
  const requestId = payload?.request_id;
  const template = pipelines[name];
  if (template === undefined) return reply(name ?? null, 'failed', requestId, 'unknown pipeline');
  const running = children.get(name);
  if (running) return reply(name, running.playing ? 'playing' : 'starting', requestId);
  let description = template;
  if (description.includes('{port}')) {
    const port = Number(payload?.params?.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return reply(name, 'failed', requestId, 'bad port');
    description = description.replaceAll('{port}', String(port));
  }
  const child = spawn('gst-launch-1.0', ['-e', ...description.split(/\s+/).filter(Boolean)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { child, playing: false, requestId };
  children.set(name, entry);
  reply(name, 'starting', requestId);
  let buf = '';
  child.stdout.on('data', (chunk) => {
    if (entry.playing) return;
    buf += chunk;
    if (buf.includes('Setting pipeline to PLAYING')) {
      entry.playing = true;
      buf = '';
      reply(name, 'playing', entry.requestId);
    }
  });
  child.stderr.on('data', () => {});
  child.on('exit', (code, signal) => {
    children.delete(name);
    const clean = code === 0 || signal === 'SIGINT';
    reply(name, clean ? 'stopped' : 'failed', entry.stopRequestId ?? entry.requestId,
      clean ? null : `gst-launch-1.0 exited with ${code ?? signal}`);
  });
}

function stop(payload) {
  const name = payload?.pipeline;
  const entry = children.get(name);
  if (!entry) return reply(name ?? null, 'stopped', payload?.request_id);
  entry.stopRequestId = payload?.request_id;
  reply(name, 'stopping', payload?.request_id);
  entry.child.kill('SIGINT');
}

channel.on('broadcast', { event: '*' }, (msg) => {
  if (!opts.quiet)
    process.stdout.write(JSON.stringify({ event: msg.event, payload: msg.payload ?? null }) + '\n');
  if (msg.event === 'start') start(msg.payload);
  else if (msg.event === 'stop') stop(msg.payload);
});

channel.subscribe((status) => {
  process.stderr.write(`status ${status}\n`);
});

let quitting = false;
async function quit() {
  if (quitting) return;
  quitting = true;
  for (const { child } of children.values()) child.kill('SIGINT');
  try {
    await client.removeAllChannels();
    await client.disconnect();
  } catch {
    // exiting anyway
  }
  process.exit(0);
}
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
