// The Download icon: request an export, show its progress, then let the browser save the CSV.
import { api } from '../api.js';
import { h, clear } from '../dom.js';

const pollEvery = 400; // ms

// startExport runs the export of customer's domains, showing its progress in region (an element
// with role=status), and resolves when the download has been handed to the browser.
export async function startExport(customer, region) {
  const show = (...children) => {
    clear(region).append(h('div', { class: 'export-progress' }, ...children));
    region.hidden = false;
  };
  show(h('progress', { 'aria-label': 'Export progress' }), `Preparing the CSV of "${customer.name}"…`);
  let x;
  try {
    x = (await api('POST', `/v1/customers/${encodeURIComponent(customer.id)}/exports`)).data;
    for (;;) {
      if (x.status === 'succeeded') break;
      if (x.status === 'failed' || x.status === 'expired') {
        throw new Error(x.reason || `The export ${x.status}.`);
      }
      show(h('progress', { 'aria-label': 'Export progress' }),
        x.status === 'running' ? `Writing the CSV of "${customer.name}"…` : `Export of "${customer.name}" requested, waiting for a worker…`);
      await new Promise((r) => setTimeout(r, pollEvery));
      x = (await api('GET', `/v1/exports/${encodeURIComponent(x.id)}`)).data;
    }
  } catch (err) {
    clear(region).append(h('p', { class: 'alert error', role: 'alert' }, `The export of "${customer.name}" failed: ${err.message}`));
    return false;
  }
  const link = h('a', { href: `/v1/exports/${encodeURIComponent(x.id)}/download`, download: x.filename || '' }, x.filename || 'the CSV');
  show(h('span', {}, `The CSV of "${customer.name}" is ready (${x.rows} domain${x.rows === 1 ? '' : 's'}): `, link));
  link.click();
  return true;
}
