import request from 'supertest';
import type { Express } from 'express';
import { MemoryStore, type AnonymousSessions, type IssueOptions } from '../../lib';
import { buildApp, route } from '../support/app';
import { decode } from '../support/oauth';
import { runStrategy } from '../support/strategy';

/** A page route that hands tokens to its own script: `req.anonymous.issueTokens()`. */
const mountIssuer = (a: Express) =>
  a.post('/page-tokens', route(async (req, res) => void res.json(await req.anonymous!.issueTokens(req.get('x-options') ? (JSON.parse(req.get('x-options')!) as IssueOptions) : undefined))));

describe('req.anonymous.issueTokens()', () => {
  it("mints tokens for the cookie's guest, which the strategy accepts", async () => {
    const { app, anon } = buildApp({ scopes: ['cart:read'] }, undefined, mountIssuer);
    const agent = request.agent(app);
    const me = (await agent.get('/me')).body;
    const tokens = (await agent.post('/page-tokens').set('x-options', JSON.stringify({ scope: 'cart:read' })).expect(200)).body;
    expect(decode(tokens.access_token).claims).toMatchObject({ sub: me.id, sid: me.sessionId, scope: 'cart:read', client_id: 'default' });
    const outcome = await runStrategy((anon as AnonymousSessions).strategy(), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(outcome).toMatchObject({ kind: 'success', user: { id: me.id } });
  });

  it('stores a lazy guest first, so the tokens name a guest that exists', async () => {
    const store = new MemoryStore();
    const { app, anon } = buildApp({ persist: 'write', store }, undefined, mountIssuer);
    const res = await request(app).post('/page-tokens').expect(200);
    expect(res.headers['set-cookie']).toBeDefined();
    const sid = decode(res.body.access_token).claims.sid as string;
    expect(await anon.getSession(sid)).toBeDefined();
  });

  it('checks scope, audience and client like the token endpoint', async () => {
    const { app } = buildApp({ scopes: ['a'], clients: [{ id: 'web', scopes: ['a'] }] }, undefined, mountIssuer);
    const agent = request.agent(app);
    await agent.get('/me');
    expect((await agent.post('/page-tokens').set('x-options', JSON.stringify({ clientId: 'web', scope: 'b' }))).body.error).toBe('invalid_scope');
    expect((await agent.post('/page-tokens').set('x-options', JSON.stringify({ clientId: 'web', audience: 'elsewhere' }))).body.error).toBe('invalid_target');
    expect((await agent.post('/page-tokens')).status).toBe(500); // clients configured: the app must name one
    const ok = (await agent.post('/page-tokens').set('x-options', JSON.stringify({ clientId: 'web', scope: 'a' })).expect(200)).body;
    expect(decode(ok.access_token).claims).toMatchObject({ client_id: 'web', scope: 'a' });
  });
});
