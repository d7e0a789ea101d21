// Summarizes V8 CPU profiles written by `npm run bench -- --cpu-prof` (or `node --cpu-prof`):
//   node bench/lib/profile-summary.mjs [--top=25] [--requests=N] a.cpuprofile [b.cpuprofile …]
// For each profile: the share of busy time (idle excluded) by area (GC, WebCrypto, jose, our lib, passport,
// Express, Node's HTTP), then the functions with the most self time. Profiles sample wall time, so on a loaded
// machine compare shares between two servers profiled in the same run, not absolute milliseconds.
// Servers start with --require=tsx/cjs, so each writes one profile (the main thread's); a process started with tsx's ESM
// hooks would write a second, small one for its hooks thread.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
/** With --requests=N (what the process served while profiled), times are also shown per request. */
const requests = Number(args.find((a) => a.startsWith('--requests='))?.slice(11) ?? 0);
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) {
  console.error('usage: node bench/lib/profile-summary.mjs [--top=25] file.cpuprofile …');
  process.exit(2);
}

const AREAS = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['V8 (program)', (f) => f.functionName === '(program)'],
  ['WebCrypto', (f) => /node:internal\/crypto/.test(f.url)],
  ['jose', (f) => /node_modules\/jose\//.test(f.url)],
  ['our lib', (f) => /\/lib\//.test(f.url) && !/node_modules/.test(f.url)],
  ['bench server', (f) => /\/bench\/(servers|peer)\//.test(f.url)],
  ['passport', (f) => /node_modules\/passport/.test(f.url)],
  ['express-session, connect-redis', (f) => /node_modules\/(express-session|connect-redis)\//.test(f.url)],
  ['redis client', (f) => /node_modules\/@redis\//.test(f.url)],
  ['Express, router', (f) => /node_modules\/(express|router|body-parser|finalhandler|send|parseurl|qs|cookie|cookie-signature)\//.test(f.url)],
  ['Node http, net, streams', (f) => /node:(_http|net|internal\/(stream|streams|http|js_stream))/.test(f.url) || ['writev', 'writeUtf8String', 'writeBuffer'].includes(f.functionName)],
  ['other', () => true],
];

const cwd = `file://${process.cwd()}/`;
const label = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(cwd, '')}:${f.lineNumber + 1}`;

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const areas = new Map(AREAS.map(([name]) => [name, 0]));
  const byFunction = new Map();
  for (const [id, micros] of self) {
    const frame = nodes.get(id).callFrame;
    const area = AREAS.find(([, test]) => test(frame))[0];
    areas.set(area, areas.get(area) + micros);
    if (area !== 'idle') byFunction.set(label(frame), (byFunction.get(label(frame)) ?? 0) + micros);
  }
  const busy = [...areas].filter(([name]) => name !== 'idle').reduce((sum, [, micros]) => sum + micros, 0);
  const pct = (micros) => `${((100 * micros) / busy).toFixed(1)}%`;
  const perRequest = requests ? ` = ${(busy / requests).toFixed(1)} µs per request over ${requests} requests` : '';
  console.log(`\n${file}\nbusy ${(busy / 1e3).toFixed(0)} ms (idle ${((areas.get('idle') ?? 0) / 1e3).toFixed(0)} ms)${perRequest}`);
  const each = (micros) => (requests ? ` ${(micros / requests).toFixed(1)} µs` : '');
  console.log([...areas].filter(([name, micros]) => name !== 'idle' && micros > 0).sort((a, b) => b[1] - a[1]).map(([name, micros]) => `${name} ${pct(micros)}${each(micros)}`).join(' · '));
  for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(micros).padStart(6)}  ${name}`);
}
