/** Where the library reports what it survives: misconfiguration warnings and runtime failures. Default `console`. */
export interface Logger {
  warn(message: string): void;
  /** Runtime failures that were handled (a merge hook that threw). Falls back to `warn` when absent. */
  error?(message: string, error?: unknown): void;
}

export const consoleLogger: Logger = {
  warn: (message) => console.warn(message),
  error: (message, error) => console.error(message, error),
};

/** Warns once per logger and key: loud enough to be seen, never a flood under load. */
export function warnOnce(logger: Logger, key: string, message: string): void {
  let seen = warned.get(logger);
  if (!seen) warned.set(logger, (seen = new Set()));
  if (seen.has(key)) return;
  seen.add(key);
  logger.warn(`express-anonymous-session: ${message}`);
}

/** Reports a failure the library handled, through `logger.error` when the logger has one. */
export function logError(logger: Logger, message: string, error: unknown): void {
  if (logger.error) logger.error(`express-anonymous-session: ${message}`, error);
  else logger.warn(`express-anonymous-session: ${message}: ${error instanceof Error ? error.message : String(error)}`);
}

const warned = new WeakMap<Logger, Set<string>>();
