#!/usr/bin/env node
import { keygen } from './keygen';
import type { AsymmetricAlgorithm } from '../tokens/keys';
import { ADMIN_COMMANDS, ADMIN_USAGE, runAdmin, type AdminCommand } from './admin';

const USAGE = `Usage: express-anonymous-session keygen [--alg=ES256|EdDSA|RS256|PS256] [--jwe]
       express-anonymous-session <inspect|export|erase|erase-links|count|list|reap|reindex> … --redis-url <url>

keygen prints a fresh key set as JSON: pass it as the \`keys\` option of anonymousSessions().
To rotate, put the new access key first and keep the old one after it until its tokens expired.

${ADMIN_USAGE}`;

const ALGORITHMS: AsymmetricAlgorithm[] = ['ES256', 'EdDSA', 'RS256', 'PS256'];

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command !== 'keygen') {
    // Exit 2 with nothing on stdout: ANON_KEYS="$(npx express-anonymous-session)" must not quietly come out empty.
    console.error(command === undefined ? USAGE : `Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  let alg: AsymmetricAlgorithm = 'ES256';
  let jwe = false;
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split('=', 2) as [string, string | undefined];
    const value = inline ?? rest[i + 1];
    if (flag === '--jwe' && inline === undefined) jwe = true;
    else if (flag === '--alg' && ALGORITHMS.includes(value as AsymmetricAlgorithm)) {
      alg = value as AsymmetricAlgorithm;
      if (inline === undefined) i += 1;
    } else if (flag === '--alg') {
      console.error(`Unknown algorithm: ${value ?? '(none)'}; use one of ${ALGORITHMS.join(', ')}\n\n${USAGE}`);
      return 2;
    } else {
      console.error(`Unknown argument: ${rest[i]}\n\n${USAGE}`);
      return 2;
    }
  }
  process.stdout.write(`${JSON.stringify(keygen({ alg, sessionTokenFormat: jwe ? 'jwe' : 'jws' }), null, 2)}\n`);
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
if ((ADMIN_COMMANDS as readonly string[]).includes(command)) {
  runAdmin(command as AdminCommand, rest).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
} else {
  process.exitCode = main(process.argv.slice(2));
}
