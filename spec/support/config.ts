import { ConfigurationError } from '../../lib';

/** Asserts that `build` throws a ConfigurationError naming `option`, with a message matching `message`. */
export function shouldRefuseOption(build: () => unknown, option: string, message: RegExp): void {
  let error: unknown;
  try {
    build();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as ConfigurationError).option).toBe(option);
  expect((error as Error).message).toMatch(message);
}
