import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { AnonymousSessionError, CrossSiteRequestError } from '../lib';
import { errorPage } from './views';

/**
 * How the shop answers when something goes wrong. API clients get `{ error, error_description }` with a stable
 * `error` code; people get a page that says what to do. Neither ever shows a stack trace or a file path, whatever
 * NODE_ENV says (Express's own final handler prints both outside production).
 */

/** An error the shop raises on purpose: its status, stable code and message are safe to show. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Wraps an async route so a rejection reaches the error handlers: Express 4 would leave it unhandled. */
export function route(handler: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler {
  return function asyncRoute(req, res, next) {
    handler(req, res, next).catch(next);
  };
}

interface Shown {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
}

/** What may be shown of an error: ours and the library's as they say; the body parsers' by type; the rest is a 500. */
function shown(err: unknown): Shown {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  if (err instanceof AnonymousSessionError && err.expose) return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  const parser = bodyParserError(err);
  if (parser) return { ...parser, headers: {} };
  return { status: 500, code: 'server_error', message: 'Something went wrong on our side. Please try again.', headers: {} };
}

/** body-parser's errors carry a `type`; their messages name no internals, but ours are clearer. */
function bodyParserError(err: unknown): Omit<Shown, 'headers'> | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed':
      return { status: 400, code: 'invalid_body', message: 'The request body could not be parsed: send valid JSON or form data' };
    case 'entity.too.large':
    case 'parameters.too.many':
      return { status: 413, code: 'body_too_large', message: 'The request body is too large (8 KiB at most)' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'unsupported_encoding', message: 'Send the body as UTF-8, without content encoding' };
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, code: 'invalid_body', message: 'The request body was incomplete' };
    default:
      return undefined;
  }
}

function logIfUnexpected(err: unknown, status: number, req: Request): void {
  // The server log is where internals belong. An outage is one line per request (the Redis client reports the
  // outage itself); anything else is a bug, with its stack.
  if (status === 503) console.error(`${req.method} ${req.originalUrl}: 503 ${(err as Error).message}`);
  else if (status >= 500) console.error(`${req.method} ${req.originalUrl}:`, err);
}

/** `/api/*`: every error as JSON with a stable code. */
export const apiErrors: ErrorRequestHandler = function apiErrors(err, req, res, next) {
  if (res.headersSent) return next(err);
  const { status, code, message, headers } = shown(err);
  logIfUnexpected(err, status, req);
  res.status(status).set(headers).set('Cache-Control', 'no-store').json({ error: code, error_description: message });
};

/** `/api/*` paths that do not exist. */
export const apiNotFound: RequestHandler = function apiNotFound(req, _res, next) {
  next(new HttpError(404, 'not_found', `No API route ${req.method} ${req.path}`));
};

/** Pages: a friendly page that says what to do, with the status a browser and a crawler should see. */
export const pageErrors: ErrorRequestHandler = function pageErrors(err, req, res, next) {
  if (res.headersSent) return next(err);
  const { status, message, headers } = shown(err);
  logIfUnexpected(err, status, req);
  res.status(status).set(headers).set('Cache-Control', 'no-store').type('html').send(errorPage(status, advice(err, status, message)));
};

export const pageNotFound: RequestHandler = function pageNotFound(_req, _res, next) {
  next(new HttpError(404, 'not_found', 'There is no page at this address.'));
};

function advice(err: unknown, status: number, message: string): string {
  if (err instanceof CrossSiteRequestError) {
    return err.reason === 'token'
      ? 'This form was out of date. Go back, reload the page and try again.'
      : 'This form was sent from another website, so we did not act on it. If you meant to do this, do it on our own pages.';
  }
  if (status === 413) return 'That form was too large for us to read. Go back and try again.';
  if (status === 503) return 'The shop is briefly unavailable. Please try again in a few seconds.';
  return message;
}
