import { MemoryStore } from '../../lib';
import { describeLifecycle, movableClock } from './lifecycle-contract';

describeLifecycle('MemoryStore', async () => {
  const clock = movableClock();
  return { store: new MemoryStore({ clock: clock.now }), clock };
});
