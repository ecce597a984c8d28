// List User.
import { query } from '../api.js';
import { h, icon, icons } from '../dom.js';
import { formatDate } from '../format.js';
import { can, go } from '../app.js';
import { pagedTable, debounce } from './list.js';

export async function usersPage() {
  const search = h('input', { id: 'user-search', type: 'search', placeholder: 'Search by Name, Email, Customer', autocomplete: 'off' });
  const list = pagedTable({
    id: 'users',
    columns: ['Name', 'Email', 'Created At', 'Role', 'Customer', 'Status', 'Remark', 'Actions'],
    empty: 'No users.',
    row: (u) => [u.name, u.email, h('time', { datetime: u.created_at }, formatDate(u.created_at)), u.role, u.customer_name,
      h('span', { class: u.status === 'ON' ? 'status-on' : 'status-off' }, u.status), u.remark,
      can('Customer View')
        ? h('button', { type: 'button', class: 'icon', 'aria-label': `View the customer of ${u.email}`, title: 'View customer', onclick: () => go(`#/customers/${u.customer_id}`) }, icon(icons.view))
        : ''],
  });
  const path = () => (cursor) => '/v1/users' + query({ q: search.value.trim(), limit: 25, cursor });
  search.addEventListener('input', debounce(() => list.reload(path())));
  await list.reload(path());
  return h('div', {},
    h('h1', {}, 'List User'),
    h('div', { class: 'toolbar' }, h('div', { class: 'search' }, h('label', { for: 'user-search' }, 'Search by Name, Email, Customer'), search)),
    list.notice, list.table, list.more);
}
