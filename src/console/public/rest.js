// REST reads of the history and stream pages, with the token the console keeps (a bearer header);
// a page asks for a token through its sign-in form when the hub answers 401.

const TOKEN_KEY = 'streamguard.token';

/** The token the tab signed in with (the live page keeps it there too): a tab's, never written to disk for every tab. */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** A refused read: `status` 401 means no or a wrong token. */
export class RestError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET `path` as JSON; an error answer throws a RestError with the hub's message. */
export async function getJson(path) {
  const token = storedToken();
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new RestError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

/**
 * The page's sign-in: returns `guard(load)`, which runs a load and, on a 401, shows `form` (its
 * `input` takes the token, `.error` says why; other errors go to `status`). A token given in the
 * form is stored and `afterSignIn` runs (the page loads again).
 */
export function signInGuard(form, status, afterSignIn) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const input = form.querySelector('input');
    storeToken(input.value);
    input.value = '';
    afterSignIn();
  });
  return async (load) => {
    try {
      await load();
      form.hidden = true;
      status.textContent = '';
    } catch (err) {
      if (err instanceof RestError && err.status === 401) {
        form.hidden = false;
        form.querySelector('.error').textContent = storedToken() ? `sign-in refused: ${err.message}` : '';
        form.querySelector('input').focus();
      } else status.textContent = `could not load: ${err.message}`;
    }
  };
}
