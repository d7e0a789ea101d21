import { generateKeyPairSync, randomBytes } from 'node:crypto';
import request from 'supertest';
import { MemoryStore } from '../../lib';
import { buildApp } from '../support/app';
import { decode, shouldBeTokenResponse } from '../support/oauth';
import { runStrategy } from '../support/strategy';
import { internals } from '../support/internals';

const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const secret = () => randomBytes(32).toString('base64url');

describe('key rotation: the first key signs, all keys verify', () => {
  it('tokens made before a rotation keep working after it, and new tokens use the new keys', async () => {
    const store = new MemoryStore();
    const [oldAccess, newAccess, oldSession, newSession] = [pem(), pem(), secret(), secret()];
    const mount = (a: import('express').Express, anon: import('../../lib').AnonymousSessions) => a.use(anon.router());
    const before = buildApp({ store, rateLimit: false, keys: { accessToken: [oldAccess], sessionToken: [{ secret: oldSession }] } }, undefined, mount);
    const after = buildApp({ store, rateLimit: false, keys: { accessToken: [newAccess, oldAccess], sessionToken: [{ secret: newSession }, { secret: oldSession }] } }, undefined, mount);

    const issued = (await request(before.app).post('/anonymous/token').send({})).body;
    // the old access token verifies against the rotated key set
    expect((await runStrategy(after.anon.strategy(), { headers: { authorization: `Bearer ${issued.access_token}` } })).kind).toBe('success');
    // the old session token renews, and what comes back is signed with the new keys
    const renewed = await request(after.app).post('/anonymous/token').send({ session_token: issued.session_token });
    shouldBeTokenResponse(renewed);
    expect(decode(renewed.body.access_token).header.kid).toBe(internals(after.anon).tokens.options.accessKeys.current.kid);
    expect(decode(renewed.body.session_token).header.kid).toBe(internals(after.anon).tokens.options.sessionKeys.current.kid);
    expect(decode(renewed.body.access_token).header.kid).not.toBe(decode(issued.access_token).header.kid);

    // once the old key is dropped, its tokens stop verifying
    const dropped = buildApp({ store, rateLimit: false, keys: { accessToken: [newAccess], sessionToken: [{ secret: newSession }] } }, undefined, mount);
    expect((await runStrategy(dropped.anon.strategy(), { headers: { authorization: `Bearer ${issued.access_token}` } })).kind).toBe('fail');
    expect((await request(dropped.app).post('/anonymous/token').send({ session_token: issued.session_token })).body.error).toBe('invalid_session_token');
  });
});
