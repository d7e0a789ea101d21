import { anonymousSessions, MemoryStore } from '../../lib';
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
