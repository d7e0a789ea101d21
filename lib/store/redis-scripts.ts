import { createHash } from 'node:crypto';

/**
 * Lua scripts of the Redis store. Each touches one key (the session's hash), so each runs atomically and is
 * Redis Cluster safe. Hash fields: u userId, c createdAt, s lastSeenAt, e expiresAt, a absoluteExpiresAt,
 * m metadata JSON, st state, v version, tu/ta transferred to/at, ra revokedAt, cb/cu/cx claim token/user/until.
 */

export interface Script {
  source: string;
  sha1: string;
}

function script(source: string): Script {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * ARGV: u c s e a m [keepUntil]; writes the hash unless the key exists. The key expires at keepUntil (expiresAt plus
 * the store's grace, so the reaper can hand the final record to the app), else at expiresAt. CREATE_INDEXED
 * (redis-lifecycle-scripts.ts) runs this source and appends its own arguments after these.
 */
export const CREATE = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'u', ARGV[1], 'c', ARGV[2], 's', ARGV[3], 'e', ARGV[4], 'a', ARGV[5], 'm', ARGV[6], 'st', 'active', 'v', '0')
redis.call('PEXPIREAT', KEYS[1], ARGV[7] or ARGV[4])
return 1`);

/**
 * The record as one JSON string (`{}` when missing): node-redis decodes a 20-element array reply at ~0.3 µs per
 * element, so one string and `JSON.parse` cost the returning-guest read ~40% less client CPU (bench/store-micro.ts).
 */
export const GET = script(`return cjson.encode(redis.call('HGETALL', KEYS[1]))`);

/** ARGV: lastSeenAt expiresAt [keepUntil]. An expired record waiting for the reaper is not brought back. */
export const TOUCH = script(`
local f = redis.call('HMGET', KEYS[1], 'st', 'e')
if f[1] ~= 'active' or tonumber(f[2]) <= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'e', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3] or ARGV[2])
return 1`);

/**
 * ARGV: expectedVersion metadata now updateId. Returns the new version, or -1 missing, -2 ended, -3 busy,
 * -4 conflict, or -5 (then the version) when updateId was already applied. The last 16 update ids live in `ui`.
 */
export const CAS_METADATA = script(`
local f = redis.call('HMGET', KEYS[1], 'st', 'v', 'cx', 'ui')
if not f[1] then return -1 end
if ARGV[4] ~= '' and f[4] and string.find(' ' .. f[4] .. ' ', ' ' .. ARGV[4] .. ' ', 1, true) then return {-5, tonumber(f[2])} end
if f[1] ~= 'active' then return -2 end
if f[3] and tonumber(f[3]) > tonumber(ARGV[3]) then return -3 end
if f[2] ~= ARGV[1] then return -4 end
local v = tonumber(f[2]) + 1
redis.call('HSET', KEYS[1], 'm', ARGV[2], 'v', tostring(v))
if ARGV[4] ~= '' then
  local ids = {}
  for id in string.gmatch(f[4] or '', '%S+') do ids[#ids + 1] = id end
  ids[#ids + 1] = ARGV[4]
  while #ids > 16 do table.remove(ids, 1) end
  redis.call('HSET', KEYS[1], 'ui', table.concat(ids, ' '))
end
return v`);

/** ARGV: at */
export const REVOKE = script(`
if redis.call('HGET', KEYS[1], 'st') ~= 'active' then return 0 end
redis.call('HSET', KEYS[1], 'st', 'revoked', 'ra', ARGV[1])
return 1`);

/**
 * ARGV: expectedGeneration now. Session-token rotation: {generation} when moved on, {-1} missing or expired, {-2}
 * ended, {-3, generation, rotatedAt} when not at the expected generation. `tg`/`tr` exist once a token was renewed.
 */
export const ROTATE = script(`
local f = redis.call('HMGET', KEYS[1], 'st', 'e', 'tg', 'tr')
if not f[1] or tonumber(f[2]) <= tonumber(ARGV[2]) then return {-1} end
if f[1] ~= 'active' then return {-2} end
local g = tonumber(f[3] or '0')
if g ~= tonumber(ARGV[1]) then return {-3, g, tonumber(f[4] or '0')} end
redis.call('HSET', KEYS[1], 'tg', tostring(g + 1), 'tr', ARGV[2])
return {g + 1}`);

/** ARGV: token userId leaseUntil now. Returns {status, ...}. */
export const CLAIM = script(`
local f = redis.call('HMGET', KEYS[1], 'st', 'e', 'tu', 'ta', 'cb', 'cu', 'cx')
if not f[1] or tonumber(f[2]) <= tonumber(ARGV[4]) then return {'missing'} end
if f[1] == 'transferred' then return {'transferred', f[3], f[4]} end
if f[1] == 'revoked' then return {'revoked'} end
if f[5] and f[5] ~= ARGV[1] and tonumber(f[7]) > tonumber(ARGV[4]) then return {'pending', f[6]} end
redis.call('HSET', KEYS[1], 'cb', ARGV[1], 'cu', ARGV[2], 'cx', ARGV[3])
return {'claimed', redis.call('HGETALL', KEYS[1])}`);

/** ARGV: token at */
export const COMPLETE_CLAIM = script(`
local f = redis.call('HMGET', KEYS[1], 'st', 'cb', 'cu')
if f[1] ~= 'active' or f[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'st', 'transferred', 'tu', f[3], 'ta', ARGV[2])
redis.call('HDEL', KEYS[1], 'cb', 'cu', 'cx')
return 1`);

/** ARGV: token */
export const RELEASE_CLAIM = script(`
if redis.call('HGET', KEYS[1], 'cb') == ARGV[1] then redis.call('HDEL', KEYS[1], 'cb', 'cu', 'cx') end
return 1`);

export const DESTROY = script(`return redis.call('DEL', KEYS[1])`);

/** ARGV: sessionId expiresAt. KEYS[1] is the ticket key. */
export const PUT_TICKET = script(`redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2]) return 1`);

/** Single use: read and delete in one step. */
export const TAKE_TICKET = script(`local v = redis.call('GET', KEYS[1]) if v then redis.call('DEL', KEYS[1]) end return v`);

/** ARGV: link JSON, expiresAt. KEYS[1] is the link key. */
export const PUT_LINK = script(`redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2]) return 1`);

export const GET_VALUE = script(`return redis.call('GET', KEYS[1])`);

/** Returns the ticket's value without spending it. */
export const PEEK_TICKET = GET_VALUE;

/** ARGV: windowMs. A fixed window from the first hit: returns {count, ms left}. */
export const COUNT_HIT = script(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {n, ttl}`);

