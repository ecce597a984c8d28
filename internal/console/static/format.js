// format.js: how the console shows values.

const pad = (n) => String(n).padStart(2, '0');

// formatDate shows a timestamp as the portal does, in the browser's time zone:
// "Jul 25 2023, 11:19:11".
export function formatDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const month = d.toLocaleString('en-US', { month: 'short' });
  return `${month} ${pad(d.getDate())} ${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
