// Audit Log: Action, Action Type, Performed By User, Created At; newest first, filtered.
import { query } from '../api.js';
import { h } from '../dom.js';
import { formatDate } from '../format.js';
import { pagedTable, debounce } from './list.js';

const day = 24 * 3600 * 1000;

// localInput formats a Date for <input type="datetime-local"> in the browser's time zone.
function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export async function auditPage() {
  const now = new Date();
  const since = h('input', { id: 'audit-since', type: 'datetime-local', value: localInput(new Date(now.getTime() - 7 * day)) });
  // An empty To means "now", taken again at each search, so new actions keep appearing.
  const until = h('input', { id: 'audit-until', type: 'datetime-local', title: 'Empty: now' });
  const text = h('input', { id: 'audit-q', type: 'search', placeholder: 'Action or user', autocomplete: 'off' });
  const actor = h('input', { id: 'audit-actor', type: 'search', placeholder: 'Email of the user', autocomplete: 'off' });
  const type = h('select', { id: 'audit-type' }, h('option', { value: '' }, 'All'),
    ['Add', 'Edit', 'Delete', 'Download'].map((t) => h('option', { value: t }, t)));
  const list = pagedTable({
    id: 'audit',
    columns: ['Action', 'Action Type', 'Performed By User', 'Created At'],
    empty: 'No action in this period matches.',
    row: (e) => [e.action, e.action_type, e.actor_email || (e.actor_type === 'system' ? 'System' : e.actor_type), h('time', { datetime: e.time }, formatDate(e.time))],
  });
  const iso = (input) => (input.value ? new Date(input.value).toISOString() : '');
  const path = () => {
    const to = iso(until) || new Date(Date.now() + 60_000).toISOString();
    const filters = { since: iso(since), until: to, q: text.value.trim(), actor: actor.value.trim(), action_type: type.value, limit: 25 };
    return (cursor) => '/v1/audit' + query({ ...filters, cursor });
  };
  const reload = debounce(() => list.reload(path()));
  for (const el of [since, until, type]) el.addEventListener('change', reload);
  for (const el of [text, actor]) el.addEventListener('input', reload);
  await list.reload(path());
  const labelled = (label, el) => h('div', {}, h('label', { for: el.id }, label), el);
  return h('div', {},
    h('h1', {}, 'Audit Log'),
    h('div', { class: 'filters', role: 'search' },
      labelled('From', since), labelled('To (empty: now)', until), labelled('Search by action', text),
      labelled('Performed By User', actor), labelled('Action Type', type)),
    list.notice, list.table, list.more);
}
