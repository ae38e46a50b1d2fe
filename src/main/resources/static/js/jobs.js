import { json, imageUrl, money, seconds, request } from './api.js';

const list = document.getElementById('jobs-list');
const more = document.getElementById('jobs-more');
const statusFilter = document.getElementById('jobs-status');
let cursor = null;

export async function showJobs() {
  list.innerHTML = '';
  cursor = null;
  await loadPage();
}

async function loadPage() {
  const error = document.getElementById('jobs-error');
  error.textContent = '';
  const query = new URLSearchParams({ limit: '20' });
  if (statusFilter.value) query.set('status', statusFilter.value);
  if (cursor) query.set('after', cursor);
  try {
    const page = await json(`/v1/jobs?${query}`);
    for (const job of page.data) list.append(item(job));
    cursor = page.next_cursor || page.last_id || page.data.at(-1)?.id || null;
    more.hidden = !page.has_more;
  } catch (e) {
    error.textContent = `Could not load jobs: ${e.message}`;
  }
}

function item(job) {
  const li = document.createElement('li');
  li.className = 'card';
  li.dataset.jobId = job.id;
  let thumb;
  if (job.status === 'succeeded') {
    thumb = document.createElement('img');
    thumb.className = 'thumb';
    thumb.alt = `Result of ${job.id}`;
    imageUrl(`/v1/jobs/${encodeURIComponent(job.id)}/content`).then((url) => { thumb.src = url; })
      .catch(() => { thumb.alt = 'Result not available'; });
  } else {
    // No image to show: a labelled placeholder rather than a broken picture.
    thumb = document.createElement('div');
    thumb.className = 'thumb placeholder';
    thumb.textContent = job.status.replace('_', ' ');
  }
  const text = document.createElement('div');
  const link = document.createElement('a');
  link.href = `#/jobs/${encodeURIComponent(job.id)}`;
  link.textContent = job.id;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const metadata = Object.entries(job.metadata || {}).map(([k, v]) => `${k}=${v}`).join(', ');
  meta.textContent = `${new Date(job.created_at * 1000).toLocaleString()} · ${job.model}`
    + ` · ${seconds(job.timings?.total_seconds)} · ${money(job.cost_usd)}${metadata ? ` · ${metadata}` : ''}`;
  text.append(link, meta);
  const status = document.createElement('span');
  status.className = `status ${job.status}`;
  status.textContent = job.status.replace('_', ' ');
  li.append(thumb, text, status);
  return li;
}

more.addEventListener('click', loadPage);
statusFilter.addEventListener('change', showJobs);

export async function showJob(id) {
  const target = document.getElementById('job-detail');
  target.textContent = 'Loading…';
  try {
    const job = await json(`/v1/jobs/${encodeURIComponent(id)}`);
    const t = job.timings || {};
    const rows = [['Status', job.status], ['Model', job.model], ['Queued', t.queued_at],
      ['Submitted upstream', t.submitted_at], ['Finished', t.finished_at], ['Queue wait', seconds(t.queue_seconds)],
      ['Run time', seconds(t.run_seconds)], ['Cost', money(job.cost_usd)]];
    if (job.error) rows.push(['Error', `${job.error.message} (${job.error.code})`]);
    const dl = document.createElement('dl');
    dl.className = 'timeline';
    for (const [name, value] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value ?? '–';
      dl.append(dt, dd);
    }
    target.replaceChildren(dl);
    if (job.status === 'succeeded') {
      const img = document.createElement('img');
      img.alt = `Result of ${job.id}`;
      img.style.maxWidth = '100%';
      img.src = await imageUrl(`/v1/jobs/${encodeURIComponent(job.id)}/content`);
      target.append(img);
    }
    await deliveries(job.id, target);
  } catch (e) {
    target.textContent = `Could not load the job: ${e.message}`;
  }
}

/** The job's webhook deliveries, where the service keeps a delivery log. */
async function deliveries(id, target) {
  let page;
  try {
    page = await (await request(`/v1/webhooks/deliveries?job_id=${encodeURIComponent(id)}`)).json();
  } catch {
    return;
  }
  const heading = document.createElement('h2');
  heading.textContent = 'Webhook deliveries';
  const rows = (page.data || []).map((d) => {
    const tr = document.createElement('tr');
    for (const value of [d.event_type || d.type, d.url, d.status, d.attempts, d.last_status_code]) {
      const td = document.createElement('td');
      td.textContent = value ?? '–';
      tr.append(td);
    }
    return tr;
  });
  const table = document.createElement('table');
  table.innerHTML = '<thead><tr><th>Event</th><th>URL</th><th>State</th><th>Attempts</th><th>Last code</th>'
    + '</tr></thead>';
  const body = document.createElement('tbody');
  body.append(...rows);
  table.append(body);
  target.append(heading, rows.length ? table : document.createTextNode('None.'));
}
