/**
 * The API cart page's script (bundled with the client by example-app/api-cart.ts, served as /assets/api-cart.js).
 * A single-page app as a shop would write one: its own guest through express-anonymous-session/client in token mode,
 * the cart through the shop's API with bearer tokens, and the login through a redirect carrying a transfer ticket.
 */
import { createAnonymousClient, type GuestChangeReason } from '../../lib/client';

interface CartLine {
  sku: string;
  quantity: number;
}

/** The storage key of this page's guest: another page on the shop's origin may hold a guest of its own. */
const STORAGE_KEY = 'leaf-kettle:api-cart';

const client = createAnonymousClient({
  tokenEndpoint: '/anonymous/token',
  clientId: 'shop-spa',
  // Shared by this browser's tabs, which then renew once between them; the page's CSP admits no other script.
  storage: 'localStorage',
  storageKey: STORAGE_KEY,
});

const NOTICES: Record<GuestChangeReason, string> = {
  transferred: 'Your API cart moved into your account. This page has a new, empty guest cart now.',
  revoked: 'The shop ended this guest. This page has a new, empty guest cart now.',
  expired: 'This guest was unused for too long and expired. This page has a new, empty guest cart now.',
  invalid: 'The shop no longer knew this guest. This page has a new, empty guest cart now.',
  logout: 'This guest was forgotten. The next visit starts a new one.',
};

const byTestId = <T extends HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)!;
const names = new Map([...document.querySelectorAll<HTMLButtonElement>('button[data-sku]')].map((b) => [b.dataset.sku!, b.dataset.name!]));

/** Counts the guests that ended: a read refused with 401 while its guest ended is asked again, as the new guest. */
let ended = 0;
client.onGuestChange(({ reason }) => {
  ended += 1;
  notice(NOTICES[reason]);
});

function notice(text: string): void {
  const p = byTestId('api-notice');
  p.textContent = text;
  p.hidden = false;
}

function status(text: string): void {
  byTestId('api-status').textContent = text;
}

/** A JSON answer of the API, or an Error with its `error_description`. */
async function json<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as T & { error?: string; error_description?: string };
  if (!response.ok) throw new Error(body.error_description ?? `The shop answered ${response.status}`);
  return body;
}

/** A read through the API. Only reads are asked again after the guest changed: a write is never re-sent as another guest. */
async function read<T>(path: string): Promise<T> {
  const before = ended;
  const response = await client.fetch(path);
  return json<T>(response.status === 401 && ended !== before ? await client.fetch(path) : response);
}

function render(cart: CartLine[]): void {
  const lines = byTestId('api-lines');
  lines.replaceChildren(
    ...cart.map((line) => {
      const row = document.createElement('tr');
      row.dataset.testid = `api-line-${line.sku}`;
      const name = document.createElement('td');
      name.textContent = names.get(line.sku) ?? line.sku;
      const quantity = document.createElement('td');
      quantity.textContent = String(line.quantity);
      quantity.dataset.testid = `api-qty-${line.sku}`;
      const actions = document.createElement('td');
      const remove = document.createElement('button');
      remove.className = 'secondary';
      remove.textContent = 'Remove one';
      remove.dataset.testid = `api-remove-${line.sku}`;
      remove.addEventListener('click', act(() => change(line.sku, -1), 'Removed.'));
      actions.append(remove);
      row.append(name, quantity, actions);
      return row;
    }),
  );
  byTestId('api-empty').hidden = cart.length > 0;
}

/** Shows who the guest is and which access token the client holds (its last characters), then the cart. */
async function showGuest(): Promise<void> {
  const [{ id }, { cart }] = await Promise.all([read<{ id: string }>('/api/guest'), read<{ cart: CartLine[] }>('/api/cart')]);
  byTestId('api-guest').textContent = id;
  byTestId('api-token').textContent = `…${(await client.getAccessToken()).slice(-8)}`;
  render(cart);
}

async function change(sku: string, add: number): Promise<void> {
  const response = await client.fetch('/api/cart', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku, add }) });
  render((await json<{ cart: CartLine[] }>(response)).cart);
  byTestId('api-token').textContent = `…${(await client.getAccessToken()).slice(-8)}`;
}

/** Runs an action of the page, saying when it is done or what went wrong. */
function act(action: () => Promise<void>, done = ''): () => void {
  return () => {
    status('…');
    action().then(
      () => status(done),
      (err: unknown) => status(err instanceof Error ? err.message : String(err)),
    );
  };
}

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-sku]')) {
  button.addEventListener('click', act(() => change(button.dataset.sku!, 1), 'Added.'));
}
byTestId('api-reload').addEventListener('click', act(showGuest, 'Up to date.'));
// A fresh single-use ticket names this guest at the login; the login page carries it through to its POST.
byTestId('api-login').addEventListener('click', act(async () => location.assign(await client.loginUrl('/login?next=/api-cart'))));
byTestId('api-signup').addEventListener('click', act(async () => location.assign(await client.loginUrl('/signup?next=/api-cart'))));
byTestId('api-forget').addEventListener(
  'click',
  act(async () => {
    await client.logout();
    byTestId('api-guest').textContent = '…';
    byTestId('api-token').textContent = '…';
    render([]);
  }),
);
act(showGuest, 'Up to date.')();
