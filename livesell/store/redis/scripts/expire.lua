-- Release holds past their time (invariant 5). Safe to run twice: each line's own state and
-- expiry are checked again here, so a line already released or renewed is left alone.

local ids = redis.call('ZRANGEBYSCORE', k('holds'), '-inf', NOW_S, 'LIMIT', 0, 2000)
local freed, hit, codes = {}, {}, {}
for _, lid in ipairs(ids) do
  local o = order(redis.call('HGET', k('lineorder'), lid))
  local line = o and find_line(o, tonumber(lid))
  if line and line.state == 'held' and tonumber(line.expires_at) <= NOW then
    local v = release(line, 'released', o)
    if v then freed[v.id] = v end
    if not hit[o.code] then
      hit[o.code] = o
      codes[#codes + 1] = o.code
    end
  elseif not (line and line.state == 'held') then
    defer('ZREM', k('holds'), lid)  -- a stale index entry: the line moved on already
  end
end
table.sort(codes)
for _, code in ipairs(codes) do
  local o = hit[code]
  audit(code, 'system', 'expired', 'hold time over')
  bump(o, all_closed(o.lines) and 'expired' or nil)
end
promote_all(freed)
flush()
return answer({})
