// Type-level checks of the client as an ES module consumer sees it (compiled by `npm run test:packaging:client`).
import { createAnonymousClient, AnonymousClientError, type AnonymousClient, type ClientStorage, type GuestChangeEvent } from 'express-anonymous-session/client';

const asyncStorage: ClientStorage = {
  getItem: async (key) => key,
  setItem: async () => undefined,
  removeItem: async () => undefined,
};
const spa: AnonymousClient = createAnonymousClient({ issuer: 'https://shop.test', clientId: 'spa', storage: 'localStorage', scope: 'cart:read' });
const page = createAnonymousClient({ tokenEndpoint: '/anonymous/token', clientId: 'web', mode: 'cookie' });
const native = createAnonymousClient({ issuer: 'https://shop.test', clientId: 'app', storage: asyncStorage });
const off: () => void = spa.onGuestChange((event: GuestChangeEvent) => {
  const reason: 'expired' | 'revoked' | 'transferred' | 'invalid' | 'logout' = event.reason;
  void reason;
});
off();

export async function use(): Promise<void> {
  const token: string = await spa.getAccessToken();
  const res: Response = await page.fetch('/api/cart', { method: 'POST', body: JSON.stringify({ token }) });
  const ticket = await native.transferTicket();
  const seconds: number | undefined = ticket?.expires_in;
  const url: string = await spa.loginUrl(new URL('https://shop.test/login'));
  const st: string | undefined = await native.sessionToken();
  await page.logout();
  void [res, seconds, url, st];
  try {
    await spa.getAccessToken();
  } catch (err) {
    if (err instanceof AnonymousClientError && err.error === 'rate_limited') void [err.retryAfter, err.status, err.error_description];
  }
}

// @ts-expect-error one of issuer or tokenEndpoint, not both
createAnonymousClient({ issuer: 'https://shop.test', tokenEndpoint: '/anonymous/token', clientId: 'x' });
// @ts-expect-error clientId is required
createAnonymousClient({ issuer: 'https://shop.test' });
