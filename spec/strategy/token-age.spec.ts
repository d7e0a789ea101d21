import { SignJWT } from 'jose';
import { anonymousSessions } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { ACCESS_KEY, TEST_KEYS } from '../support/keys';
import { internals } from '../support/internals';
import { runStrategy } from '../support/strategy';

/**
 * Defence in depth: a token signed by a configured key is still refused when its times say the issuer never minted
 * it (issued in the future, or living longer than the longest access-token lifetime), in case a key ever signs
 * something it should not.
 */
describe('the strategy refuses access tokens whose age is impossible', () => {
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, accessTokenLifetime: 900 });
  const kid = internals(anon).tokens.options.accessKeys.current.kid;
  const now = Math.floor(Date.now() / 1000);
  const sign = (iat: number, exp: number) =>
    new SignJWT({ client_id: 'default', scope: '', sid: 's', anonymous: true })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('anon|x').setIssuedAt(iat).setExpirationTime(exp).setJti('j')
      .sign(ACCESS_KEY.privateKey);
  const outcome = async (token: string) => runStrategy(anon.strategy({ cacheSize: 0 }), { headers: { authorization: `Bearer ${token}` } });

  it('accepts a token as the issuer mints it', async () => {
    expect((await outcome(await sign(now, now + 900))).kind).toBe('success');
  });

  it.each([
    ['iat an hour in the future', now + 3600, now + 3600 + 600],
    ['a ten-year lifetime', now, now + 10 * 365 * 86400],
    ['iat a year ago, not yet expired', now - 365 * 86400, now + 600],
    ['a lifetime one second past accessTokenLifetime', now, now + 901],
  ])('%s', async (_name, iat, exp) => {
    const result = await outcome(await sign(iat, exp));
    expect(result).toMatchObject({ kind: 'fail', status: 401 });
    expect(String((result as { challenge: string }).challenge)).toContain('error="invalid_token"');
  });
});
