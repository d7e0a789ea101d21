import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeysOption } from '../../lib';

/**
 * Keys made once per test file (so tests run without the ephemeral-key warning and can sign test tokens), and
 * handed to app processes the tests start through EAS_TEST_KEYS, as production shares keys through configuration.
 */
const shared = process.env.EAS_TEST_KEYS ? (JSON.parse(process.env.EAS_TEST_KEYS) as { pem: string; secret: string }) : undefined;
const pem = shared?.pem ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
export const SESSION_SECRET = shared?.secret ?? randomBytes(32).toString('base64url');
process.env.EAS_TEST_KEYS = JSON.stringify({ pem, secret: SESSION_SECRET });

const privateKey = createPrivateKey(pem);
export const ACCESS_KEY = { privateKey, publicKey: createPublicKey(privateKey) };
export const TEST_KEYS: KeysOption = { accessToken: [pem], sessionToken: { secret: SESSION_SECRET } };
