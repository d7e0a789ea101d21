/**
 * Repeats `attempt` until `done` says so or `withinMs` passes (a bounded loop that stops by itself), and returns
 * the last result for the test to assert on: recovery after an outage, a lease that has to lapse.
 */
export async function eventually<T>(attempt: () => Promise<T>, done: (result: T) => boolean, withinMs = 10_000, pauseMs = 50): Promise<T> {
  const deadline = Date.now() + withinMs;
  let result = await attempt();
  while (!done(result) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    result = await attempt();
  }
  return result;
}

export const isOk = (res: { status: number }) => res.status === 200;
