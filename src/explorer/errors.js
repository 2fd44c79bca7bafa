// The error codes view: the README's error tables (qkms serves its README at
// /explorer/README.md), so an error code in the exchange links to the row that explains it
// and the explanation has one source.
import { $, el } from './dom.js';

let tables = null;

/** Every `| HTTP | Code | when |` table of a Markdown text, with the heading above it. */
export function errorTables(markdown) {
  const out = [];
  let heading = '';
  let table = null;
  for (const line of markdown.split('\n')) {
    if (/^#+ /.test(line)) heading = line.replace(/^#+ /, '');
    if (/^\| HTTP \| Code \| when \|/.test(line)) { table = { heading, rows: [] }; out.push(table); continue; }
    if (!table) continue;
    if (!line.startsWith('|')) { table = null; continue; }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (/^-+$/.test(cells[0])) continue;
    table.rows.push({ status: cells[0], code: cells[1].replace(/`/g, ''), when: cells[2].replace(/`/g, '') });
  }
  return out;
}

async function load() {
  if (!tables) tables = errorTables(await (await fetch('/explorer/README.md')).text());
  return tables;
}

/** Shows the tables, with the row of `code` marked and scrolled to. */
export async function showErrors(code) {
  const all = await load();
  $('errors-tables').replaceChildren(...all.map((t) => el('div', {},
    el('h3', {}, `README: ${t.heading}`),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'HTTP'), el('th', {}, 'Code'), el('th', {}, 'when'))),
      el('tbody', {}, t.rows.map((r) => el('tr', { class: r.code === code ? 'hit' : '', 'data-code': r.code },
        el('td', {}, r.status), el('td', { class: 'mono' }, r.code), el('td', {}, r.when))))))));
  document.querySelector('#errors-tables tr.hit')?.scrollIntoView({ block: 'center' });
}
