import { createAnonymousClient, AnonymousClientError } from '../../lib/client';
import { FakeServer, ISSUER, json } from './support/fake-server';

function clientOf(server: FakeServer) {
  return createAnonymousClient({ issuer: ISSUER, clientId: 'shop-spa', fetch: server.fetch });
}

describe('AnonymousClientError', () => {
  it("carries the server's OAuth error, description and status", async () => {
    const server = new FakeServer();
    server.script(() => json(400, { error: 'invalid_scope', error_description: 'The scope admin is not allowed' }));
    const err: unknown = await clientOf(server).getAccessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnonymousClientError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      name: 'AnonymousClientError',
      error: 'invalid_scope',
      error_description: 'The scope admin is not allowed',
      status: 400,
      retryAfter: undefined,
      message: 'invalid_scope: The scope admin is not allowed',
    });
  });

  it('is invalid_response, with the status, when the answer is not an OAuth error body', async () => {
    const server = new FakeServer();
    server.script(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    await expect(clientOf(server).getAccessToken()).rejects.toMatchObject({ error: 'invalid_response', status: 502 });
  });

  it('is invalid_response when a 200 lacks the tokens', async () => {
    for (const body of [{ access_token: 'a' }, { access_token: 'a', expires_in: 900 }, 'not json']) {
      const server = new FakeServer();
      server.script(() => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200 }));
      await expect(clientOf(server).getAccessToken()).rejects.toMatchObject({ error: 'invalid_response', status: 200 });
    }
  });

  it('keeps the network failure as its cause', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      const failure = new TypeError('fetch failed');
      const client = createAnonymousClient({ issuer: ISSUER, clientId: 'c', fetch: () => Promise.reject(failure) });
      const err = client.getAccessToken().catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(5000);
      expect(await err).toMatchObject({ error: 'network_error', status: undefined, cause: failure });
    } finally {
      jest.useRealTimers();
    }
  });
});
