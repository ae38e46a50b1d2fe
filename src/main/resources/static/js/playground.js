import { request, json, imageUrl, follow, ApiError, money, seconds } from './api.js';

const form = document.getElementById('edit-form');
const fileInput = document.getElementById('f-image');
const dropZone = document.getElementById('drop-zone');
const preview = document.getElementById('input-preview');
const statusLine = document.getElementById('run-status');
let chosen = null;
let models = null;
let running = null;

export async function showPlayground() {
  if (!models) {
    try {
      models = (await json('/v1/models')).data.filter((m) => m.kind === 'edit');
      const select = document.getElementById('f-model');
      select.innerHTML = '';
      for (const model of models) {
        const option = new Option(`${model.id} (${money(model.price_usd)} per image)`, model.id);
        option.selected = model.is_default;
        select.append(option);
      }
      applyBounds();
    } catch (e) {
      fieldError('model', `Could not load the models: ${e.message}`);
    }
  }
  renderCurl();
}

function applyBounds() {
  const model = models.find((m) => m.id === document.getElementById('f-model').value);
  if (!model) return;
  const b = model.bounds;
  setRange('f-seed', b.min_seed, b.max_seed);
  setRange('f-cfg', b.min_cfg, b.max_cfg);
  setRange('f-steps', b.min_steps, b.max_steps);
  document.getElementById('f-size').placeholder = `e.g. 1024x1024 (sides ${b.min_side}–${b.max_side})`;
}

function setRange(id, min, max) {
  const input = document.getElementById(id);
  input.min = min;
  input.max = max;
  input.placeholder = `${min}–${max}`;
}

function choose(file) {
  chosen = file;
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  document.getElementById('drop-hint').textContent = file.name;
  fieldError('image', '');
  renderCurl();
}

fileInput.addEventListener('change', () => fileInput.files[0] && choose(fileInput.files[0]));
dropZone.addEventListener('dragover', (e) => { e.preventDefault(); dropZone.classList.add('over'); });
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
dropZone.addEventListener('drop', (e) => {
  e.preventDefault();
  dropZone.classList.remove('over');
  if (e.dataTransfer.files[0]) choose(e.dataTransfer.files[0]);
});
dropZone.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); fileInput.click(); }
});
document.getElementById('f-model').addEventListener('change', () => { applyBounds(); renderCurl(); });
form.addEventListener('input', renderCurl);

function fieldError(field, message) {
  const target = form.querySelector(`.field-error[data-field="${field}"]`)
    || form.querySelector('.field-error[data-field="form"]');
  target.textContent = message;
}

function clearErrors() {
  for (const element of form.querySelectorAll('.field-error')) element.textContent = '';
}

function formData() {
  const data = new FormData();
  data.append('model', document.getElementById('f-model').value);
  data.append('prompt', document.getElementById('f-prompt').value);
  for (const [id, name] of [['f-size', 'size'], ['f-seed', 'seed'], ['f-cfg', 'cfg'],
    ['f-steps', 'num_inference_steps']]) {
    const value = document.getElementById(id).value.trim();
    if (value) data.append(name, value);
  }
  if (chosen) data.append('image', chosen, chosen.name);
  return data;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  if (!chosen) { fieldError('image', 'Choose an image to edit.'); return; }
  if (!document.getElementById('f-prompt').value.trim()) { fieldError('prompt', 'Describe the edit.'); return; }
  running?.abort();
  running = new AbortController();
  const button = document.getElementById('submit-edit');
  button.disabled = true;
  try {
    const job = await (await request('/v1/images/edits?async=true', { method: 'POST', body: formData() })).json();
    await watch(job, running.signal);
  } catch (e) {
    if (e instanceof ApiError) fieldError(e.field || 'form', e.message);
    else if (e.name !== 'AbortError') fieldError('form', `Something went wrong: ${e.message}`);
  } finally {
    button.disabled = false;
  }
});

async function watch(job, signal) {
  const started = Date.now();
  let current = job;
  const render = () => {
    statusLine.className = `status ${current.status}`;
    statusLine.textContent = `${current.status.replace('_', ' ')} · ${((Date.now() - started) / 1000).toFixed(0)} s`
      + ` · ${current.id}`;
    statusLine.dataset.status = current.status;
    statusLine.dataset.jobId = current.id;
  };
  render();
  const ticker = setInterval(render, 1000);
  document.getElementById('compare').hidden = true;
  document.getElementById('compare-controls').hidden = true;
  try {
    current = await follow(job.id, (update) => { current = update; render(); }, signal);
  } finally {
    clearInterval(ticker);
  }
  render();
  if (current.status === 'succeeded') {
    await showResult(current);
  } else if (current.error) {
    statusLine.textContent += ` — ${current.error.message} (${current.error.code})`;
  }
}

async function showResult(job) {
  const url = await imageUrl(`/v1/jobs/${encodeURIComponent(job.id)}/content`);
  document.getElementById('compare-before').src = preview.src;
  const after = document.getElementById('compare-after');
  after.src = url;
  const download = document.getElementById('download');
  download.href = url;
  download.download = `${job.id}.png`;
  document.getElementById('compare').hidden = false;
  document.getElementById('compare-controls').hidden = false;
  statusLine.textContent += ` · ${seconds(job.timings?.total_seconds)} · ${money(job.cost_usd)}`;
  syncCompare();
}

function syncCompare() {
  const value = document.getElementById('compare-slider').value;
  document.getElementById('compare-after-clip').style.width = `${value}%`;
  const before = document.getElementById('compare-before');
  document.getElementById('compare-after').style.width = `${before.clientWidth}px`;
}

document.getElementById('compare-slider').addEventListener('input', syncCompare);
document.getElementById('compare-before').addEventListener('load', syncCompare);

function renderCurl() {
  const parts = [`curl -s -X POST "${location.origin}/v1/images/edits?async=true"`,
    '  -H "Authorization: Bearer $TEAM_KEY"'];
  for (const [name, value] of formData().entries()) {
    if (name === 'image') parts.push(`  -F "image=@${value.name}"`);
    else parts.push(`  -F "${name}=${String(value).replace(/(["\\$`])/g, '\\$1')}"`);
  }
  document.getElementById('curl').textContent = parts.join(' \\\n');
}

document.getElementById('copy-curl').addEventListener('click', async () => {
  await navigator.clipboard?.writeText(document.getElementById('curl').textContent);
});
