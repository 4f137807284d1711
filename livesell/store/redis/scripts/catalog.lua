-- Read-only: product documents with their variants, all or ARGV[3..] codes, in catalog order.

local codes = {}
if #ARGV > 2 then
  for i = 3, #ARGV do codes[#codes + 1] = up(ARGV[i]) end
else
  codes = redis.call('ZRANGE', k('products'), 0, -1)
end
local out = {}
for _, code in ipairs(codes) do
  local f = redis.call('HMGET', k('product', code), 'code', 'doc')
  if f[1] then
    local vs = {}
    for _, label in ipairs(redis.call('ZRANGE', k('variants', code), 0, -1)) do
      vs[#vs + 1] = redis.call('HMGET', k('variant', code, label), unpack(VFIELDS))
    end
    out[#out + 1] = {f[1], f[2], vs}
  end
end
return out
