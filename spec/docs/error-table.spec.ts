import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS } from '../../lib';

/** The README's error table is the code table: every code a client can receive is documented. */
describe("the README's error table", () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('\n## ', readme.indexOf('## Errors') + 1));

  it.each(Object.keys(ERROR_STATUS))('lists %s', (code) => {
    expect(section).toContain(`\`${code}\``);
  });
});
