import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { buildApp } from '../support/app';
import { decode } from '../support/oauth';
import { TYPESCRIPT_CHILD } from '../support/typescript-child';

const CLI = join(__dirname, '../../lib/cli/main.ts');
/** What `npm run keygen -- …` runs in a clone (no build needed), and `npx express-anonymous-session keygen` after install. */
const keygen = (...args: string[]): string =>
  // Bounded: a child that hangs fails this test in 30 s instead of holding CI (see spec/support/typescript-child.ts).
  execFileSync(process.execPath, [...TYPESCRIPT_CHILD, CLI, 'keygen', ...args], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });

describe('express-anonymous-session keygen', () => {
  it.each([
    [['--alg=EdDSA'], 'EdDSA'],
    [['--alg', 'PS256'], 'PS256'],
    [[], 'ES256'],
  ])('%j prints a key set the library accepts, signing with %s', async (args, alg) => {
    const keys = JSON.parse(keygen(...args));
    const { app } = buildApp({ keys, rateLimit: false }, undefined, (a, anon) => a.use(anon.router()));
    const res = await request(app).post('/anonymous/token').send({}).expect(200);
    expect(decode(res.body.access_token).header.alg).toBe(alg);
  });

  it('with no command prints nothing on stdout and exits 2: ANON_KEYS="$(npx express-anonymous-session)" cannot come out empty unnoticed', () => {
    let failure: { status?: number; stdout?: string } | undefined;
    try {
      execFileSync(process.execPath, [...TYPESCRIPT_CHILD, CLI], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      failure = err as { status?: number; stdout?: string };
    }
    expect([failure?.status, failure?.stdout]).toEqual([2, '']);
  });

  it('refuses an unknown algorithm or flag with the usage, exit code 2', () => {
    for (const args of [['--alg=HS256'], ['--bogus']]) {
      let status: number | undefined;
      try {
        keygen(...args);
      } catch (err) {
        status = (err as { status?: number }).status;
      }
      expect(status).toBe(2);
    }
  });
});
