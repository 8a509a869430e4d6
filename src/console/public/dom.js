// The one element builder of the console's pages: attributes, `on…` listeners, children.

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...children.filter((c) => c !== undefined && c !== false && c !== null));
  return e;
}

/** The stream page (charts per region) of a stream. */
export function streamPageUrl(stream) {
  return `/console/stream.html?stream=${encodeURIComponent(stream)}`;
}

/** A command button: hidden for viewers (body.viewer) and disabled unless `operator`. */
export function operatorButton(operator, label, testid, onclick) {
  return el('button', { type: 'button', class: 'operator-only', 'data-testid': testid, disabled: !operator, onclick }, label);
}
