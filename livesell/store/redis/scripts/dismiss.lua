-- Dismiss a review item. ARGV: 3 review id.

local rkey = k('review', ARGV[3])
local raw = redis.call('GET', rkey)
if not raw then return fail('not_found') end
local item = cjson.decode(raw)
if item.status ~= 'open' then return fail('illegal', nil, {status = item.status}) end
item.status = 'dismissed'
local out = cjson.encode(item)
redis.call('SET', rkey, out)
return cjson.encode({r = {item = item}})
