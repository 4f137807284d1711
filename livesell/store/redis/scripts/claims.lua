-- Claim, renew or release a staff claim on an order, atomically (domain/claims.py twin).
-- KEYS[1]: the deployment's anchor key (routes the call); ARGV: op ('take' | 'release'),
-- the claims hash key, order code, who, now, expires_at. A claim is stored as JSON
-- {holder, expires_at}. Answers {1, holder, expires_at} when done, {0, holder, expires_at}
-- when refused (someone else's live claim), {0, '', 0} when there was nothing to release.
local op, key, code, who = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now = tonumber(ARGV[5])
local raw = redis.call('HGET', key, code)
local holder, expires = nil, 0
if raw then
  local cur = cjson.decode(raw)
  holder, expires = cur.holder, tonumber(cur.expires_at)
end
local rules = {
  take = function() return holder == nil or holder == who or expires <= now end,
  release = function() return holder ~= nil and (holder == who or expires <= now) end,
}
if not rules[op]() then
  return {0, holder or '', tostring(expires)}
end
if op == 'take' then
  redis.call('HSET', key, code, cjson.encode({holder = who, expires_at = ARGV[6]}))
  return {1, who, ARGV[6]}
end
redis.call('HDEL', key, code)
return {1, '', '0'}
