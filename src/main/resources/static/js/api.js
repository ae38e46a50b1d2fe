// Talks to the service's own origin only; the team key travels in the Authorization header, never in a URL.
const KEY = 'image-edit-proxy.key';

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { sessionStorage.setItem(KEY, value); },
  clear() { sessionStorage.removeItem(KEY); },
};

/** A refusal from the API: its problem+json, with the field it names. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.error?.message || `The service answered ${status}`);
    this.status = status;
    this.field = problem.field || problem.error?.param || null;
    this.code = problem.error?.code || null;
  }
}

export async function request(path, { method = 'GET', body, headers = {}, signal, key = session.key } = {}) {
  const response = await fetch(path, {
    method, body, signal, credentials: 'omit',
    headers: { ...headers, ...(key ? { Authorization: `Bearer ${key}` } : {}) },
  });
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* not JSON: the status says enough */ }
    throw new ApiError(response.status, problem);
  }
  return response;
}

export async function json(path, options) {
  return (await request(path, options)).json();
}

/** An object URL for an image the API serves behind the team key. */
export async function imageUrl(path) {
  const response = await request(path);
  return URL.createObjectURL(await response.blob());
}

/**
 * Server-Sent Events over fetch (EventSource cannot send an Authorization header). Yields {event, id, data}.
 */
export async function* events(path, signal) {
  const response = await request(path, { headers: { Accept: 'text/event-stream' }, signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message = { event: 'message', id: null, data: '' };
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') message.event = text;
        else if (field === 'id') message.id = text;
        else if (field === 'data') message.data += (message.data ? '\n' : '') + text;
      }
      if (message.data) yield message;
    }
  }
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

/**
 * Follows a job until it ends: live from its event stream, or by polling its object where the stream is not
 * available. Calls onUpdate(job) for every change.
 */
export async function follow(jobId, onUpdate, signal) {
  try {
    for await (const message of events(`/v1/jobs/${encodeURIComponent(jobId)}/events`, signal)) {
      const job = JSON.parse(message.data);
      onUpdate(job);
      if (TERMINAL.has(job.status)) return job;
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    // No stream (or it broke): fall back to polling below.
  }
  for (;;) {
    const job = await json(`/v1/jobs/${encodeURIComponent(jobId)}`, { signal });
    onUpdate(job);
    if (TERMINAL.has(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export function money(value) {
  return value == null ? '–' : `$${Number(value).toFixed(3)}`;
}

export function seconds(value) {
  return value == null ? '–' : `${Number(value).toFixed(1)} s`;
}
