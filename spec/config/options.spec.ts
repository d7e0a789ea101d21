import { anonymousSessions, type AnonymousSessionsOptions } from '../../lib';
import { shouldRefuseOption } from '../support/config';

import { TEST_KEYS } from '../support/keys';
import { internals } from '../support/internals';

const base = { issuer: 'https://shop.test', audience: 'https://api.shop.test', keys: TEST_KEYS };

const refused = (options: unknown, option: string, message: RegExp) =>
  shouldRefuseOption(() => anonymousSessions(options as AnonymousSessionsOptions), option, message);

describe('options are validated once, at construction, naming the option', () => {
  it('requires issuer and audience', () => {
    refused({ audience: 'x' }, 'issuer', /non-empty string/);
    refused({ issuer: 'shop' }, 'issuer', /absolute URL/);
    refused({ issuer: 'https://shop.test/?q=1', audience: 'x' }, 'issuer', /query/);
    refused({ issuer: 'https://shop.test' }, 'audience', /non-empty string/);
    refused({ ...base, audience: [] }, 'audience', /at least one/);
    refused({ ...base, audience: ['a', ''] }, 'audience[1]', /non-empty/);
  });

  it('refuses zero, negative and fractional durations and limits (no `||` that swallows 0)', () => {
    refused({ ...base, lifetimes: { idle: 0 } }, 'lifetimes.idle', /positive integer, got 0/);
    refused({ ...base, lifetimes: { absolute: -1 } }, 'lifetimes.absolute', /positive integer/);
    refused({ ...base, lifetimes: { idle: 100, absolute: 10 } }, 'lifetimes.idle', /must not exceed lifetimes.absolute/);
    refused({ ...base, limits: { metadataBytes: 1.5 } }, 'limits.metadataBytes', /positive integer/);
    refused({ ...base, limits: { metadataKeys: '10' } }, 'limits.metadataKeys', /positive integer, got "10"/);
  });

  it('checks the shape of store, skip, idPrefix and logger', () => {
    refused({ ...base, store: {} }, 'store', /AnonymousStore/);
    refused({ ...base, skip: true }, 'skip', /function/);
    refused({ ...base, idPrefix: 'a b' }, 'idPrefix', /without spaces/);
    refused({ ...base, logger: {} }, 'logger', /warn/);
  });

  it('applies documented defaults', () => {
    const { sessions, tokens } = internals(anonymousSessions(base));
    expect(tokens.options).toMatchObject({ audience: ['https://api.shop.test'], accessTokenLifetime: 900, clockTolerance: 5 });
    expect(sessions.options).toMatchObject({
      idPrefix: 'anon|',
      lifetimes: { idle: 7 * 86400, absolute: 30 * 86400, touchInterval: 60 },
      limits: { metadataBytes: 4096, metadataDepth: 5, metadataKeys: 100, updateAttempts: 10 },
      sessionKey: 'anonymous',
      persist: 'page-view',
    });
  });

  it('warns once when the in-memory default runs in production', () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) };
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      anonymousSessions({ ...base, logger });
      anonymousSessions({ ...base, logger });
    } finally {
      process.env.NODE_ENV = env;
    }
    expect(warnings.filter((w) => /kept in memory.*RedisStore/.test(w))).toHaveLength(1);
  });
});

describe('keys and options as they arrive from the environment: refused with what to pass', () => {
  const keygenOutput = { accessToken: [JSON.parse(JSON.stringify(TEST_KEYS.accessToken))[0]], sessionToken: TEST_KEYS.sessionToken };
  const noKeys = { issuer: 'https://shop.test', audience: 'https://api.shop.test' };

  it('refuses keys of the wrong shape instead of falling back to ephemeral keys', () => {
    refused({ ...noKeys, keys: JSON.stringify(keygenOutput) }, 'keys', /is a string; parse it first, e\.g\. keys: JSON\.parse\(process\.env\.ANON_KEYS!\)/);
    refused({ ...noKeys, keys: [keygenOutput] }, 'keys', /is an array;.*\{ accessToken: \[\.\.\.\], sessionToken: \[\.\.\.\]/);
    refused({ ...noKeys, keys: { keys: keygenOutput } }, 'keys.keys', /nested one level too deep/);
    refused({ ...noKeys, keys: { access_token: keygenOutput.accessToken } }, 'keys.access_token', /did you mean keys\.accessToken\?/);
  });

  it('refuses unknown options with the nearest valid name', () => {
    refused({ ...base, lifetime: 3600 }, 'lifetime', /is not an option; did you mean lifetimes\?/);
    refused({ ...base, lifetimes: { idleTimeout: 60 } }, 'lifetimes.idleTimeout', /did you mean lifetimes\.idle\?/);
    refused({ ...base, rate_limit: false }, 'rate_limit', /did you mean rateLimit\?/);
    refused({ ...base, clients: [{ id: 'web', default_scopes: [] }] }, 'clients[0].default_scopes', /did you mean clients\[0\]\.defaultScopes\?/);
    refused({ ...base, lazy: true }, 'lazy', /replaced by persist: 'write'/);
  });

  describe('under NODE_ENV=production', () => {
    const env = process.env.NODE_ENV;
    beforeEach(() => {
      process.env.NODE_ENV = 'production';
    });
    afterEach(() => {
      process.env.NODE_ENV = env;
    });

    it('refuses to start on ephemeral keys, naming the missing ones and the fix', () => {
      refused(noKeys, 'keys.accessToken', /required under NODE_ENV=production.*keygen.*allowEphemeralKeys/);
      refused({ ...noKeys, keys: { accessToken: keygenOutput.accessToken } }, 'keys.sessionToken', /required under NODE_ENV=production/);
    });

    it('starts with keys, or with ephemeral keys when explicitly allowed (and says which keys are missing)', () => {
      expect(() => anonymousSessions({ ...noKeys, keys: keygenOutput, logger: { warn: () => undefined } })).not.toThrow();
      const warnings: string[] = [];
      anonymousSessions({ ...noKeys, allowEphemeralKeys: true, keys: { accessToken: keygenOutput.accessToken }, logger: { warn: (m) => warnings.push(m) } });
      expect(warnings.join('\n')).toMatch(/keys\.sessionToken is not set: ephemeral keys were generated/);
      expect(warnings.join('\n')).not.toMatch(/keys\.accessToken/);
    });
  });
});
