import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeysOption } from '../../lib';

/** Keys made once per test file, so tests run without the ephemeral-key warning and can sign test tokens. */
export const ACCESS_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const SESSION_SECRET = randomBytes(32).toString('base64url');
export const TEST_KEYS: KeysOption = {
  accessToken: [ACCESS_KEY.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
  sessionToken: { secret: SESSION_SECRET },
};
