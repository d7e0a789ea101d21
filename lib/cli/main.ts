#!/usr/bin/env node
import { keygen } from './keygen';
import type { AsymmetricAlgorithm } from '../tokens/keys';
import { ADMIN_COMMANDS, ADMIN_USAGE, runAdmin, type AdminCommand } from './admin';

const USAGE = `Usage: express-anonymous-session keygen [--alg ES256|EdDSA|RS256|PS256] [--jwe]
       express-anonymous-session <inspect|export|erase|erase-links|count|list|reap|reindex> … --redis-url <url>

keygen prints a fresh key set as JSON: pass it as the \`keys\` option of anonymousSessions().
To rotate, put the new access key first and keep the old one after it until its tokens expired.

${ADMIN_USAGE}`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command !== 'keygen') {
    console.error(USAGE);
    return command === undefined || command === '--help' ? 0 : 2;
  }
  let alg: AsymmetricAlgorithm = 'ES256';
  let jwe = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--jwe') jwe = true;
    else if (rest[i] === '--alg' && ['ES256', 'EdDSA', 'RS256', 'PS256'].includes(rest[i + 1])) alg = rest[++i] as AsymmetricAlgorithm;
    else {
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
