// List Customer: search, newest first, more pages on demand, and each row's actions.
import { api, query } from '../api.js';
import { h, clear, icon, icons } from '../dom.js';
import { formatDate } from '../format.js';
import { can, flash, go } from '../app.js';
import { confirmDialog } from '../confirm.js';
import { startExport } from './export.js';

const pageSize = 25;

export async function customersPage() {
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'load-more', class: 'secondary more', hidden: true }, 'Load more');
  const notice = h('div', { id: 'page-notice' });
  const exportRegion = h('div', { id: 'export-status', role: 'status', 'aria-live': 'polite', hidden: true });
  const search = h('input', { id: 'customer-search', type: 'search', placeholder: 'Search by Customer, Address', autocomplete: 'off' });
  let cursor = null;
  let q = '';
  let loading = 0;

  const load = async (reset) => {
    const mine = ++loading;
    const res = await api('GET', '/v1/customers' + query({ q, limit: pageSize, cursor: reset ? '' : cursor }));
    if (mine !== loading) return; // a newer search answered first
    if (reset) clear(tbody);
    for (const c of res.data.items) tbody.append(row(c));
    if (reset && res.data.items.length === 0) {
      tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, q ? `No customer matches "${q}".` : 'No customers yet.')));
    }
    cursor = res.data.next_cursor;
    more.hidden = !cursor;
  };

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

  let timer = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      q = search.value.trim();
      load(true).catch(showError);
    }, 250);
  });
  more.addEventListener('click', async () => {
    more.disabled = true;
    try { await load(false); } catch (err) { showError(err); } finally { more.disabled = false; }
  });
  const showError = (err) => clear(notice).append(h('p', { class: 'alert error', role: 'alert' }, err.message));

  await load(true);
  return h('div', {},
    h('h1', {}, 'List Customer'),
    h('div', { class: 'toolbar' },
      h('div', { class: 'search' }, h('label', { for: 'customer-search' }, 'Search by Customer, Address'), search),
      can('Customer Add') ? h('a', { class: 'button', id: 'add-customer', href: '#/customers/new' }, '+Add') : null),
    notice, exportRegion,
    h('table', { class: 'responsive', id: 'customers' },
      h('thead', {}, h('tr', {}, ['Customer', 'Address', 'Parent Customer', 'Created At', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody),
    more);
}
