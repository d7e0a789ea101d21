import * as accessToken from '../../lib/tokens/access-token';
import { anonymousSessions } from '../../lib';
import { ISSUER, AUDIENCE, frozenClock } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { runStrategy } from '../support/strategy';
import { internals, issueDirect } from '../support/internals';

describe('verified-token cache', () => {
  const clock = frozenClock(Date.now());
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, clock: clock.now });
  async function token(): Promise<string> {
    const record = await internals(anon).sessions.create();
    return (await issueDirect(anon, record, '', AUDIENCE)).access_token;
  }
  const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
  afterEach(() => jest.restoreAllMocks());

  it('checks the signature of a token once, then answers repeats from the cache with frozen claims', async () => {
    const verify = jest.spyOn(accessToken, 'verifyAccessToken');
    const strategy = anon.strategy();
    const t = await token();
    const first = await runStrategy(strategy, bearer(t));
    const second = await runStrategy(strategy, bearer(t));
    expect(first).toMatchObject({ kind: 'success' });
    expect(second).toMatchObject({ kind: 'success' });
    expect(verify).toHaveBeenCalledTimes(1);
    const claims = (second as { user: { claims: object } }).user.claims;
    expect(Object.isFrozen(claims)).toBe(true);
  });

  it('still refuses a cached token once it expired', async () => {
    const strategy = anon.strategy();
    const t = await token();
    expect((await runStrategy(strategy, bearer(t))).kind).toBe('success');
    clock.advance(900 + 5 + 1);
    expect(await runStrategy(strategy, bearer(t))).toMatchObject({ kind: 'fail', status: 401 });
  });

  it('never caches failures, and cacheSize 0 verifies every time', async () => {
    const verify = jest.spyOn(accessToken, 'verifyAccessToken');
    const off = anon.strategy({ cacheSize: 0 });
    const t = await token();
    await runStrategy(off, bearer(t));
    await runStrategy(off, bearer(t));
    expect(verify).toHaveBeenCalledTimes(2);
    const on = anon.strategy();
    await runStrategy(on, bearer(`${t}x`));
    await runStrategy(on, bearer(`${t}x`));
    expect(verify).toHaveBeenCalledTimes(4);
    expect(() => anon.strategy({ cacheSize: -1 })).toThrow('AnonymousStrategy.cacheSize');
  });

  it('with checkRevocation, a cached token of a revoked session is refused at once', async () => {
    const strategy = anon.strategy({ checkRevocation: true });
    const record = await internals(anon).sessions.create();
    const t = (await issueDirect(anon, record, '', AUDIENCE)).access_token;
    expect((await runStrategy(strategy, bearer(t))).kind).toBe('success');
    await anon.revokeSession(record.sessionId);
    expect(await runStrategy(strategy, bearer(t))).toMatchObject({ kind: 'fail', status: 401 });
  });
});
