import { createHash } from 'node:crypto';
import { CREATE, type Script } from './redis-scripts';

function script(source: string): Script {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Lua scripts of the guest index and the expiry index (RedisStore). Bucket scripts touch only keys tagged with one
 * bucket, `<prefix>b:{<n>}:…`, so each runs on one Redis Cluster slot:
 *   u       hash: 6-byte user hash → the user's session ids, space-separated (the index by anonymous user id)
 *   m       hash: c = last expiry slot fully handed out, o = offset into the next, n = sessions indexed
 *   q:<n>   string: 6-byte user hashes of sessions expiring in slot n, appended (6 bytes per guest, no overhead)
 *   w       string: the entries of the batch a reaper holds; l = its lease token (PX)
 * User hashes travel as hex and are stored binary. Session-side scripts touch one session's keys (`{sid}` tag).
 */

const HEX = `
local function unhex(s)
  local n = tonumber
  return string.char(n(s:sub(1, 2), 16), n(s:sub(3, 4), 16), n(s:sub(5, 6), 16), n(s:sub(7, 8), 16), n(s:sub(9, 10), 16), n(s:sub(11, 12), 16))
end
`;

/** index_add(u, m, hexHash, sid, slot, nowSlot, qPrefix): files a session under its user and its expiry slot. */
const INDEX_ADD_FN = `${HEX}
local function index_add(u, m, hx, sid, slot, now_slot, q)
  local h = unhex(hx)
  local v = redis.call('HGET', u, h)
  if v and string.find(' ' .. v .. ' ', ' ' .. sid .. ' ', 1, true) then return 0 end
  redis.call('HSET', u, h, v and (v .. ' ' .. sid) or sid)
  redis.call('HINCRBY', m, 'n', 1)
  local c = tonumber(redis.call('HGET', m, 'c'))
  if not c then c = tonumber(now_slot) - 1 redis.call('HSET', m, 'c', c) end
  redis.call('APPEND', q .. math.max(tonumber(slot), c + 1), h)
  return 1
end
`;

/** KEYS: u m. ARGV: hexHash sid slot nowSlot qPrefix. */
export const INDEX_ADD = script(`${INDEX_ADD_FN}
return index_add(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])`);

/**
 * Standalone Redis only (its keys live on different cluster slots): CREATE and INDEX_ADD in one step.
 * KEYS: session u m. ARGV: CREATE's arguments, then INDEX_ADD's five.
 */
export const CREATE_INDEXED = script(`${INDEX_ADD_FN}
local created = (function() ${CREATE.source} end)()
if created == 1 then
  local n = #ARGV
  index_add(KEYS[2], KEYS[3], ARGV[n - 4], ARGV[n - 3], ARGV[n - 2], ARGV[n - 1], ARGV[n])
end
return created`);

/**
 * KEYS: l w m u. ARGV: token leaseMs nowSlot limit qPrefix walkLimit. Takes the bucket's lease and up to `limit`
 * due entries (or the batch a lapsed lease left behind), and answers {2, JSON [sids, sids, …]}: the session ids filed
 * under each entry, in order; {0} when the bucket is leased by someone else, {1} when nothing is due, {3} when it
 * walked walkLimit empty slots and more are due (call again: a reaper back after a long absence catches up in steps).
 */
export const CLAIM = script(`
local w = redis.call('GET', KEYS[2])
local c = tonumber(redis.call('HGET', KEYS[3], 'c'))
-- Nothing left behind and nothing due: answer without a write (the common case of an idle tick).
if not w and (not c or c >= tonumber(ARGV[3])) then return {1} end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {0} end
if not w then
  local o = tonumber(redis.call('HGET', KEYS[3], 'o') or '0')
  local want, now_slot, walk = tonumber(ARGV[4]) * 6, tonumber(ARGV[3]), tonumber(ARGV[6])
  local parts, got, walked = {}, 0, 0
  while got < want and c < now_slot and walked < walk do
    local q = ARGV[5] .. (c + 1)
    local len = redis.call('STRLEN', q)
    if len > o then
      local take = math.min(want - got, len - o)
      parts[#parts + 1] = redis.call('GETRANGE', q, o, o + take - 1)
      got = got + take
      o = o + take
    end
    if o >= len then
      redis.call('DEL', q)
      c = c + 1
      o = 0
      walked = walked + 1
    end
  end
  redis.call('HSET', KEYS[3], 'c', c, 'o', o)
  if got == 0 then return {c < now_slot and 3 or 1} end
  w = table.concat(parts)
  redis.call('SET', KEYS[2], w)
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local values = {}
for i = 1, #w, 6 do values[#values + 1] = redis.call('HGET', KEYS[4], string.sub(w, i, i + 5)) or '' end
return {2, cjson.encode(values)}`);

/** KEYS: l. ARGV: token leaseMs. */
export const RENEW = script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`);

/** unindex(u, h, sid): removes one session id from a user's entry; 1 if it was there (the caller counts it in m.n). */
const UNINDEX_FN = `
local function unindex(u, h, sid)
  local v = redis.call('HGET', u, h)
  if not v then return 0 end
  if v == sid then redis.call('HDEL', u, h) return 1 end
  local keep, removed = {}, 0
  for s in string.gmatch(v, '%S+') do
    if s == sid then removed = 1 else keep[#keep + 1] = s end
  end
  if removed == 1 then redis.call('HSET', u, h, table.concat(keep, ' ')) end
  return removed
end
`;

/**
 * KEYS: l w m u. ARGV: token qPrefix nowSlot, then triples: 'p' n slot (file the batch's n-th entry again, at that
 * slot) or 'r' n sid (the session is gone: unindex it from the n-th entry's user). Applies them only while the caller
 * holds the lease, then drops the batch and the lease.
 */
export const COMPLETE = script(`${UNINDEX_FN}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local w = redis.call('GET', KEYS[2]) or ''
local c = tonumber(redis.call('HGET', KEYS[3], 'c')) or (tonumber(ARGV[3]) - 1)
local removed = 0
for i = 4, #ARGV, 3 do
  local at = tonumber(ARGV[i + 1]) * 6
  local h = string.sub(w, at + 1, at + 6)
  if ARGV[i] == 'p' then
    redis.call('APPEND', ARGV[2] .. math.max(tonumber(ARGV[i + 2]), c + 1), h)
  else
    removed = removed + unindex(KEYS[4], h, ARGV[i + 2])
  end
end
if removed > 0 then redis.call('HINCRBY', KEYS[3], 'n', -removed) end
redis.call('DEL', KEYS[2], KEYS[1])
return 1`);

/** KEYS: u m. ARGV: hex sid…: unindexes these sessions of one user hash (erase). */
export const UNINDEX = script(`${HEX}${UNINDEX_FN}
local h, n = unhex(ARGV[1]), 0
for i = 2, #ARGV do n = n + unindex(KEYS[1], h, ARGV[i]) end
if n > 0 then redis.call('HINCRBY', KEYS[2], 'n', -n) end
return n`);

/** KEYS: u. ARGV: hex. The session ids filed under a user hash ('' when none). */
export const LOOKUP = script(`${HEX}
return redis.call('HGET', KEYS[1], unhex(ARGV[1])) or ''`);

/** KEYS: u. ARGV: cursor count. One HSCAN step over the user index: {cursor, {sids, sids, …}}. */
export const SCAN_USERS = script(`
local r = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local values = {}
for i = 2, #r[2], 2 do values[#values + 1] = r[2][i] end
return {r[1], values}`);

/** KEYS: u m. {users, sessions} of one bucket. */
export const COUNT_BUCKET = script(`return {redis.call('HLEN', KEYS[1]), tonumber(redis.call('HGET', KEYS[2], 'n') or '0')}`);

/**
 * KEYS: m u. ARGV: nowSlot fromSlot fromOffset limit qPrefix. Reads, without taking, up to `limit` due entries from
 * (fromSlot, fromOffset), or from where the reaper stands when fromSlot is 0: {nextSlot, nextOffset, sids, sids, …};
 * nextSlot is -1 once the due entries are exhausted.
 */
export const PEEK_DUE = script(`
local c = tonumber(redis.call('HGET', KEYS[1], 'c'))
if not c then return {-1, 0} end
local slot, o = tonumber(ARGV[2]), tonumber(ARGV[3])
if slot == 0 then slot, o = c + 1, tonumber(redis.call('HGET', KEYS[1], 'o') or '0') end
local now_slot, want, out, got, walked = tonumber(ARGV[1]), tonumber(ARGV[4]) * 6, {0, 0}, 0, 0
while got < want and slot <= now_slot and walked < 1440 do
  local q = ARGV[5] .. slot
  local len = redis.call('STRLEN', q)
  if len > o then
    local take = math.min(want - got, len - o)
    local part = redis.call('GETRANGE', q, o, o + take - 1)
    for i = 1, #part, 6 do out[#out + 1] = redis.call('HGET', KEYS[2], string.sub(part, i, i + 5)) or '' end
    got = got + take
    o = o + take
  end
  if o >= len then slot, o, walked = slot + 1, 0, walked + 1 end
end
if slot > now_slot then out[1] = -1 else out[1] = slot end
out[2] = o
return out`);

/** KEYS: session keys. A JSON array of each HGETALL (an empty object or array when missing): one reply, parsed natively. */
export const READ_MANY = script(`
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return cjson.encode(out)`);

/** KEYS: session keys. ARGV: now. Deletes each record still past its expiry: 1 deleted, 0 alive again, -1 gone. */
export const REAP = script(`
local out = {}
for i = 1, #KEYS do
  local e = redis.call('HGET', KEYS[i], 'e')
  if not e then out[i] = -1
  elseif tonumber(e) <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[i]) out[i] = 1
  else out[i] = 0 end
end
return out`);

/** KEYS: session. Counts a failed delivery; answers the attempts so far (0 if the record is gone). */
export const FAILED = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'rt', 1)`);

