// List Customer: search, newest first, more pages on demand, and each row's actions.
import { api, query } from '../api.js';
import { pagedTable, debounce } from './list.js';
import { h, clear, icon, icons } from '../dom.js';
import { formatDate } from '../format.js';
import { can, flash, go } from '../app.js';
import { confirmDialog } from '../confirm.js';
import { startExport } from './export.js';

const pageSize = 25;

export async function customersPage() {
  const notice = h('div', { id: 'page-notice' });
  const exportRegion = h('div', { id: 'export-status', role: 'status', 'aria-live': 'polite', hidden: true });
  const search = h('input', { id: 'customer-search', type: 'search', placeholder: 'Search by Customer, Address', autocomplete: 'off' });

  const row = (c) => {
    const label = (verb) => `${verb} ${c.name}`;
    const actions = h('div', { class: 'icons' });
    if (can('Customer View')) {
      actions.append(h('button', { type: 'button', class: 'icon', 'aria-label': label('View'), title: 'View', onclick: () => go(`#/customers/${c.id}`) }, icon(icons.view)));
    }
    if (can('Customer Edit')) {
      actions.append(h('button', { type: 'button', class: 'icon', 'aria-label': label('Edit'), title: 'Edit', onclick: () => go(`#/customers/${c.id}/edit`) }, icon(icons.edit)));
    }
    if (can('Download Report View')) {
      actions.append(h('button', {
        type: 'button', class: 'icon', 'aria-label': label('Download'), title: 'Download domains (CSV)',
        onclick: async (ev) => {
          const b = ev.currentTarget;
          b.disabled = true;
          try { await startExport(c, exportRegion); } finally { b.disabled = false; }
        },
      }, icon(icons.download)));
    }
    if (can('Customer Delete')) {
      actions.append(h('button', {
        type: 'button', class: 'icon danger', 'aria-label': label('Delete'), title: 'Delete',
        onclick: () => remove(c, tr),
      }, icon(icons.delete)));
    }
    const tr = h('tr', { dataset: { id: c.id } },
      h('td', { 'data-label': 'Customer', class: 'name' }, c.name),
      h('td', { 'data-label': 'Address' }, c.address),
      h('td', { 'data-label': 'Parent Customer' }, c.parent_name || ''),
      h('td', { 'data-label': 'Created At' }, h('time', { datetime: c.created_at }, formatDate(c.created_at))),
      h('td', { class: 'actions', 'data-label': 'Actions' }, actions));
    return tr;
  };

  const remove = async (c, tr) => {
    clear(notice);
    const yes = await confirmDialog('Do you want to delete this customer?',
      `"${c.name}" will be deleted permanently, with its users and domains. This cannot be undone.`);
    if (!yes) return;
    try {
      await api('DELETE', `/v1/customers/${encodeURIComponent(c.id)}`);
      tr.remove();
      flash(`Delete customer "${c.name}" successfully!`);
    } catch (err) {
      notice.append(h('p', { class: 'alert error', role: 'alert', id: 'delete-error' },
        err.status === 409 ? `"${c.name}" cannot be deleted: ${err.message}` : err.message));
    }
  };

  const list = pagedTable({
    id: 'customers', row, columns: ['Customer', 'Address', 'Parent Customer', 'Created At', 'Actions'],
    empty: 'No customer matches.',
  });
  const path = () => (cursor) => '/v1/customers' + query({ q: search.value.trim(), limit: pageSize, cursor });
  search.addEventListener('input', debounce(() => list.reload(path())));
  await list.reload(path());
  return h('div', {},
    h('h1', {}, 'List Customer'),
    h('div', { class: 'toolbar' },
      h('div', { class: 'search' }, h('label', { for: 'customer-search' }, 'Search by Customer, Address'), search),
      can('Customer Add') ? h('a', { class: 'button', id: 'add-customer', href: '#/customers/new' }, '+Add') : null),
    notice, list.notice, exportRegion, list.table, list.more);
}
