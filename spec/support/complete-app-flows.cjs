// Drives the README's complete app (its "A complete app" block, run as it is) through every path a user relies on:
// cookie cart, sign-up transfer, API tokens and a bearer call, login transfer with a session token, revocation, and
// a garbage token. Plain CommonJS with Node's fetch, shared by the docs test (jest) and the packaged-app check.
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';

function expectEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** A browser: keeps cookies, sends a browser User-Agent and same-origin Fetch Metadata. */
function browser(base) {
  const jar = new Map();
  return async function send(path, { method = 'GET', json } = {}) {
    const headers = { 'user-agent': BROWSER, 'sec-fetch-site': 'same-origin' };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return { status: res.status, body: await bodyOf(res), headers: res.headers };
  };
}

async function bodyOf(res) {
  const text = await res.text();
  return /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text;
}

/** An API client: no cookies, JSON bodies, an optional bearer token. */
async function api(base, path, { json, form, token, method = json === undefined && form === undefined ? 'GET' : 'POST' } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(json)];
  if (form !== undefined) [headers['content-type'], body] = ['application/x-www-form-urlencoded', new URLSearchParams(form).toString()];
  const res = await fetch(base + path, { method, headers, body });
  return { status: res.status, body: await bodyOf(res), headers: res.headers };
}

async function driveCompleteApp(base) {
  const steps = [];
  const step = (name) => steps.push(name);

  // A shopper browses and fills a cart with the cookie alone.
  const shopper = browser(base);
  expectEqual((await shopper('/cart')).status, 200, 'GET /cart');
  const added = await shopper('/cart', { method: 'POST', json: { sku: 'tea' } }); // the first write stores the guest
  expectEqual([added.status, added.body.cart], [200, [{ sku: 'tea', quantity: 1 }]], 'POST /cart');
  const first = await shopper('/cart');
  const again = await shopper('/cart');
  expectEqual([typeof first.body.guest, again.body.guest === first.body.guest, again.body.cart], ['string', true, [{ sku: 'tea', quantity: 1 }]], 'the cookie guest keeps its cart');
  step('cookie cart');

  // Sign-up carries the cookie guest's cart into the new account.
  const signup = await shopper('/signup', { method: 'POST', json: { username: 'ada', password: 'correct horse battery' } });
  expectEqual([signup.status, signup.body.transfer, signup.body.cart], [200, 'merged', [{ sku: 'tea', quantity: 1 }]], 'sign-up transfers the guest');
  step('sign-up transfer');

  // A mobile app: tokens from the token endpoint, its cart through the bearer API.
  const tokens = await api(base, '/anonymous/token', { form: { client_id: 'web' } });
  expectEqual([tokens.status, tokens.body.token_type, tokens.body.scope], [200, 'Bearer', 'cart'], 'POST /anonymous/token');
  const put = await api(base, '/api/cart', { method: 'PUT', token: tokens.body.access_token, json: { cart: [{ sku: 'kettle', quantity: 1 }] } });
  expectEqual([put.status, put.body.cart], [200, [{ sku: 'kettle', quantity: 1 }]], 'PUT /api/cart with a bearer token');
  const get = await api(base, '/api/cart', { token: tokens.body.access_token });
  expectEqual(get.body.cart, [{ sku: 'kettle', quantity: 1 }], 'GET /api/cart with a bearer token');
  const invalid = await api(base, '/api/cart', { method: 'PUT', token: tokens.body.access_token, json: { cart: 'x' } });
  expectEqual([invalid.status, invalid.body.error], [400, 'invalid_request'], 'PUT /api/cart with a malformed cart');
  step('tokens and a bearer call');

  // The app logs in with its session token: the API cart merges into the account by SKU.
  const login = await api(base, '/login', { json: { username: 'ada', password: 'correct horse battery', anonymous_session_token: tokens.body.session_token } });
  expectEqual([login.status, login.body.transfer, login.body.cart], [200, 'merged', [{ sku: 'tea', quantity: 1 }, { sku: 'kettle', quantity: 1 }]], 'login transfers the token guest');
  step('login transfer');

  // The transferred guest's access token stops at once (checkRevocation); a garbage token is a 401, not a crash.
  expectEqual((await api(base, '/api/cart', { token: tokens.body.access_token })).status, 401, 'a transferred guest\'s token');
  const garbage = await api(base, '/api/cart', { method: 'PUT', token: 'garbage', json: { cart: [] } });
  expectEqual([garbage.status, garbage.body?.error], [401, 'invalid_token'], 'a garbage bearer token, answered as JSON');
  const guarded = await api(base, '/cart', { method: 'POST', token: 'garbage', json: { sku: 'x' } });
  expectEqual(guarded.status, 401, 'requireGuest() with a garbage bearer token');
  step('revocation and bad tokens');
  return steps;
}

/** The README's quick start: a cookie cart that survives page loads; a garbage bearer token is a 401. */
async function driveQuickStart(base) {
  const shopper = browser(base);
  const page = await shopper('/');
  if (page.status !== 200) throw new Error(`GET /: ${page.status}`);
  const added = await shopper('/cart', { method: 'POST', json: { sku: 'tea' } });
  expectEqual([added.status, added.body], [200, [{ sku: 'tea', quantity: 1 }]], 'POST /cart');
  expectEqual((await shopper('/cart', { method: 'POST', json: { sku: 'mug' } })).body, [{ sku: 'tea', quantity: 1 }, { sku: 'mug', quantity: 1 }], 'the same guest on the next request');
  expectEqual((await shopper('/cart', { method: 'POST', json: {} })).status, 400, 'POST /cart without a sku');
  expectEqual((await api(base, '/cart', { method: 'POST', token: 'garbage', json: { sku: 'x' } })).status, 401, 'a garbage bearer token');
  return ['cookie cart', 'bad token'];
}

module.exports = { driveCompleteApp, driveQuickStart };