/** KEYS: session. Deletes what an ended session no longer needs (its metadata and update ids); answers the rest. */
export const SCRUB = script(`
local st = redis.call('HGET', KEYS[1], 'st')
if st and st ~= 'active' then redis.call('HDEL', KEYS[1], 'm', 'ui') end
return redis.call('HGETALL', KEYS[1])`);

/**
 * KEYS: session, its idempotency note, its ticket note. ARGV: userId. Deletes the three if the session belongs to
 * userId; answers {idempotency key or '', ticket ids…}, or false when it does not.
 */
export const ERASE_SESSION = script(`
if redis.call('HGET', KEYS[1], 'u') ~= ARGV[1] then return false end
local out = {redis.call('GET', KEYS[2]) or ''}
for _, t in ipairs(redis.call('SMEMBERS', KEYS[3])) do out[#out + 1] = t end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return out`);

/** KEYS: key. ARGV: text. Deletes the key if its value contains text (a ticket or idempotency entry of a session). */
export const DELETE_IF_NAMES = script(`
local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) then redis.call('DEL', KEYS[1]) return 1 end
return 0`);

/** KEYS: note. ARGV: value expiresAt. A set member kept until at least expiresAt (tickets of a session, links of a user). */
export const NOTE_MEMBER = script(`
redis.call('SADD', KEYS[1], ARGV[1])
local t = redis.call('PEXPIRETIME', KEYS[1])
if t < tonumber(ARGV[2]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1`);

/** KEYS: note. ARGV: value expiresAt. */
export const NOTE_VALUE = script(`redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2]) return 1`);

/** KEYS: set. Its members, then the set deleted. */
export const TAKE_MEMBERS = script(`
local m = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return m`);

/** KEYS: link. ARGV: userId ('' for any). Deletes a transfer link (if it points to userId); answers its JSON. */
export const ERASE_LINK = script(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
if ARGV[1] ~= '' and cjson.decode(v).userId ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return v`);

/** KEYS: set. ARGV: member. */
export const REMOVE_MEMBER = script(`return redis.call('SREM', KEYS[1], ARGV[1])`);

/** KEYS: session keys. {st, e} of each ({} when missing): counting by state. */
export const STATES = script(`
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HMGET', KEYS[i], 'st', 'e') end
return out`);

/** KEYS: session. ARGV: keepUntil. Extends the key's life to keepUntil (re-indexing records written before grace). */
export const KEEP_UNTIL = script(`
local t = redis.call('PEXPIRETIME', KEYS[1])
if t > 0 and t < tonumber(ARGV[1]) then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) return 1 end
return 0`);
