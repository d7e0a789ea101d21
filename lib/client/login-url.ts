/**
 * `url` with `transfer_ticket=<ticket>` added to its query, before any fragment. Works on relative URLs too
 * (no base URL needed, so also in React Native and Node).
 */
export function withTransferTicket(url: string, ticket: string): string {
  // Everything before the first `#`; a function as the replacement, so that no `$` in it is read as a pattern.
  return url.replace(/^[^#]*/, (path) => `${path}${path.includes('?') ? '&' : '?'}transfer_ticket=${encodeURIComponent(ticket)}`);
}
