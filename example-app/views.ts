import { createHash } from 'node:crypto';
import { CURRENCIES, PRODUCTS, findProduct, formatPrice, type Currency } from './catalog';
import type { CartLine } from './cart';

/** What every page shows: who you are, your cart size, your currency and whether consent was asked. */
export interface PageContext {
  /** A visitor has no guest on this page (the login page of an API cart, whose guest comes with a ticket). */
  who: { kind: 'guest'; id: string } | { kind: 'visitor' } | { kind: 'account'; username: string };
  cart: CartLine[];
  currency: Currency;
  consentAsked: boolean;
  flash?: string;
  /** The session's CSRF token (`csrfToken(req)`), sent back by every form for browsers without Fetch Metadata. */
  csrfToken: string;
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;background:#f6f4ef}
header{background:#2d4a3e;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;font-weight:600}header .brand{font-size:1.25rem;margin-right:auto}
.who{font-size:.85rem;background:#ffffff22;border-radius:999px;padding:.2rem .8rem}
main{max-width:960px;margin:1.5rem auto;padding:0 1.5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:1rem}
.card{background:#fff;border-radius:12px;padding:1rem;box-shadow:0 1px 3px #0001;display:flex;flex-direction:column;gap:.5rem}
.card h3{margin:0}.price{font-weight:700;color:#2d4a3e}
button,.button{background:#2d4a3e;color:#fff;border:0;border-radius:8px;padding:.5rem .9rem;font:inherit;cursor:pointer}
button.secondary{background:#e7e2d6;color:#1f2328}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:12px;overflow:hidden}
td,th{padding:.6rem .8rem;border-bottom:1px solid #eee;text-align:left}
input[type=number]{width:4.5rem;padding:.3rem}input[type=text],input[type=password]{width:100%;padding:.5rem;border:1px solid #ccc;border-radius:8px}
form.inline{display:inline}.auth{max-width:360px;background:#fff;border-radius:12px;padding:1.5rem;display:grid;gap:.8rem}
.banner{position:fixed;bottom:0;left:0;right:0;background:#1f2328;color:#fff;padding:1rem 1.5rem;display:flex;gap:1rem;align-items:center;justify-content:center}
.flash{background:#fff3c4;border-radius:8px;padding:.6rem 1rem;margin-bottom:1rem}.muted{color:#666;font-size:.9rem}
`;

/**
 * The API cart page's Content-Security-Policy: its script holds a session token in localStorage, so no script but
 * the shop's own bundle runs there (no inline script, no other origin), it talks to the shop only, and the one
 * inline style is allowed by its hash.
 */
export const API_CART_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  `style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Every form carries it; see `sameOriginOnly()`. */
function tokenField(ctx: PageContext): string {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(ctx.csrfToken)}">`;
}

function page(title: string, header: string, body: string, footer = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Leaf &amp; Kettle</title><style>${CSS}</style></head><body>
<header><a class="brand" href="/">Leaf &amp; Kettle</a>${header}</header><main>${body}</main>${footer}</body></html>`;
}

function layout(title: string, ctx: PageContext, body: string): string {
  const count = ctx.cart.reduce((n, l) => n + l.quantity, 0);
  const who =
    ctx.who.kind === 'guest'
      ? `<span class="who" data-testid="who">Guest <code>${escapeHtml(ctx.who.id.slice(0, 13))}…</code></span>`
      : ctx.who.kind === 'visitor'
        ? `<span class="who" data-testid="who">Visitor</span>`
        : `<span class="who" data-testid="who">Signed in as <strong>${escapeHtml(ctx.who.username)}</strong></span>`;
  const auth =
    ctx.who.kind === 'account'
      ? `<form class="inline" method="post" action="/logout">${tokenField(ctx)}<button class="secondary">Log out</button></form>`
      : `<a href="/login">Log in</a><a href="/signup">Sign up</a>`;
  const currencies = (Object.keys(CURRENCIES) as Currency[])
    .map((c) => `<option${c === ctx.currency ? ' selected' : ''}>${c}</option>`)
    .join('');
  // A visitor has no guest to record a consent or a currency in (the choices would have nowhere to go).
  const visitor = ctx.who.kind === 'visitor';
  const banner = ctx.consentAsked || visitor
    ? ''
    : `<div class="banner" data-testid="consent">We would like to measure visits to improve the shop.
<form class="inline" method="post" action="/consent">${tokenField(ctx)}<input type="hidden" name="analytics" value="yes"><button>Accept</button></form>
<form class="inline" method="post" action="/consent">${tokenField(ctx)}<input type="hidden" name="analytics" value="no"><button class="secondary">Decline</button></form></div>`;
  const prefs = visitor
    ? ''
    : `<form class="inline" method="post" action="/prefs">${tokenField(ctx)}<select name="currency" aria-label="Currency" onchange="this.form.submit()">${currencies}</select></form>`;
  const header = `<a href="/cart" data-testid="cart-link">Cart (${count})</a>
${prefs}
${who}${auth}`;
  return page(title, header, `${ctx.flash ? `<p class="flash" data-testid="flash">${escapeHtml(ctx.flash)}</p>` : ''}${body}`, banner);
}

/** A page for when something went wrong: what happened and what to do, nothing about the server's insides. */
export function errorPage(status: number, advice: string): string {
  const heading = status === 404 ? 'Page not found' : status === 403 ? 'We did not do that' : status >= 500 ? 'Something went wrong' : 'We could not do that';
  return page(heading, '', `<h1 data-testid="error-heading">${escapeHtml(heading)}</h1><p data-testid="error-advice">${escapeHtml(advice)}</p>
<p><a href="/">Back to the shop</a></p>`);
}

export function shopPage(ctx: PageContext): string {
  const cards = PRODUCTS.map(
    (p) => `<div class="card"><h3>${escapeHtml(p.name)}</h3><p class="muted">${escapeHtml(p.blurb)}</p>
<span class="price">${formatPrice(p.price, ctx.currency)}</span>
<form method="post" action="/cart/add">${tokenField(ctx)}<input type="hidden" name="sku" value="${p.sku}"><button data-testid="add-${p.sku}">Add to cart</button></form></div>`,
  ).join('');
  return layout('Shop', ctx, `<h1>Teas and tools</h1><div class="grid">${cards}</div>`);
}

export function cartPage(ctx: PageContext): string {
  if (ctx.cart.length === 0) return layout('Cart', ctx, `<h1>Your cart</h1><p data-testid="empty">Your cart is empty. <a href="/">Browse the shop</a>.</p>`);
  let total = 0;
  const rows = ctx.cart
    .map((line) => {
      const p = findProduct(line.sku);
      if (!p) return '';
      total += p.price * line.quantity;
      return `<tr data-testid="line-${p.sku}"><td>${escapeHtml(p.name)}</td>
<td><form class="inline" method="post" action="/cart/update">${tokenField(ctx)}<input type="hidden" name="sku" value="${p.sku}">
<input type="number" name="quantity" min="0" max="99" value="${line.quantity}" aria-label="Quantity of ${escapeHtml(p.name)}" data-testid="qty-${p.sku}"> <button class="secondary">Update</button></form></td>
<td>${formatPrice(p.price * line.quantity, ctx.currency)}</td></tr>`;
    })
    .join('');
  const hint = ctx.who.kind !== 'account' ? `<p class="muted">Your cart is kept for 30 days. <a href="/signup">Sign up</a> or <a href="/login">log in</a> to keep it in your account.</p>` : '';
  return layout('Cart', ctx, `<h1>Your cart</h1><table><tr><th>Item</th><th>Quantity</th><th>Price</th></tr>${rows}
<tr><th colspan="2">Total</th><th data-testid="total">${formatPrice(total, ctx.currency)}</th></tr></table>${hint}`);
}

/** What a login or sign-up form carries through to its POST: where to go next, and the ticket naming an API cart's guest. */
export interface AuthCarry {
  next?: string;
  ticket?: string;
}

export function authPage(kind: 'login' | 'signup', ctx: PageContext, error?: string, carry: AuthCarry = {}): string {
  const title = kind === 'login' ? 'Log in' : 'Sign up';
  const guestNote = carry.ticket
    ? `<p class="muted" data-testid="carry">Your API cart comes with you.</p>`
    : ctx.cart.length
      ? `<p class="muted" data-testid="carry">Your ${ctx.cart.reduce((n, l) => n + l.quantity, 0)} guest item(s) come with you.</p>`
      : '';
  const hidden = (name: string, value: string | undefined) => (value ? `<input type="hidden" name="${name}" value="${escapeHtml(value)}">` : '');
  return layout(title, ctx, `<h1>${title}</h1>${error ? `<p class="flash" data-testid="error">${escapeHtml(error)}</p>` : ''}
<form class="auth" method="post" action="/${kind}">${tokenField(ctx)}${hidden('next', carry.next)}${hidden('transfer_ticket', carry.ticket)}<label>Username <input type="text" name="username" autocomplete="username" required maxlength="40"></label>
<label>Password <input type="password" name="password" autocomplete="${kind === 'login' ? 'current-password' : 'new-password'}" required minlength="8"></label>
<button data-testid="submit">${title}</button>${guestNote}</form>`);
}

/**
 * The API cart: a small single-page app on the shop's own origin. Its guest is its own (token mode, in localStorage,
 * shared by the browser's tabs), kept by express-anonymous-session/client, and it calls /api/cart with bearer
 * tokens, as a mobile app would. The page is static: the script (/assets/api-cart.js) fills it in.
 */
export function apiCartPage(ctx: Pick<PageContext, 'who' | 'csrfToken'>): string {
  const account = ctx.who.kind === 'account' ? ctx.who : undefined;
  const header = `<a href="/cart">Cart</a>${
    account
      ? `<span class="who" data-testid="who">Signed in as <strong>${escapeHtml(account.username)}</strong></span>
<form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${escapeHtml(ctx.csrfToken)}"><button class="secondary">Log out</button></form>`
      : ''
  }`;
  const products = PRODUCTS.map(
    (p) => `<div class="card"><h3>${escapeHtml(p.name)}</h3><span class="price">${formatPrice(p.price, 'EUR')}</span>
<button data-testid="api-add-${p.sku}" data-sku="${p.sku}" data-name="${escapeHtml(p.name)}">Add to API cart</button></div>`,
  ).join('');
  return page(
    'API cart',
    header,
    `<h1>API cart</h1>
<p class="muted">This page is a small single-page app. It keeps a guest of its own with <code>express-anonymous-session/client</code>
(token mode: the session token stays in this browser's localStorage, shared by its tabs) and talks to the shop only through
<code>/api/cart</code> with bearer tokens, renewed before they expire, as a mobile app would. Log in or sign up from here and
its cart moves into your account.</p>
<p class="flash" data-testid="api-notice" hidden></p>
<p>Guest <code data-testid="api-guest">…</code> · access token <code data-testid="api-token">…</code> <span class="muted" data-testid="api-status" role="status"></span></p>
<div class="grid">${products}</div>
<h2>Your API cart</h2>
<p data-testid="api-empty" hidden>Empty.</p>
<table><tbody data-testid="api-lines"></tbody></table>
<p><button data-testid="api-reload">Reload</button> <button data-testid="api-login">Log in to keep this cart</button>
<button data-testid="api-signup">Sign up to keep it</button> <button class="secondary" data-testid="api-forget">Forget this guest</button></p>
<script type="module" src="/assets/api-cart.js"></script>`,
  );
}
