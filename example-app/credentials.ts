/** A username and password as a login form or JSON body sends them; anything else (arrays, objects, empty) is refused. */
export interface Credentials {
  username: string;
  password: string;
}

export function credentialsOf(body: unknown): Credentials | undefined {
  const { username, password } = (body ?? {}) as Record<string, unknown>;
  const ok = (value: unknown, max: number): value is string => typeof value === 'string' && value.length > 0 && value.length <= max;
  return ok(username, 100) && ok(password, 200) ? { username, password } : undefined;
}
