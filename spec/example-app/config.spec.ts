import { anonymousSessions } from '../../lib';
import { ConfigError, readConfig } from '../../example-app/config';
import { TEST_KEYS } from '../support/keys';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const KEYS = JSON.stringify(TEST_KEYS);
/** What a production deployment sets at the least. */
const PRODUCTION = { NODE_ENV: 'production', SESSION_SECRET: SECRET, ANON_KEYS: KEYS };

function shouldRefuse(env: NodeJS.ProcessEnv, message: RegExp): void {
  let error: unknown;
  try {
    readConfig(env);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toMatch(message);
}

describe('example shop configuration: embedded defaults in development', () => {
  it('runs with nothing set: port 3000 on 127.0.0.1, in memory, one process', () => {
    const { config } = readConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', publicUrl: undefined, redisUrl: undefined, workers: 1, trustProxy: undefined });
  });

  it('makes a random session secret per start, and says so', () => {
    const first = readConfig({});
    const second = readConfig({});
    expect(first.config.sessionSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.config.sessionSecret).not.toBe(first.config.sessionSecret);
    expect(first.warnings.join('\n')).toMatch(/SESSION_SECRET is not set: .*sessions end when the shop restarts/);
  });

  it('makes signing keys the library accepts, and says how to keep them', () => {
    const { config, warnings } = readConfig({});
    expect(() => anonymousSessions({ issuer: 'http://shop.test', audience: 'shop-api', keys: config.keys })).not.toThrow();
    expect(warnings.join('\n')).toMatch(/ANON_KEYS is not set: .*ANON_KEYS="\$\(npm run -s keygen\)"/);
  });

  it('treats an empty variable as unset (REDIS_URL= npm start runs in memory)', () => {
    expect(readConfig({ REDIS_URL: '', PUBLIC_URL: ' ' }).config).toMatchObject({ redisUrl: undefined, publicUrl: undefined });
  });
});

describe('example shop configuration: production', () => {
  it('refuses to start without SESSION_SECRET, saying how to make one', () => {
    shouldRefuse({ NODE_ENV: 'production', ANON_KEYS: KEYS }, /SESSION_SECRET is required when NODE_ENV=production.*randomBytes\(32\)/);
  });

  it('refuses to start without ANON_KEYS, saying how to make them', () => {
    shouldRefuse({ NODE_ENV: 'production', SESSION_SECRET: SECRET }, /ANON_KEYS is required when NODE_ENV=production.*npm run -s keygen/);
  });

  it('starts without warnings when both are set', () => {
    const { config, warnings } = readConfig(PRODUCTION);
    expect(warnings).toEqual([]);
    expect(config.sessionSecret).toBe(SECRET);
    expect(config.keys).toEqual(TEST_KEYS);
  });
});

describe('example shop configuration: each setting is checked and named', () => {
  it('SESSION_SECRET: at least 32 characters', () => {
    shouldRefuse({ SESSION_SECRET: 'change-me' }, /SESSION_SECRET must be at least 32 random characters, got 9/);
  });

  it('ANON_KEYS: JSON of an object (the library checks the keys themselves)', () => {
    shouldRefuse({ ANON_KEYS: '{accessToken' }, /ANON_KEYS is not JSON .*npm run -s keygen/);
    shouldRefuse({ ANON_KEYS: '[]' }, /ANON_KEYS must be a JSON object/);
  });

  it('PUBLIC_URL: an http(s) origin, normalized', () => {
    expect(readConfig({ PUBLIC_URL: 'HTTPS://Shop.Example:443/' }).config.publicUrl).toBe('https://shop.example');
    for (const bad of ['shop.example', 'https://shop.example/shop', 'https://shop.example/?a=1', 'https://u:p@shop.example', 'ftp://shop.example']) {
      shouldRefuse({ PUBLIC_URL: bad }, /PUBLIC_URL must be the origin clients use/);
    }
  });

  it('ISSUER: not read, and says that PUBLIC_URL is', () => {
    expect(readConfig({ ISSUER: 'https://shop.example' }).warnings).toContain('ISSUER is not read: the issuer of tokens is PUBLIC_URL, the URL clients use for the shop');
  });

  it('PORT, REDIS_URL, WORKERS, TRUST_PROXY', () => {
    shouldRefuse({ PORT: '80a' }, /PORT must be a port number/);
    shouldRefuse({ PORT: '70000' }, /PORT must be a port number/);
    shouldRefuse({ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    shouldRefuse({ WORKERS: '0', REDIS_URL: 'redis://r' }, /WORKERS must be a whole number from 1 to 64/);
    shouldRefuse({ WORKERS: '2' }, /WORKERS=2 needs REDIS_URL/);
    expect(readConfig({ WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:6379' }).config.workers).toBe(2);
    expect(readConfig({ TRUST_PROXY: '1' }).config.trustProxy).toBe(1);
    expect(readConfig({ TRUST_PROXY: 'true' }).config.trustProxy).toBe(true);
    expect(readConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).config.trustProxy).toBe('loopback, 10.0.0.0/8');
    shouldRefuse({ TRUST_PROXY: '10.0.0.300' }, /TRUST_PROXY must be true, a hop count, or addresses/);
  });

  it('ACCESS_TOKEN_LIFETIME: whole seconds from 1 to 3600, unset by default (the library\'s 900)', () => {
    expect(readConfig({}).config.accessTokenLifetime).toBeUndefined();
    expect(readConfig({ ACCESS_TOKEN_LIFETIME: '3' }).config.accessTokenLifetime).toBe(3);
    for (const bad of ['0', '3601', '2.5', '15m']) shouldRefuse({ ACCESS_TOKEN_LIFETIME: bad }, /ACCESS_TOKEN_LIFETIME must be a whole number of seconds from 1 to 3600/);
  });

  it('warns that tokens would name a wildcard address as issuer when HOST is one and PUBLIC_URL is not set', () => {
    expect(readConfig({ HOST: '0.0.0.0' }).warnings.join('\n')).toMatch(/PUBLIC_URL is not set, so tokens name http:\/\/0\.0\.0\.0:… as their issuer/);
    expect(readConfig({ HOST: '0.0.0.0', PUBLIC_URL: 'https://shop.example' }).warnings.join('\n')).not.toMatch(/PUBLIC_URL/);
  });
});
