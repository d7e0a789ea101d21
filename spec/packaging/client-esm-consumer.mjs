// An ES module importing the built client by name: dist/client/index.mjs, with no dependency and no Node built-in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createAnonymousClient, AnonymousClientError } from 'express-anonymous-session/client';

const file = fileURLToPath(import.meta.resolve('express-anonymous-session/client'));
if (!file.endsWith('/dist/client/index.mjs')) throw new Error(`ESM client: resolved ${file}`);
if (/\bfrom\s*["'](?!\.)|\bimport\s*\(|\brequire\s*\(/.test(readFileSync(file, 'utf8'))) {
  throw new Error('ESM client: the bundle imports something; it must be self-contained');
}

const calls = [];
const fetch = async (url, init) => {
  calls.push({ url, key: new Headers(init.headers).get('idempotency-key') });
  return new Response(JSON.stringify({ access_token: 'at', expires_in: 900, session_token: 'st', session_expires_in: 60 }), { status: 200 });
};
const client = createAnonymousClient({ issuer: 'https://shop.test', clientId: 'default', fetch });
if ((await client.getAccessToken()) !== 'at') throw new Error('ESM client: no access token');
if (calls[0].url !== 'https://shop.test/anonymous/token' || !/^[0-9a-f]{32}$/.test(calls[0].key)) throw new Error('ESM client: wrong request');
if (!(new AnonymousClientError('invalid_grant') instanceof Error)) throw new Error('ESM client: AnonymousClientError');
console.log('ESM client consumer ok');
