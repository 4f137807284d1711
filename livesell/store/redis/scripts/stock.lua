-- Read-only: every variant's books, or those of ARGV[3..] product codes, in one round trip.

local codes = {}
if #ARGV > 2 then
  for i = 3, #ARGV do codes[#codes + 1] = ARGV[i] end
else
  codes = redis.call('ZRANGE', k('products'), 0, -1)
end
local out = {}
for _, code in ipairs(codes) do
  for _, label in ipairs(redis.call('ZRANGE', k('variants', up(code)), 0, -1)) do
    local f = redis.call('HMGET', k('variant', up(code), label), unpack(VFIELDS))
    if f[1] then out[#out + 1] = f end
  end
end
return out
