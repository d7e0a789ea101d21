import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * An async step that hands its failure to `next(err)`. Express 5 does this itself; Express 4 does not, and a
 * rejected handler there leaves the request hanging (or crashes the process on an unhandled rejection).
 */
export function step(fn: (req: Request, res: Response, next: NextFunction) => Promise<void>): RequestHandler {
  const wrapped = function (req: Request, res: Response, next: NextFunction): void {
    fn(req, res, next).catch(next);
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name }); // stack traces and app._router.stack name the step
  return wrapped;
}
