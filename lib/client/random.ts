/** `bytes` random bytes from `crypto.getRandomValues`, as hex digits. Never `Math.random`: keys made here are secrets. */
export function randomHex(bytes: number): string {
  const values = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (b) => (b + 256).toString(16).slice(1)).join('');
}
