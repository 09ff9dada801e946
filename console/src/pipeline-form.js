// A pipeline's start/stop/renew form, built from its catalog entry: a
// select for every enum and boolean, a number input with the declared
// bounds for numbers, a text input with the declared length and pattern
// for strings and hosts, and the lease (ttl) within max-ttl. A bad value
// is caught here (the field says why and nothing is sent); "Send anyway"
// sends what the fields hold, so the robot's own refusal can be seen.
import { checkParam, defaultTtl, rawParam, TTL_MAX_S } from './contract.js';
import { el } from './dom.js';

let formCounter = 0;

function hint(param) {
  const parts = [];
  if (param.description) parts.push(param.description);
  if (param.type === 'int' || param.type === 'uint' || param.type === 'double') {
    const min = param.min ?? (param.type === 'uint' ? 0 : null);
    if (min !== null && param.max !== null && param.max !== undefined) parts.push(`${min} to ${param.max}`);
    else if (min !== null) parts.push(`at least ${min}`);
    else if (param.max !== null && param.max !== undefined) parts.push(`at most ${param.max}`);
  }
  if (param.type === 'string' && param.pattern) parts.push(`matching ${param.pattern}`);
  if (param.type === 'host' && !param.description) parts.push('an IP address or host name');
  return parts.join('; ');
}

// A JavaScript pattern attribute only when the browser can read it (the
// attribute uses the 'v' flag); the check in contract.js covers the rest.
function patternAttribute(pattern) {
  if (!pattern) return null;
  try {
    new RegExp(pattern, 'v'); // eslint-disable-line no-new
    return `(?:${pattern})`;
  } catch {
    return null;
  }
}

function fieldFor(param, id) {
  const name = `param-${param.name}`;
  const def = param.default;
  switch (param.type) {
    case 'enum': {
      const select = el('select', { id, name });
      for (const v of param.values ?? []) select.append(el('option', { value: v, selected: v === def, text: v }));
      return select;
    }
    case 'boolean': {
      const select = el('select', { id, name });
      for (const v of ['true', 'false']) select.append(el('option', { value: v, selected: String(def) === v, text: v }));
      return select;
    }
    case 'int':
    case 'uint':
    case 'double':
      return el('input', {
        id,
        name,
        type: 'number',
        inputmode: param.type === 'double' ? 'decimal' : 'numeric',
        min: param.min ?? (param.type === 'uint' ? 0 : null),
        max: param.max,
        step: param.type === 'double' ? 'any' : '1',
        value: def ?? null,
        required: def === null || def === undefined ? null : true,
      });
    default:
      return el('input', {
        id,
        name,
        type: 'text',
        spellcheck: 'false',
        autocomplete: 'off',
        maxlength: param.max_length,
        pattern: patternAttribute(param.pattern),
        value: def ?? null,
      });
  }
}

