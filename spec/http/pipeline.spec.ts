import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import request from 'supertest';
import { pipeline } from '../../lib/http/pipeline';

/** An app whose one route is `pipeline(steps)`, then Express's own error handling (a 500 naming the error). */
function app(steps: Array<RequestHandler | ErrorRequestHandler>) {
  const a = express();
  a.post('/p', pipeline(steps), (_req, res) => void res.json({ fellThrough: true }));
  a.use(((err: Error, _req, res, _next) => void res.status(500).json({ escaped: err.message })) as ErrorRequestHandler);
  return a;
}

const mark = (name: string): RequestHandler => (req, _res, next) => {
  ((req as unknown as { seen: string[] }).seen ??= []).push(name);
  next();
};
const fails = (message: string): RequestHandler => (_req, _res, next) => next(new Error(message));
const later: RequestHandler = (_req, _res, next) => void setImmediate(next);
const answer: RequestHandler = (req, res) => void res.json({ seen: (req as unknown as { seen: string[] }).seen });
const render: ErrorRequestHandler = (err: Error, req, res, _next) => void res.status(400).json({ error: err.message, seen: (req as unknown as { seen?: string[] }).seen });

describe('pipeline: steps as one handler, with Express rules', () => {
  it('runs the steps in order, including steps that call next later (a body parser)', async () => {
    const res = await request(app([mark('a'), express.json(), mark('b'), later, mark('c'), render, answer])).post('/p').send({ x: 1 });
    expect(res.body).toEqual({ seen: ['a', 'b', 'c'] });
  });

  it('next(err), a throw and a rejected promise all skip to the next error handler', async () => {
    const fail: Array<[string, RequestHandler]> = [
      ['next(err)', (_req, _res, next) => next(new Error('boom'))],
      ['throw', () => { throw new Error('boom'); }],
      ['rejection', async () => { throw new Error('boom'); }],
    ];
    for (const [, step] of fail) {
      const res = await request(app([mark('a'), step, mark('skipped'), render, answer])).post('/p');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'boom', seen: ['a'] });
    }
  });

  it("an error handler's next(err) reaches the next one, then Express's; next() past the end reaches the route's next handler", async () => {
    const passOn: ErrorRequestHandler = (err, _req, _res, next) => next(err);
    const escaped = await request(app([fails('late'), passOn])).post('/p');
    expect(escaped.status).toBe(500);
    expect(escaped.body).toEqual({ escaped: 'late' });
    const through = await request(app([mark('a'), render])).post('/p');
    expect(through.body).toEqual({ fellThrough: true });
  });

  it('error handlers are skipped when nothing failed', async () => {
    const res = await request(app([mark('a'), render, mark('b'), answer])).post('/p');
    expect(res.body).toEqual({ seen: ['a', 'b'] });
  });
});
