// Add Customer (two steps: the customer, then its owner) and Update Customer.
import { api, query, newKey } from '../api.js';
import { h, clear, field, showFieldErrors, clearFieldErrors } from '../dom.js';
import { flash, go, session } from '../app.js';

const support = () => session.me && session.me.role === 'Toffstech Support';

// parentOptions lists the customers "Management by" may offer: every page (up to 2 000 customers)
// of path, an endpoint answering a page of customers, sorted by name.
async function parentOptions(path) {
  const out = [];
  let cursor = '';
  for (let i = 0; i < 20; i++) {
    const res = await api('GET', path + query({ limit: 100, cursor }));
    out.push(...res.data.items);
    cursor = res.data.next_cursor;
    if (!cursor) break;
  }
  out.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}

function parentSelect(options, selected) {
  const sel = h('select', {});
  if (support()) sel.append(h('option', { value: '' }, 'None (top-level customer)'));
  for (const c of options) sel.append(h('option', { value: c.id }, c.name));
  sel.value = selected || '';
  return sel;
}

// customerFields are the three fields of Add Customer and Update Customer.
function customerFields(values, options) {
  return [
    field({ id: 'customer-name', name: 'name', label: 'Customer', value: values.name, required: true, autocomplete: 'organization' }),
    field({ id: 'customer-address', name: 'address', label: 'Address', value: values.address, autocomplete: 'street-address' }),
    field({ id: 'customer-parent', name: 'parent_id', label: 'Management by', control: parentSelect(options, values.parent_id) }),
  ];
}

// formButtons are Cancel (back to List Customer) and the submit button.
function formButtons(id, label) {
  return h('div', { class: 'form-actions' },
    h('a', { class: 'button secondary', href: '#/customers' }, 'Cancel'),
    h('button', { type: 'submit', id }, label));
}

function formAlert(form) {
  return form.querySelector('.form-alert');
}

function showProblem(form, err) {
  const rest = showFieldErrors(form, err.errors);
  const alert = formAlert(form);
  if (rest.length || !err.errors.length) {
    alert.textContent = rest.length && err.errors.length ? rest.map((e) => `${e.field}: ${e.detail}`).join(' ') : err.message;
    alert.hidden = false;
    if (!err.errors.length) alert.focus();
  }
}

function hideAlert(form) {
  const a = formAlert(form);
  a.hidden = true;
  a.textContent = '';
}

function alertBox() {
  return h('p', { class: 'alert error form-alert', role: 'alert', tabindex: '-1', hidden: true });
}

// addCustomerPage is Add Customer: nothing is created until Save on the second step.
export async function addCustomerPage() {
  const options = await parentOptions('/v1/customers');
  const state = {
    name: '', address: '', parent_id: support() ? '' : session.me.customer_id,
    owner: { name: '', email: '', password: '', password_confirm: '' },
    key: '', keyFor: '',
  };
  const root = h('div', {});

  const customerBody = () => ({ name: state.name, address: state.address, parent_id: state.parent_id || null });

  const step1 = () => {
    const form = h('form', { class: 'card', id: 'customer-form', novalidate: true },
      alertBox(), customerFields(state, options), formButtons('next', 'Next'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      state.name = form.querySelector('#customer-name').value;
      state.address = form.querySelector('#customer-address').value;
      state.parent_id = form.querySelector('#customer-parent').value;
      hideAlert(form);
      clearFieldErrors(form);
      const next = form.querySelector('#next');
      next.disabled = true;
      try {
        await api('POST', '/v1/customers:validate', { body: customerBody() });
        show(step2);
      } catch (err) {
        showProblem(form, err);
      } finally {
        next.disabled = false;
      }
    });
    return [h('h1', {}, 'Add Customer'), h('p', { class: 'steps' }, 'Step 1 of 2: the customer'), form];
  };

  const step2 = () => {
    const o = state.owner;
    const form = h('form', { class: 'card', id: 'owner-form', novalidate: true },
      alertBox(),
      field({ id: 'owner-name', name: 'owner.name', label: 'Name', value: o.name, required: true, autocomplete: 'name' }),
      field({ id: 'owner-email', name: 'owner.email', label: 'Email', type: 'email', value: o.email, required: true, autocomplete: 'email' }),
      field({ id: 'owner-password', name: 'owner.password', label: 'Password', type: 'password', value: o.password, required: true, autocomplete: 'new-password' }),
      field({ id: 'owner-password-confirm', name: 'owner.password_confirm', label: 'Confirm Password', type: 'password', value: o.password_confirm, required: true, autocomplete: 'new-password' }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', id: 'back', class: 'secondary', onclick: () => { keep(form); show(step1); } }, 'Back'),
        h('button', { type: 'submit', id: 'save' }, 'Save')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      keep(form);
      hideAlert(form);
      clearFieldErrors(form);
      const body = { ...customerBody(), owner: { ...state.owner } };
      const payload = JSON.stringify(body);
      if (state.keyFor !== payload) {
        state.key = newKey();
        state.keyFor = payload;
      }
      const save = form.querySelector('#save');
      save.disabled = true;
      try {
        await api('POST', '/v1/customers', { body, headers: { 'Idempotency-Key': state.key } });
        flash('Add customer successfully!');
        go('#/customers');
      } catch (err) {
        // An error about the first step's fields (a name taken meanwhile) is shown there.
        if (err.errors.some((e) => !e.field.startsWith('owner'))) {
          show(step1);
          showProblem(root.querySelector('form'), err);
        } else {
          showProblem(form, err);
        }
      } finally {
        save.disabled = false;
      }
    });
    return [h('h1', {}, 'Add Customer Owner'), h('p', { class: 'steps' }, `Step 2 of 2: the owner of "${state.name}"`), form];
  };

  const keep = (form) => {
    state.owner = {
      name: form.querySelector('#owner-name').value,
      email: form.querySelector('#owner-email').value,
      password: form.querySelector('#owner-password').value,
      password_confirm: form.querySelector('#owner-password-confirm').value,
    };
  };

  const show = (step) => {
    clear(root).append(...step());
    const h1 = root.querySelector('h1');
    h1.setAttribute('tabindex', '-1');
    h1.focus();
    document.title = h1.textContent + ' · Customer Management';
  };
  root.append(...step1());
  return root;
}

