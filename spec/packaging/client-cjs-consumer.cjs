// A CommonJS module requiring the built client by name: dist/client/index.js.
const { createAnonymousClient, AnonymousClientError } = require('express-anonymous-session/client');

const file = require.resolve('express-anonymous-session/client');
if (!file.endsWith('/dist/client/index.js')) throw new Error(`CJS client: resolved ${file}`);

const fetch = async () =>
  new Response(JSON.stringify({ access_token: 'at', expires_in: 900, session_token: 'st', session_expires_in: 60 }), { status: 200 });
const client = createAnonymousClient({ issuer: 'https://shop.test', clientId: 'default', fetch });
client.getAccessToken().then((token) => {
  if (token !== 'at') throw new Error('CJS client: no access token');
  if (typeof AnonymousClientError !== 'function') throw new Error('CJS client: AnonymousClientError');
  console.log('CJS client consumer ok');
});
