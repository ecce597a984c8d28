// dom.js: building elements without innerHTML (text is always text, never markup).

// h creates an element: h('button', {class: 'x', onclick: fn}, 'text', child…).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// svg returns an icon from icons.svg-like path data, hidden from assistive technology (the
// button around it carries the label).
export function icon(pathData) {
  const ns = 'http://www.w3.org/2000/svg';
  const s = document.createElementNS(ns, 'svg');
  s.setAttribute('viewBox', '0 0 24 24');
  s.setAttribute('width', '20');
  s.setAttribute('height', '20');
  s.setAttribute('aria-hidden', 'true');
  s.setAttribute('focusable', 'false');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', pathData);
  s.append(p);
  return s;
}

export const icons = {
  view: 'M12 5c-5 0-9 4.5-10 7 1 2.5 5 7 10 7s9-4.5 10-7c-1-2.5-5-7-10-7zm0 11.5a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9zm0-7a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
  edit: 'M3 17.25V21h3.75L17.8 9.94l-3.75-3.75L3 17.25zm17.7-10.2a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z',
  download: 'M5 20h14v-2H5v2zM19 9h-4V3H9v6H5l7 7 7-7z',
  delete: 'M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z',
};

// clear empties an element.
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// field is a labelled form field with a place for its error message. name is the API's field
// name (problem details name it), id the element's id.
export function field({ id, name, label, type = 'text', value = '', autocomplete, required = false, control }) {
  const errId = id + '-error';
  const input = control || h('input', { id, name, type, value, autocomplete, required });
  input.id = id;
  input.dataset.field = name;
  input.setAttribute('aria-describedby', errId);
  return h('div', { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input,
    h('p', { id: errId, class: 'field-error', dataset: { errorFor: name } }));
}

// showFieldErrors puts each error of a problem next to the field it names, within root, and
// returns the errors no field there shows.
export function showFieldErrors(root, errors = []) {
  clearFieldErrors(root);
  const rest = [];
  let first = null;
  for (const e of errors) {
    const input = root.querySelector(`[data-field="${CSS.escape(e.field)}"]`);
    const msg = root.querySelector(`[data-error-for="${CSS.escape(e.field)}"]`);
    if (!input || !msg) {
      rest.push(e);
      continue;
    }
    input.setAttribute('aria-invalid', 'true');
    const text = sentence(aboutField(input, e.detail));
    msg.textContent = msg.textContent ? msg.textContent + ' ' + text : text;
    first = first || input;
  }
  if (first) first.focus();
  return rest;
}

export function clearFieldErrors(root) {
  root.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  root.querySelectorAll('.field-error').forEach((el) => { el.textContent = ''; });
}

// aboutField names the field in a detail that does not ("is required" → "Customer is required").
function aboutField(input, detail) {
  const d = String(detail || '').trim();
  const label = input.labels && input.labels[0] ? input.labels[0].firstChild.textContent.trim() : '';
  return label && /^(is|are|must|may|should|can|cannot|does|has)\b/.test(d) ? `${label} ${d}` : d;
}

function sentence(s) {
  s = String(s || '').trim();
  if (!s) return '';
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}