// editCustomerPage is Update Customer. The save carries the version the form was loaded at
// (If-Match): when someone else saved in between, it says so and offers to reload, and
// overwrites nothing.
export async function editCustomerPage(id) {
  const path = `/v1/customers/${encodeURIComponent(id)}`;
  let { data: cust, etag } = await api('GET', path);
  const options = (await parentOptions(`${path}/manageable-parents`)).filter((c) => c.id !== id);
  if (cust.parent_id && !options.some((c) => c.id === cust.parent_id)) {
    options.unshift({ id: cust.parent_id, name: cust.parent_name || cust.parent_id });
  }
  const conflict = h('div', { id: 'conflict', class: 'alert error', role: 'alert', hidden: true });
  const form = h('form', { class: 'card', id: 'customer-form', novalidate: true },
    alertBox(), conflict, customerFields(cust, options), formButtons('save', 'Save'));
  const fill = () => {
    form.querySelector('#customer-name').value = cust.name;
    form.querySelector('#customer-address').value = cust.address;
    form.querySelector('#customer-parent').value = cust.parent_id || '';
  };
  const reload = async () => {
    ({ data: cust, etag } = await api('GET', path));
    fill();
    conflict.hidden = true;
    hideAlert(form);
    clearFieldErrors(form);
    form.querySelector('#customer-name').focus();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    hideAlert(form);
    clearFieldErrors(form);
    conflict.hidden = true;
    const patch = {};
    const name = form.querySelector('#customer-name').value;
    const address = form.querySelector('#customer-address').value;
    const parent = form.querySelector('#customer-parent').value;
    if (name !== cust.name) patch.name = name;
    if (address !== cust.address) patch.address = address;
    if (parent !== (cust.parent_id || '')) patch.parent_id = parent || null;
    const save = form.querySelector('#save');
    save.disabled = true;
    try {
      if (Object.keys(patch).length > 0) {
        await api('PATCH', path, { body: patch, headers: { 'If-Match': etag, 'Idempotency-Key': newKey() } });
      }
      flash('Update customer successfully!');
      go('#/customers');
    } catch (err) {
      if (err.status === 412) {
        clear(conflict).append(
          h('p', {}, 'Someone else saved this customer after you opened it, so your changes were not saved. Reload to see their version, then make your changes again.'),
          h('div', { class: 'actions' }, h('button', { type: 'button', id: 'reload', onclick: () => reload().catch((e) => showProblem(form, e)) }, 'Reload')));
        conflict.hidden = false;
        conflict.querySelector('#reload').focus();
      } else {
        showProblem(form, err);
      }
    } finally {
      save.disabled = false;
    }
  });
  return h('div', {}, h('h1', {}, 'Update Customer'), form);
}
