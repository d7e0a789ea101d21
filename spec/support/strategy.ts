import type { Request } from 'express';
import type { Strategy } from 'passport-strategy';

export type Outcome =
  | { kind: 'success'; user: unknown }
  | { kind: 'fail'; challenge: unknown; status: number | undefined }
  | { kind: 'error'; err: unknown }
  | { kind: 'pass' };

/** Runs a strategy without a server, as passport would: on a per-request clone with the four actions attached. */
export function runStrategy(strategy: Strategy, req: Partial<Request>, options: object = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = Object.create(strategy) as Strategy & Record<string, unknown>;
    s.success = (user: unknown) => resolve({ kind: 'success', user });
    s.fail = (challenge: unknown, status?: number) =>
      typeof challenge === 'number' ? resolve({ kind: 'fail', challenge: undefined, status: challenge }) : resolve({ kind: 'fail', challenge, status });
    s.error = (err: unknown) => resolve({ kind: 'error', err });
    s.pass = () => resolve({ kind: 'pass' });
    s.redirect = () => resolve({ kind: 'error', err: new Error('unexpected redirect') });
    const fake = { headers: {}, method: 'GET', query: {}, is: () => false, ...req } as unknown as Request;
    s.authenticate(fake, options);
  });
}

/** RFC 6750 challenge grammar: `Bearer` and comma-separated auth-params with quoted-string values. */
export const WELL_FORMED_CHALLENGE = /^Bearer realm="[\x20\x21\x23-\x5B\x5D-\x7E]*"(, (error|error_description|scope)="[\x20\x21\x23-\x5B\x5D-\x7E]*")*$/;

/** A response as far as the strategy touches it: headers, and writeHead as passport's final response calls it. */
export function fakeResponse(): { headers: Record<string, string>; statusCode: number; setHeader(n: string, v: string): void; hasHeader(n: string): boolean; writeHead(code: number): unknown } {
  const headers: Record<string, string> = {};
  return {
    headers,
    statusCode: 200,
    setHeader: (n, v) => void (headers[n.toLowerCase()] = v),
    hasHeader: (n) => n.toLowerCase() in headers,
    writeHead(code: number) {
      this.statusCode = code;
      return this;
    },
  };
}
