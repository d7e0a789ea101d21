import { anonymousSessions, MemoryStore, MisconfiguredError, type AnonymousStore } from '../../lib';
import { AUDIENCE, ISSUER } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { eventually } from '../support/eventually';
import { describeLifecycle, movableClock } from './lifecycle-contract';

describeLifecycle('MemoryStore', async () => {
  const clock = movableClock();
  return { store: new MemoryStore({ clock: clock.now }), clock };
});

describe('the in-app reaper', () => {
  it('runs by itself every lifecycle.reaper.interval and stops with anon.close()', async () => {
    const clock = movableClock();
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, clock: clock.now, rateLimit: false, lifecycle: { reaper: { interval: 1 } } });
    const expired: string[] = [];
    anon.on('expired', (e) => void expired.push(e.sessionId));
    const guest = await anon.createSession();
    clock.advance(7 * 86_400 + 3600); // past the idle expiry, within the grace
    await eventually(async () => expired, (ids) => ids.length > 0, 5000);
    expect(expired).toEqual([guest.sessionId]);
    anon.close();
  });

  it('refuses reaper options of the wrong shape, naming them', () => {
    const make = (lifecycle: unknown) => () => anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, lifecycle: lifecycle as never });
    expect(make({ reaper: 'yes' })).toThrow('lifecycle.reaper: must be an object');
    expect(make({ reaper: { interval: 0 } })).toThrow('lifecycle.reaper.interval: must be a positive integer');
    expect(make({ reaper: { batchSize: 5 } })).toThrow('lifecycle.reaper.batchSize: is not an option; did you mean lifecycle.reaper.batch?');
    expect(make({ reaps: true })).toThrow('lifecycle.reaps: is not an option');
  });
});

describe('anon.admin arguments', () => {
  it('refuses arguments of the wrong type with a TypeError', async () => {
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, lifecycle: { reaper: false } });
    await expect(anon.admin.find(42 as never)).rejects.toThrow(new TypeError('anonymousUserId must be a non-empty string'));
    await expect(anon.admin.erase('')).rejects.toThrow(TypeError);
    await expect(anon.admin.eraseLinksOf(undefined as never)).rejects.toThrow('userId must be a non-empty string');
    await expect(anon.admin.list({ limit: 0 })).rejects.toThrow('limit must be an integer from 1 to 1000');
    await expect(anon.admin.list({ cursor: 7 as never })).rejects.toThrow('cursor must be a string');
    anon.close();
  });
});

describe('a store without guests (a custom AnonymousStore)', () => {
  it('works, but anon.admin refuses, naming what is missing, and an expired listener is warned about', async () => {
    const memory = new MemoryStore();
    const store = new Proxy(memory, { get: (target, p) => (p === 'guests' ? undefined : Reflect.get(target, p, target)) }) as AnonymousStore;
    const warned: string[] = [];
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, store, logger: { warn: (m) => void warned.push(m) } });
    expect((await anon.createSession()).state).toBe('active');
    await expect(anon.admin.find('anon|x')).rejects.toThrow(MisconfiguredError);
    await expect(anon.admin.count()).rejects.toThrow('anon.admin needs a store with `guests`');
    anon.on('expired', () => undefined);
    expect(warned).toEqual([expect.stringContaining("an 'expired' listener was added, but the store has no `guests`")]);
    anon.close();
    memory.close();
  });
});
