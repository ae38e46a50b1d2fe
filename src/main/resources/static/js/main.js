import { session, json, ApiError } from './api.js';
import { showPlayground } from './playground.js';
import { showJobs, showJob } from './jobs.js';
import { showUsage } from './usage.js';

const views = ['signin', 'playground', 'jobs', 'job', 'usage'];

function show(name) {
  for (const view of views) document.getElementById(`view-${view}`).hidden = view !== name;
  document.getElementById('nav').hidden = name === 'signin';
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === `#/${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function route() {
  if (!session.key) {
    show('signin');
    document.getElementById('signin-key').focus();
    return;
  }
  const [, page, id] = (location.hash || '#/playground').split('/');
  if (page === 'jobs' && id) { show('job'); await showJob(decodeURIComponent(id)); }
  else if (page === 'jobs') { show('jobs'); await showJobs(); }
  else if (page === 'usage') { show('usage'); await showUsage(); }
  else { show('playground'); await showPlayground(); }
}

/** Checks a key against the API before keeping it. */
async function signIn(key) {
  const usage = await json('/v1/usage', { key });
  session.key = key;
  // A team sees its own budget only; an admin sees every team's.
  const team = usage.budgets?.length === 1 ? usage.budgets[0].team : 'admin';
  sessionStorage.setItem('image-edit-proxy.team', team);
}

document.getElementById('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.getElementById('signin-key');
  const error = document.getElementById('signin-key-error');
  error.textContent = '';
  try {
    await signIn(input.value.trim());
    input.value = '';
    renderTeam();
    location.hash = '#/playground';
    await route();
  } catch (e) {
    error.textContent = e instanceof ApiError && e.status === 401
      ? 'That key is not valid.' : `Could not sign in: ${e.message}`;
  }
});

document.getElementById('sign-out').addEventListener('click', () => {
  session.clear();
  sessionStorage.removeItem('image-edit-proxy.team');
  location.hash = '';
  route();
});

function renderTeam() {
  document.getElementById('team-name').textContent = sessionStorage.getItem('image-edit-proxy.team') || '';
}

window.addEventListener('hashchange', route);
renderTeam();
route();
