// The DOM helper of the history and stream pages: an element with attributes and children.

/** `el('a', {href: '/'}, 'home')`; `on…` attributes are listeners, false/undefined ones are left out. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...children.filter((c) => c !== undefined && c !== null));
  return e;
}
