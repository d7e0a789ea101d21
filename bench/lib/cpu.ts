/** One operation of a one-process micro-benchmark. */
export type Op = () => Promise<unknown>;

/** This process's CPU µs per operation: `count` runs of `op`, `inFlight` at a time. */
export async function cpuPerOp(op: Op, count: number, inFlight: number): Promise<number> {
  const before = process.cpuUsage();
  let left = count;
  const worker = async () => {
    while (left-- > 0) await op();
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
