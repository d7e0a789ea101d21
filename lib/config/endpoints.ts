/** The paths `anon.router()` serves, in one place: the router mounts them, tokens and discovery name their URLs. */
export const PATHS = {
  token: '/anonymous/token',
  logout: '/anonymous/logout',
  revocation: '/anonymous/revoke',
  introspection: '/anonymous/introspect',
  jwks: '/.well-known/jwks.json',
} as const;

export type EndpointName = keyof typeof PATHS;

/** Absolute URLs of the endpoints under `issuer` (the issuer's path, if any, is kept). */
export function endpointUrls(issuer: string): Record<EndpointName, string> {
  const base = issuer.replace(/\/+$/, '');
  const urls = {} as Record<EndpointName, string>;
  for (const name of Object.keys(PATHS) as EndpointName[]) urls[name] = `${base}${PATHS[name]}`;
  return urls;
}

/** RFC 8414 section 3: for an issuer with a path, the well-known segment goes between host and path. */
export function metadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, '');
  return `/.well-known/oauth-authorization-server${path}`;
}
