-- Restock (delta > 0) or write off (delta < 0) one variant. ARGV: 3 code, 4 label, 5 delta.

local v = variant(ARGV[3], ARGV[4])
if v == nil then return fail('not_found') end
local delta = tonumber(ARGV[5])
if v.available + delta < 0 then
  return fail('sold_out', string.format('only %d of %s %s are free to write off', v.available,
              ARGV[3], ARGV[4]), {available = v.available})
end
v.total = v.total + delta
v.available = v.available + delta
mark_stock(v)
if delta > 0 then promote(v) end
flush()
return answer({level = {v.code, v.label, v.total, v.available, v.held, v.sold, v.price}})
