/**
 * `url` with `transfer_ticket=<ticket>` added to its query, before any fragment. Works on relative URLs too
 * (no base URL needed, so also in React Native and Node).
 */
export function withTransferTicket(url: string, ticket: string): string {
  const hash = url.indexOf('#');
  const path = hash < 0 ? url : url.slice(0, hash);
  return `${path}${path.includes('?') ? '&' : '?'}transfer_ticket=${encodeURIComponent(ticket)}${hash < 0 ? '' : url.slice(hash)}`;
}
