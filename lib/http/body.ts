import express from 'express';
import type { IncomingMessage } from 'node:http';
import { hasDuplicateKey } from './duplicate-keys';

/** Bodies the endpoints accept: small JSON or form bodies, parsed by the endpoints themselves (mount order free). */
export const BODY_LIMIT = '32kb';

/** The body-parser error `type` of a JSON body that repeats a key (rendered as `invalid_request`). */
export const REPEATED_KEY = 'parameter.repeated';

/** body-parser wraps what `verify` throws with http-errors, so this throws a plain error it can decorate. */
function refuseDuplicateKeys(_req: IncomingMessage, _res: unknown, buffer: Buffer): void {
  if (hasDuplicateKey(buffer.toString('utf8'))) throw Object.assign(new Error('A parameter is repeated'), { status: 400, type: REPEATED_KEY });
}

export const parseJson = express.json({ limit: BODY_LIMIT, verify: refuseDuplicateKeys });
export const parseForm = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 });

/** Whether the request has no body at all (a logout with nothing to say). */
export function hasNoBody(req: express.Request): boolean {
  return req.headers['transfer-encoding'] === undefined && Number(req.headers['content-length'] ?? 0) === 0;
}