// Builds the form of @pipeline; @send(action, payloadWithoutRequestId,
// forced) is called for start, stop and renew.
export function buildPipelineForm(pipeline, send) {
  formCounter += 1;
  const prefix = `f${formCounter}`;
  const form = el('form', { class: 'pipeline-form', novalidate: true, 'aria-label': `${pipeline.name} request` });
  const fields = el('div', { class: 'fields' });
  const inputs = [];

  for (const param of pipeline.params ?? []) {
    const id = `${prefix}-${param.name}`;
    const input = fieldFor(param, id);
    const help = el('small', { id: `${id}-help`, class: 'help', text: hint(param) });
    const problem = el('small', { id: `${id}-problem`, class: 'problem', 'aria-live': 'polite' });
    input.setAttribute('aria-describedby', `${id}-help ${id}-problem`);
    const validate = () => {
      const text = input.value;
      // An optional field left empty is left out of the request.
      if (text === '' && (param.default === null || param.default === undefined)) {
        input.setCustomValidity('');
        problem.textContent = '';
        return;
      }
      const [ok, why] = checkParam(param, text);
      input.setCustomValidity(ok ? '' : why);
      problem.textContent = ok ? '' : why;
      input.toggleAttribute('aria-invalid', !ok);
    };
    input.addEventListener('input', validate);
    input.addEventListener('change', validate);
    inputs.push({ param, input, validate });
    fields.append(el('div', { class: 'field' }, el('label', { for: id, text: param.name }), input, help, problem));
  }

  const ttlId = `${prefix}-ttl`;
  const maxTtl = pipeline.lease?.max_ttl ?? TTL_MAX_S;
  const ttl = el('input', { id: ttlId, name: 'ttl', type: 'number', min: 1, max: maxTtl, step: 1, value: defaultTtl(pipeline), required: true });
  const ttlProblem = el('small', { id: `${ttlId}-problem`, class: 'problem', 'aria-live': 'polite' });
  ttl.setAttribute('aria-describedby', `${ttlId}-help ${ttlId}-problem`);
  const validateTtl = () => {
    const [ok, why] = checkParam({ type: 'uint', min: 1, max: maxTtl }, ttl.value);
    ttl.setCustomValidity(ok ? '' : why);
    ttlProblem.textContent = ok ? '' : why;
    ttl.toggleAttribute('aria-invalid', !ok);
  };
  ttl.addEventListener('input', validateTtl);
  fields.append(
    el(
      'div',
      { class: 'field' },
      el('label', { for: ttlId, text: 'lease (ttl, s)' }),
      ttl,
      el('small', { id: `${ttlId}-help`, class: 'help', text: `1 to ${maxTtl}; renewed while this page is open` }),
      ttlProblem,
    ),
  );
  form.append(fields);

  const collect = (forced) => {
    const params = {};
    for (const { param, input } of inputs) {
      if (input.value === '' && (param.default === null || param.default === undefined)) continue;
      params[param.name] = forced ? rawParam(param, input.value) : checkParam(param, input.value)[1];
    }
    return { pipeline: pipeline.name, params, ttl: forced ? rawParam({ type: 'uint' }, ttl.value) : Number(ttl.value) };
  };

  const start = el('button', { type: 'submit', 'data-action': 'start', text: 'Start' });
  const stop = el('button', { type: 'button', 'data-action': 'stop', text: 'Stop' });
  const renew = el('button', { type: 'button', 'data-action': 'renew', text: 'Renew' });
  const force = el('button', { type: 'button', 'data-action': 'force', class: 'secondary', text: 'Send anyway' });
  const note = el('p', { class: 'form-note', role: 'status' });
  // control "watch" (output=webrtc): the robot refuses start; its viewers'
  // sessions start and stop it, so Watch is the only action. A robot
  // without "control" in its catalog gets every button.
  const watchedOnly = pipeline.control === 'watch';
  const actions = watchedOnly
    ? el('div', { class: 'actions' })
    : el('div', { class: 'actions' }, start, stop, renew, force);
  form.append(actions, note);

  // A WebRTC output: watch it here, with the same params and lease.
  if (watchedOnly || (pipeline.control === undefined && pipeline.outputs?.includes('webrtc'))) {
    const watch = el('button', { type: 'button', 'data-action': 'watch', text: 'Watch' });
    actions.prepend(watch);
    watch.addEventListener('click', () => {
      for (const i of inputs) i.validate();
      validateTtl();
      if (!form.checkValidity()) {
        form.reportValidity();
        note.textContent = 'Not sent: a value is out of bounds (see the field).';
        note.dataset.kind = 'refused-in-form';
        return;
      }
      note.textContent = '';
      send('watch', collect(false), false);
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const i of inputs) i.validate();
    validateTtl();
    if (!form.checkValidity()) {
      form.reportValidity();
      note.textContent = 'Not sent: a value is out of bounds (see the field). "Send anyway" sends it for the robot to judge.';
      note.dataset.kind = 'refused-in-form';
      return;
    }
    note.textContent = '';
    delete note.dataset.kind;
    send('start', collect(false), false);
  });
  force.addEventListener('click', () => {
    note.textContent = '';
    delete note.dataset.kind;
    send('start', collect(true), true);
  });
  stop.addEventListener('click', () => send('stop', { pipeline: pipeline.name }, false));
  renew.addEventListener('click', () => {
    validateTtl();
    if (!ttl.checkValidity()) {
      ttl.reportValidity();
      return;
    }
    send('renew', { pipeline: pipeline.name, ttl: Number(ttl.value) }, false);
  });
  return form;
}
