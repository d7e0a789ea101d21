// A CommonJS app requiring the built package by name.
const { anonymousSessions, RedisStore, MemoryStore, AnonymousSessionError } = require('express-anonymous-session');

const anon = anonymousSessions({ issuer: 'https://shop.test', audience: 'api' });
if (typeof anon.middleware() !== 'function') throw new Error('CJS: middleware() is not a function');
if (typeof RedisStore !== 'function' || typeof MemoryStore !== 'function' || typeof AnonymousSessionError !== 'function') {
  throw new Error('CJS: missing exports');
}
console.log('CJS consumer ok');
