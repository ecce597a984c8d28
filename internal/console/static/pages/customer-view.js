// View: a customer's details, users, domains, child customers and recent history.
import { api, query } from '../api.js';
import { h } from '../dom.js';
import { formatDate } from '../format.js';
import { can, go } from '../app.js';
import { startExport } from './export.js';

const listLimit = 50;

function table(id, columns, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty', id }, empty);
  return h('table', { class: 'responsive', id },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((v, i) => h('td', { 'data-label': columns[i] }, v))))));
}

const time = (iso) => h('time', { datetime: iso }, formatDate(iso));

function moreNote(next, what) {
  return next ? h('p', { class: 'empty' }, `Showing the first ${listLimit} ${what}.`) : null;
}

export async function customerPage(id) {
  const path = `/v1/customers/${encodeURIComponent(id)}`;
  const { data: c } = await api('GET', path);
  const sections = [];

  if (can('User View')) {
    const { data } = await api('GET', '/v1/users' + query({ customer_id: id, limit: listLimit }));
    sections.push(h('section', { 'aria-labelledby': 'users-h' }, h('h2', { id: 'users-h' }, 'Users'),
      table('customer-users', ['Name', 'Email', 'Role', 'Status', 'Created At'],
        data.items.map((u) => [u.name, u.email, u.role, h('span', { class: u.status === 'ON' ? 'status-on' : 'status-off' }, u.status), time(u.created_at)]),
        'No users.'), moreNote(data.next_cursor, 'users')));
  }
  if (can('Domain View')) {
    const { data } = await api('GET', `${path}/domains` + query({ limit: listLimit }));
    sections.push(h('section', { 'aria-labelledby': 'domains-h' }, h('h2', { id: 'domains-h' }, 'Domains'),
      table('customer-domains', ['Host'], data.items.map((d) => [d.host]), 'No domains.'), moreNote(data.next_cursor, 'domains')));
  }
  {
    const { data } = await api('GET', '/v1/customers' + query({ parent_id: id, limit: listLimit }));
    sections.push(h('section', { 'aria-labelledby': 'children-h' }, h('h2', { id: 'children-h' }, 'Child customers'),
      table('customer-children', ['Customer', 'Address', 'Created At'],
        data.items.map((k) => [h('a', { href: `#/customers/${k.id}` }, k.name), k.address, time(k.created_at)]),
        'No child customers.'), moreNote(data.next_cursor, 'child customers')));
  }
  if (can('Audit Log View')) {
    const since = new Date(new Date(c.created_at).getTime() - 1000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const { data } = await api('GET', '/v1/audit' + query({ customer_id: id, since, until, limit: 10 }));
    sections.push(h('section', { 'aria-labelledby': 'history-h' }, h('h2', { id: 'history-h' }, 'Recent history'),
      table('customer-history', ['Action', 'Action Type', 'Performed By User', 'Created At'],
        data.items.map((e) => [e.action, e.action_type, e.actor_email || e.actor_type, time(e.time)]), 'No history.'),
      h('p', {}, h('a', { href: '#/audit', id: 'full-audit' }, 'Open the Audit Log'))));
  }

  const exportRegion = h('div', { id: 'export-status', role: 'status', 'aria-live': 'polite', hidden: true });
  const actions = h('div', { class: 'form-actions' });
  if (can('Customer Edit')) actions.append(h('button', { type: 'button', id: 'edit', onclick: () => go(`#/customers/${id}/edit`) }, 'Edit'));
  if (can('Download Report View')) {
    actions.append(h('button', { type: 'button', id: 'download', class: 'secondary', onclick: () => startExport(c, exportRegion) }, 'Download domains (CSV)'));
  }
  return h('div', {},
    h('h1', {}, c.name),
    h('div', { class: 'card' },
      h('dl', { class: 'details', id: 'customer-details' },
        h('dt', {}, 'Customer'), h('dd', {}, c.name),
        h('dt', {}, 'Address'), h('dd', {}, c.address || '—'),
        h('dt', {}, 'Parent Customer'), h('dd', {}, c.parent_id ? h('a', { href: `#/customers/${c.parent_id}` }, c.parent_name || c.parent_id) : '—'),
        h('dt', {}, 'Created At'), h('dd', {}, time(c.created_at)),
        h('dt', {}, 'Updated At'), h('dd', {}, time(c.updated_at))),
      actions, exportRegion),
    sections);
}

