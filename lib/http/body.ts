import express from 'express';

/** Bodies the endpoints accept: small JSON or form bodies, parsed by the endpoints themselves (mount order free). */
export const BODY_LIMIT = '32kb';
export const parseJson = express.json({ limit: BODY_LIMIT });
export const parseForm = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 });

/** Whether the request has no body at all (a logout with nothing to say). */
export function hasNoBody(req: express.Request): boolean {
  return req.headers['transfer-encoding'] === undefined && Number(req.headers['content-length'] ?? 0) === 0;
}
