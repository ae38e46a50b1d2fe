import { json, money } from './api.js';

export async function showUsage() {
  const target = document.getElementById('usage');
  target.textContent = 'Loading…';
  try {
    const usage = await json('/v1/usage');
    const rows = usage.data.map((row) => `<tr><td>${row.date}</td><td>${escape(row.model)}</td><td>${row.jobs}</td>
      <td>${row.succeeded}</td><td>${money(row.spent_usd)}</td></tr>`).join('');
    const budgets = usage.budgets.map((b) => `<p><strong>${escape(b.team)}</strong>:
      today ${money(b.daily_committed_usd)} of ${b.daily_limit_usd == null ? 'unlimited' : money(b.daily_limit_usd)},
      this month ${money(b.monthly_committed_usd)} of
      ${b.monthly_limit_usd == null ? 'unlimited' : money(b.monthly_limit_usd)}
      (${b.monthly_limit_usd == null ? 'no limit' : money(b.monthly_limit_usd - b.monthly_committed_usd) + ' left'}).</p>`)
      .join('');
    target.innerHTML = `<p>Spent from ${usage.from} to ${usage.to}: <strong>${money(usage.total_usd)}</strong></p>
      ${budgets}
      <table><thead><tr><th>Day</th><th>Model</th><th>Jobs</th><th>Succeeded</th><th>Spent</th></tr></thead>
      <tbody>${rows || '<tr><td colspan="5">No jobs settled yet.</td></tr>'}</tbody></table>`;
  } catch (e) {
    target.textContent = `Could not load usage: ${e.message}`;
  }
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
