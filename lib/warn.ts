/** Where the library reports misconfiguration it can survive. Defaults to `console.warn`. */
export interface Logger {
  warn(message: string): void;
}

export const consoleLogger: Logger = {
  warn: (message) => console.warn(message),
};

/** Warns once per logger and key: loud enough to be seen, never a flood under load. */
export function warnOnce(logger: Logger, key: string, message: string): void {
  let seen = warned.get(logger);
  if (!seen) warned.set(logger, (seen = new Set()));
  if (seen.has(key)) return;
  seen.add(key);
  logger.warn(`express-anonymous-session: ${message}`);
}

const warned = new WeakMap<Logger, Set<string>>();
