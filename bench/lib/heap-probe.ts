/** Run with --expose-gc: prints heap bytes per session in the MemoryStore for COUNT sessions. */
import { heapBytesPerSession } from './memory';

heapBytesPerSession(Number(process.env.COUNT ?? 100_000)).then((bytes) => console.log(bytes));
