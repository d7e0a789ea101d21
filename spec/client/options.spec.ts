import { createAnonymousClient, type AnonymousClientOptions } from '../../lib/client';
import { FakeServer, ISSUER, LOGOUT_URL, TOKEN_URL } from './support/fake-server';
import { setGlobal } from './support/environment';

const fetch = new FakeServer().fetch;
const valid = { issuer: ISSUER, clientId: 'shop-spa', fetch };

/** Construction fails at once with a TypeError that names the option. */
function shouldRefuse(options: unknown, message: RegExp): void {
  expect(() => createAnonymousClient(options as AnonymousClientOptions)).toThrow(TypeError);
  expect(() => createAnonymousClient(options as AnonymousClientOptions)).toThrow(message);
}

describe('createAnonymousClient(): options', () => {
  it.each([
    [{ clientId: 'c', fetch }, /options\.tokenEndpoint/],
    [{ ...valid, issuer: 'shop.test' }, /options\.issuer must be an http\(s\) URL/],
    [{ ...valid, issuer: 'https://shop.test/?x=1' }, /options\.issuer/],
    [{ ...valid, tokenEndpoint: TOKEN_URL }, /options\.issuer .*without tokenEndpoint/],
    [{ clientId: 'c', fetch, tokenEndpoint: 'https://shop.test/oauth' }, /options\.tokenEndpoint must be a URL ending in \/token/],
    [{ ...valid, clientId: '' }, /options\.clientId/],
    [{ ...valid, clientId: undefined }, /options\.clientId/],
    [{ ...valid, audience: 42 }, /options\.audience/],
    [{ ...valid, scope: ['cart'] }, /options\.scope/],
    [{ ...valid, mode: 'cookies' }, /options\.mode must be 'token' or 'cookie'/],
    [{ ...valid, storage: { getItem() {} } }, /options\.storage/],
    [{ ...valid, storage: 'localStorage' }, /options\.storage must be a storage available here/],
    [{ ...valid, storageKey: '' }, /options\.storageKey/],
    [{ ...valid, fetch: 'fetch' }, /options\.fetch/],
  ])('refuses %p', (options, message) => {
    shouldRefuse(options, message);
  });

  it('needs a fetch: the global one, or options.fetch', () => {
    const restore = setGlobal('fetch', undefined);
    try {
      shouldRefuse({ issuer: ISSUER, clientId: 'c' }, /options\.fetch must be a function/);
      expect(() => createAnonymousClient({ issuer: ISSUER, clientId: 'c', fetch })).not.toThrow();
    } finally {
      restore();
    }
  });

  it('needs crypto.getRandomValues for unguessable idempotency keys, and says how to get it on React Native', () => {
    const restore = setGlobal('crypto', undefined);
    try {
      shouldRefuse(valid, /crypto\.getRandomValues .*react-native-get-random-values/);
    } finally {
      restore();
    }
  });

  it('finds the endpoints under the issuer, or beside the token endpoint', async () => {
    const server = new FakeServer();
    for (const options of [
      { issuer: `${ISSUER}/`, clientId: 'c', fetch: server.fetch },
      { tokenEndpoint: TOKEN_URL, clientId: 'c', fetch: server.fetch },
    ]) {
      const client = createAnonymousClient(options);
      await client.getAccessToken();
      await client.logout();
    }
    expect(server.calls.map((c) => c.url)).toEqual([TOKEN_URL, LOGOUT_URL, TOKEN_URL, LOGOUT_URL]);
  });
});
