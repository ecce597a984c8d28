// The login page.
import { api } from '../api.js';
import { h, field } from '../dom.js';
import { loggedIn } from '../app.js';

export function loginPage() {
  const error = h('p', { id: 'login-error', class: 'alert error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Log in');
  const form = h('form', { class: 'card', id: 'login-form', novalidate: true },
    error,
    field({ id: 'login-email', name: 'email', label: 'Email', type: 'email', autocomplete: 'username', required: true }),
    field({ id: 'login-password', name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true }),
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const res = await api('POST', '/v1/auth/login', {
        body: { email: form.querySelector('#login-email').value, password: form.querySelector('#login-password').value },
      });
      loggedIn(res.data.user);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      form.querySelector('#login-password').value = '';
      form.querySelector('#login-password').focus();
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', {}, h('h1', {}, 'Log in'), form);
}
