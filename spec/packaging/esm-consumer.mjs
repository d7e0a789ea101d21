// An ESM app importing the built package by name (Node's package self-reference resolves it).
import { anonymousSessions, RedisStore, MemoryStore, AnonymousSessionError } from 'express-anonymous-session';

const anon = anonymousSessions({ issuer: 'https://shop.test', audience: 'api' });
if (typeof anon.middleware() !== 'function') throw new Error('ESM: middleware() is not a function');
if (typeof RedisStore !== 'function' || typeof MemoryStore !== 'function' || typeof AnonymousSessionError !== 'function') {
  throw new Error('ESM: missing exports');
}
console.log('ESM consumer ok');