/** ARGV: value expiresAt. Answers the existing value, or false after storing this one. */
export const PUT_IF_ABSENT = script(`local v = redis.call('GET', KEYS[1]) if v then return v end redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2]) return false`);

// Transfers into one account (issue #13). The account lease lives at `<prefix>l:{<userId>}`: a hash with the holder's
// token `t` and the last fence `f`, expiring (PX) with the lease; a released lease keeps `f` until then.

/** ARGV: token leaseUntil. Extends a claim the caller still holds on an active session. */
export const RENEW_CLAIM = script(`
local f = redis.call('HMGET', KEYS[1], 'st', 'cb')
if f[1] ~= 'active' or f[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'cx', ARGV[2])
return 1`);

/**
 * ARGV: token ttlMs. Returns {1, fence} or {0} when another holder has the lease. The fence is max(last + 1, the
 * server's clock in ms): it keeps increasing after the key expired, and one server clock serves all app processes.
 */
export const ACQUIRE_LEASE = script(`
if redis.replicate_commands then redis.replicate_commands() end
local f = redis.call('HMGET', KEYS[1], 't', 'f')
if f[1] then return {0} end
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fence = math.max(tonumber(f[2] or '0') + 1, ms)
local text = string.format('%.0f', fence)
redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', text)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, text}`);

/** ARGV: token ttlMs */
export const RENEW_LEASE = script(`
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`);

/** ARGV: token */
export const RELEASE_LEASE = script(`
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then redis.call('HDEL', KEYS[1], 't') end
return 1`);
