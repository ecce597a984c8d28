// list.js: a searchable, paged table (List User, Audit Log).
import { api } from '../api.js';
import { h, clear } from '../dom.js';

// pagedTable returns {table, more, notice, reload}: reload(path) shows the first page of
// path(cursor), more loads the next page on demand, notice shows a failure. columns are the header
// names; row(item) returns one row's cells, or a whole <tr>.
export function pagedTable({ id, columns, row, empty }) {
  const tbody = h('tbody');
  const table = h('table', { class: 'responsive', id },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), tbody);
  const more = h('button', { type: 'button', class: 'secondary more', id: 'load-more', hidden: true }, 'Load more');
  const notice = h('div', {});
  let cursor = null;
  let pathOf = null;
  let generation = 0;

  const load = async (reset) => {
    const mine = ++generation;
    try {
      const res = await api('GET', pathOf(reset ? '' : cursor));
      if (mine !== generation) return;
      clear(notice);
      if (reset) clear(tbody);
      for (const item of res.data.items) {
        const r = row(item);
        tbody.append(r instanceof Node ? r : h('tr', {}, r.map((v, i) => h('td', { 'data-label': columns[i] }, v))));
      }
      if (reset && res.data.items.length === 0) tbody.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty)));
      cursor = res.data.next_cursor;
      more.hidden = !cursor;
    } catch (err) {
      if (mine !== generation) return;
      clear(notice).append(h('p', { class: 'alert error', role: 'alert' }, err.message));
      if (err.errors.length) notice.append(h('ul', {}, err.errors.map((e) => h('li', {}, `${e.field}: ${e.detail}`))));
    }
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    await load(false);
    more.disabled = false;
  });
  return { table, more, notice, reload: (path) => { pathOf = path; return load(true); } };
}

// debounce calls fn once input has paused.
export function debounce(fn, ms = 250) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}
