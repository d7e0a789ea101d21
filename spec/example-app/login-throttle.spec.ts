import request from 'supertest';
import type { Shop } from '../../example-app/app';
import { LoginThrottle } from '../../example-app/login-throttle';
import { fromShop, signUp, startShop } from './shop';

describe('the example shop slows password guessing (each check costs an scrypt hash)', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
    await signUp(shop.app, 'alice', 'alice-correct-horse');
  });
  afterAll(() => shop.close());

  it('after 10 wrong passwords for one username, the API answers 429 with Retry-After, even for the right password', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await request(shop.app).post('/api/login').send({ username: 'alice', password: `guess-${i}` });
      expect(res.status).toBe(401);
    }
    const blocked = await request(shop.app).post('/api/login').send({ username: 'Alice', password: 'alice-correct-horse' });
    expect({ status: blocked.status, error: blocked.body.error }).toEqual({ status: 429, error: 'too_many_attempts' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The form login is the same account's door: refused too, with a page, not a stack trace.
    const page = await fromShop(request(shop.app).post('/login')).type('form').send({ username: 'alice', password: 'alice-correct-horse' });
    expect(page.status).toBe(429);
    expect(page.type).toBe('text/html');
  });

  it('counts attempts per client address and per username; a success clears the username', () => {
    let now = 0;
    const throttle = new LoginThrottle({ failuresPerUser: 2, userWindowMs: 1000, attemptsPerAddress: 3, addressWindowMs: 1000 }, () => now);
    const verdict = (username: string, ip = '198.51.100.7') => {
      let error: unknown;
      throttle.guard()({ ip, body: { username, password: 'a guess' } } as never, {} as never, (err?: unknown) => (error = err));
      return error === undefined ? 'pass' : (error as { status: number }).status;
    };
    expect(verdict('bob')).toBe('pass');
    throttle.failed('bob');
    throttle.failed('bob');
    expect(verdict('bob', '203.0.113.9')).toBe(429); // the username's failures, from any address
    throttle.succeeded('bob');
    expect(verdict('carol')).toBe('pass'); // the first address's second attempt
    expect(verdict('dave')).toBe('pass'); // its third
    expect(verdict('erin')).toBe(429); // its fourth within the window
    now = 1000;
    expect(verdict('erin')).toBe('pass'); // a new window
  });
});
