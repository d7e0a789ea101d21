import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

type Step = RequestHandler | ErrorRequestHandler;

/**
 * Steps run as one Express handler, with Express's rules: `next()` goes to the next step, `next(err)` (or a throw,
 * or a rejected promise) to the next step with four parameters, and past the last step to Express's own `next`.
 * Without the router's work per layer: the token endpoint is twelve steps, and Express's router was 13% of its CPU
 * against 11% for a hand-written route (bench/README.md).
 */
export function pipeline(steps: readonly Step[]): RequestHandler {
  const list = [...steps];
  const handlesErrors = list.map((s) => s.length === 4);
  return function pipeline(req: Request, res: Response, done: NextFunction): void {
    let at = 0;
    const next = (err?: unknown): void => {
      if (err === 'route' || err === 'router') return done(err);
      const failed = err !== undefined && err !== null && err !== false && err !== '';
      while (at < list.length) {
        const i = at++;
        if (handlesErrors[i] !== failed) continue;
        let result: unknown;
        try {
          result = failed ? (list[i] as ErrorRequestHandler)(err, req, res, next) : (list[i] as RequestHandler)(req, res, next);
        } catch (thrown) {
          return next(thrown ?? new Error('A step threw without an error'));
        }
        if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
          (result as Promise<unknown>).then(undefined, (rejected: unknown) => next(rejected ?? new Error('A step rejected without an error')));
        }
        return;
      }
      done(failed ? err : undefined);
    };
    next();
  };
}
