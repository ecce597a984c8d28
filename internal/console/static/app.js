// app.js: the console's shell — session, navigation, routing, messages.
import { api, whenUnauthenticated, resetConsistency } from './api.js';
import { h, clear } from './dom.js';
import { loginPage } from './pages/login.js';
import { customersPage } from './pages/customers.js';
import { addCustomerPage, editCustomerPage } from './pages/customer-form.js';
import { customerPage } from './pages/customer-view.js';
import { usersPage } from './pages/users.js';
import { auditPage } from './pages/audit.js';

// session is the logged-in user (GET /v1/me), or null.
export const session = { me: null };

// can reports whether the user has a permission ("Customer Add", …).
export function can(permission) {
  return !!session.me && session.me.permissions.includes(permission);
}

// flash shows a message at the top of the next page (or this one): kind 'success' or 'error'.
let pending = null;
export function flash(text, kind = 'success') {
  pending = { text, kind };
  showFlash();
}

function showFlash() {
  const el = document.getElementById('flash');
  if (!el || !pending) return;
  clear(el).append(h('p', { class: 'flash ' + pending.kind }, pending.text));
  el.hidden = false;
}

function takeFlash() {
  const el = document.getElementById('flash');
  if (pending) {
    showFlash();
    pending = null;
  } else if (el) {
    clear(el);
    el.hidden = true;
  }
}

// go navigates to a route ("#/customers").
export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

const routes = [
  { re: /^#\/customers\/new$/, page: addCustomerPage, needs: 'Customer Add', nav: 'customers' },
  { re: /^#\/customers\/([^/]+)\/edit$/, page: editCustomerPage, needs: 'Customer Edit', nav: 'customers' },
  { re: /^#\/customers\/([^/]+)$/, page: customerPage, needs: 'Customer View', nav: 'customers' },
  { re: /^#\/customers$/, page: customersPage, needs: 'Customer View', nav: 'customers' },
  { re: /^#\/users$/, page: usersPage, needs: 'User View', nav: 'users' },
  { re: /^#\/audit$/, page: auditPage, needs: 'Audit Log View', nav: 'audit' },
];

const navItems = [
  { id: 'customers', href: '#/customers', label: 'Customers', needs: 'Customer View' },
  { id: 'users', href: '#/users', label: 'Users', needs: 'User View' },
  { id: 'audit', href: '#/audit', label: 'Audit Log', needs: 'Audit Log View' },
];

function homeRoute() {
  const first = navItems.find((n) => can(n.needs));
  return first ? first.href : '#/none';
}

// renderShell draws the header and navigation for the logged-in user.
function renderShell(active) {
  const header = clear(document.getElementById('top'));
  if (!session.me) {
    header.append(h('span', { class: 'brand' }, 'Customer Management'));
    return;
  }
  const nav = h('nav', { 'aria-label': 'Main' },
    h('ul', {}, navItems.filter((n) => can(n.needs)).map((n) =>
      h('li', {}, h('a', { href: n.href, id: 'nav-' + n.id, 'aria-current': n.id === active ? 'page' : null }, n.label)))));
  const user = h('div', { class: 'user' },
    h('span', { class: 'who', title: session.me.role }, session.me.email),
    h('button', { type: 'button', id: 'logout', class: 'secondary', onclick: logout }, 'Log out'));
  header.append(h('span', { class: 'brand' }, 'Customer Management'), nav, user);
}

async function logout() {
  try {
    await api('POST', '/v1/auth/logout');
  } catch {
    // The session may be gone already; the cookies are cleared either way.
  }
  session.me = null;
  resetConsistency();
  flash('You have logged out.');
  go('#/login');
}

let generation = 0;

// route renders the page of the current hash.
export async function route() {
  const gen = ++generation;
  const main = document.getElementById('main');
  const hash = location.hash || '#/';
  if (!session.me && hash !== '#/login') {
    try {
      session.me = (await api('GET', '/v1/me')).data;
    } catch {
      session.me = null;
    }
    if (gen !== generation) return;
    if (!session.me) {
      location.replace('#/login');
      return;
    }
  }
  if (hash === '#/login') {
    renderShell(null);
    takeFlash();
    clear(main).append(loginPage());
    focusHeading(main);
    return;
  }
  const r = routes.find((x) => x.re.test(hash));
  if (!r) {
    location.replace(homeRoute());
    return;
  }
  renderShell(r.nav);
  takeFlash();
  if (!can(r.needs)) {
    clear(main).append(h('h1', { tabindex: '-1' }, 'Not available'),
      h('p', {}, `Your role does not include "${r.needs}".`));
    focusHeading(main);
    return;
  }
  const args = hash.match(r.re).slice(1).map(decodeURIComponent);
  const content = h('div', { class: 'page' }, h('p', { class: 'loading' }, 'Loading…'));
  clear(main).append(content);
  try {
    const page = await r.page(...args);
    if (gen !== generation) return;
    clear(content).append(page);
  } catch (err) {
    if (gen !== generation) return;
    clear(content).append(h('h1', { tabindex: '-1' }, err.status === 404 ? 'Not found' : 'Something went wrong'),
      h('p', { role: 'alert', class: 'alert error' }, err.message));
  }
  focusHeading(main);
}

// focusHeading moves the focus to the page's heading, so keyboard and screen reader users start
// at the top of the new page.
function focusHeading(main) {
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
  document.title = (h1 ? h1.textContent + ' · ' : '') + 'Customer Management';
}

// loggedIn records the user of a new session and opens its first page.
export function loggedIn(me) {
  session.me = me;
  resetConsistency();
  go(homeRoute());
}

whenUnauthenticated(() => {
  if (!session.me) return;
  session.me = null;
  flash('Your session has ended. Please log in again.', 'error');
  go('#/login');
});

window.addEventListener('hashchange', route);
route();
