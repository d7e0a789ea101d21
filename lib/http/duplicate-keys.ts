/**
 * Whether a JSON text repeats a key inside one object, compared as JSON.parse reads it (escapes decoded).
 * `JSON.parse` keeps the last value silently, so `{"client_id":"a","client\u005fid":"b"}` would pass as `b`; RFC 6749 section 3.2 says a repeated parameter is an error,
 * and a body that means two things is refused rather than guessed. One pass over the text, no second parse.
 */
export function hasDuplicateKey(json: string): boolean {
  const objects: Array<Set<string> | undefined> = [];
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      if (end < 0) return false; // malformed: JSON.parse reports it
      const top = objects[objects.length - 1];
      if (top && isKey(json, end + 1)) {
        const key = unescaped(json.slice(i, end + 1));
        if (top.has(key)) return true;
        top.add(key);
      }
      i = end + 1;
      continue;
    }
    if (c === '{') objects.push(new Set());
    else if (c === '[') objects.push(undefined);
    else if (c === '}' || c === ']') objects.pop();
    i += 1;
  }
  return false;
}

/** A key as JSON.parse will see it: `"client\u005fid"` is `client_id`. */
function unescaped(literal: string): string {
  if (!literal.includes('\\')) return literal.slice(1, -1);
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal; // malformed: JSON.parse of the body reports it
  }
}

/** Index of the closing quote of the string opening at `start`, or -1. */
function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    if (json[i] === '\\') i += 1;
    else if (json[i] === '"') return i;
  }
  return -1;
}

/** A string is a key when the next non-space character is a colon. */
function isKey(json: string, from: number): boolean {
  for (let i = from; i < json.length; i++) {
    const c = json[i];
    if (c === ':') return true;
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return false;
  }
  return false;
}
