// Small DOM and byte helpers shared by the explorer's modules. Text is always put in with
// text nodes, never parsed as HTML, so nothing a server returns can become markup.

/** The element with this ID. */
export const $ = (id) => document.getElementById(id);

/** A DOM element with attributes and text or element children (text is never parsed). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== false && v !== null) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== '') e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Standard base64 of bytes. */
export function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Bytes of standard (or URL-safe) base64; throws on anything else. */
export function fromBase64(text) {
  const clean = text.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error('not base64');
  return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0));
}

/** Bytes of hex (whitespace ignored); throws on anything else. */
export function fromHex(text) {
  const clean = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('not hex');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Lowercase hex of bytes. */
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** "in 23 h 59 min" / "5 min ago" for a time in epoch milliseconds. */
export function countdown(whenMs, nowMs = Date.now()) {
  const s = Math.round((whenMs - nowMs) / 1000);
  const a = Math.abs(s);
  const text = a >= 2 * 86400 ? `${Math.floor(a / 86400)} d ${Math.floor((a % 86400) / 3600)} h`
    : a >= 3600 ? `${Math.floor(a / 3600)} h ${Math.floor((a % 3600) / 60)} min`
      : a >= 60 ? `${Math.floor(a / 60)} min ${a % 60} s` : `${a} s`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
}
