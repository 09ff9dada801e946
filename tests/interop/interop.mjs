// realtime-gateway
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// interop.mjs: one official @supabase/realtime-js client, driven line by line
// by run-interop.sh, so the local realtime test server and the C client are
// checked against the real thing.
//
//   node interop.mjs --url http://127.0.0.1:PORT --api-key-file FILE
//                    --channel NAME [--vsn 2.0.0|1.0.0] [--ack]
//
// stdout, one JSON object per line (flushed as written):
//   {"type":"status","status":"SUBSCRIBED"}          and every other status
//   {"type":"broadcast","event":E,"payload":P}       each broadcast received
//   {"type":"sent","event":E,"result":"ok"}          the result of a send
//   {"type":"error","message":M}                     anything unexpected
// stdin, one JSON command per line:
//   {"cmd":"send","event":E,"payload":P}
//   {"cmd":"quit"}
// The API key is read from a file and never printed.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { RealtimeClient } from '@supabase/realtime-js';
import WebSocket from 'ws';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    'api-key-file': { type: 'string' },
    channel: { type: 'string', default: 'robot-1' },
    vsn: { type: 'string', default: '2.0.0' },
    ack: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '10000' },
  },
});

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(message) {
  emit({ type: 'error', message });
  process.exit(1);
}

if (!opts.url || !opts['api-key-file']) {
  fail('usage: interop.mjs --url URL --api-key-file FILE [--channel NAME] [--vsn V] [--ack]');
}

const apikey = readFileSync(opts['api-key-file'], 'utf8').trim();

// What supabase-js does with a project URL: <url>/realtime/v1 with http
// turned into ws; phoenix.js appends /websocket, the params and vsn.
const endpoint = new URL('realtime/v1', opts.url.replace(/\/*$/, '/'));
endpoint.protocol = endpoint.protocol.replace(/^http/, 'ws');

const client = new RealtimeClient(endpoint.toString().replace(/\/$/, ''), {
  transport: WebSocket, // Node 20 has no global WebSocket
  params: { apikey },
  vsn: opts.vsn,
  timeout: Number(opts.timeout),
});

const channel = client.channel(opts.channel, {
  config: { broadcast: { self: false, ack: opts.ack } },
});

channel.on('broadcast', { event: '*' }, (msg) => {
  emit({ type: 'broadcast', event: msg.event, payload: msg.payload ?? null });
});

channel.subscribe((status, err) => {
  // err may quote the server's reason; it never holds the key.
  emit({ type: 'status', status, ...(err ? { reason: String(err.message ?? err) } : {}) });
});

async function quit(code) {
  try {
    await client.removeAllChannels();
    await client.disconnect();
  } catch {
    // exiting anyway
  }
  process.exit(code);
}

const rl = createInterface({ input: process.stdin, terminal: false });
rl.on('line', async (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    emit({ type: 'error', message: 'bad command line' });
    return;
  }
  if (cmd.cmd === 'send') {
    const result = await channel.send({
      type: 'broadcast',
      event: cmd.event,
      payload: cmd.payload ?? {},
    });
    emit({ type: 'sent', event: cmd.event, result });
  } else if (cmd.cmd === 'quit') {
    await quit(0);
  } else {
    emit({ type: 'error', message: `unknown command ${cmd.cmd}` });
  }
});
rl.on('close', () => quit(0));

process.on('SIGTERM', () => quit(0));
process.on('SIGINT', () => quit(0));
