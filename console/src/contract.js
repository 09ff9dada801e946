// The event contract the console speaks (docs/CONTRACT.md): the default
// event names, request ids, and the checks a form makes before sending,
// which are the robot's own rules as its catalog declares them.

export const EVENTS = Object.freeze({
  start: 'start',
  stop: 'stop',
  renew: 'renew',
  status: 'status',
  describe: 'describe',
  reply: 'pipeline_state',
  catalog: 'catalog',
});

// The contract's own bound for ttl (request.h GATEWAY_TTL_MAX_S).
export const TTL_MAX_S = 86400;
// A start always carries a lease, so a closed page never leaves a robot
// streaming: the pipeline's default-ttl, else this (within max-ttl).
export const CONSOLE_TTL_S = 60;

let counter = 0;
const session = Math.random().toString(36).slice(2, 8);

// A request_id unique to this page: 1..128 printable ASCII characters.
export function newRequestId(kind) {
  counter += 1;
  return `console-${session}-${kind}-${counter}`;
}

// The ttl a start of @pipeline carries when the form leaves it empty.
export function defaultTtl(pipeline) {
  const lease = pipeline.lease ?? {};
  const max = lease.max_ttl ?? TTL_MAX_S;
  return Math.min(lease.default_ttl ?? CONSOLE_TTL_S, max);
}

// Checks @value (the form's text) against @param (a catalog param):
// returns [ok, value-to-send or reason]. The robot checks the same again;
// this only spares a round trip and says why at once.
export function checkParam(param, text) {
  switch (param.type) {
    case 'int':
    case 'uint':
    case 'double': {
      if (text.trim() === '') return [false, 'a number is needed'];
      const n = Number(text);
      if (!Number.isFinite(n)) return [false, `${text} is not a number`];
      if (param.type !== 'double' && !Number.isInteger(n)) return [false, `${text} is not an integer`];
      if (param.min !== null && param.min !== undefined && n < param.min) return [false, `${n} is below ${param.min}`];
      if (param.max !== null && param.max !== undefined && n > param.max) return [false, `${n} is above ${param.max}`];
      if (param.type === 'uint' && n < 0) return [false, `${n} is negative`];
      return [true, n];
    }
    case 'boolean':
      return [true, text === 'true'];
    case 'enum':
      return (param.values ?? []).includes(text) ? [true, text] : [false, `${text} is not one of the choices`];
    case 'string':
    case 'host': {
      const max = param.max_length ?? 256;
      if (new TextEncoder().encode(text).length > max) return [false, `longer than ${max} bytes`];
      if (param.pattern) {
        let re;
        try {
          re = new RegExp(`^(?:${param.pattern})$`, 'u');
        } catch {
          return [true, text]; // a pattern JavaScript cannot read: the robot checks
        }
        if (!re.test(text)) return [false, `does not match ${param.pattern}`];
      }
      if (param.type === 'host' && !/^[A-Za-z0-9.:-]+$/.test(text)) return [false, 'not an IP address or host name'];
      return [true, text];
    }
    default:
      return [true, text];
  }
}

// The value sent as is, typed as well as the text allows, for a forced
// send: the robot's answer is the point.
export function rawParam(param, text) {
  if (['int', 'uint', 'double'].includes(param.type)) {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (param.type === 'boolean') return text === 'true';
  return text;
}
