-- Insert or update products. ARGV[3]: [{code, doc, variants: [{label, price, stock}]}].
-- A variant's stock sets its total; it may not drop below what is held or sold already.

local products = cjson.decode(ARGV[3])
local top = redis.call('ZREVRANGE', k('products'), 0, 0, 'WITHSCORES')
local start = tonumber(top[2] or '0')
local touched = {}
for index, p in ipairs(products) do
  local pkey = k('product', up(p.code))
  if redis.call('EXISTS', pkey) == 1 then
    defer('HSET', pkey, 'doc', p.doc)
  else
    defer('HSET', pkey, 'code', p.code, 'doc', p.doc)
    defer('ZADD', k('products'), start + index, up(p.code))
  end
  for position, pv in ipairs(p.variants) do
    local v = variant(p.code, pv.label)
    if v == nil then
      v = {id = up(p.code) .. ':' .. fold(pv.label), code = p.code, label = pv.label,
           position = position - 1, price = pv.price, total = pv.stock,
           available = pv.stock, held = 0, sold = 0}
      U.vars[v.id] = v
    else
      local committed = v.held + v.sold
      if pv.stock < committed then
        return fail('sold_out', string.format(
          '%s %s: stock %d is below the %d already held or sold', p.code, pv.label, pv.stock,
          committed))
      end
      v.price, v.position, v.total, v.available = pv.price, position - 1, pv.stock,
                                                  pv.stock - committed
    end
    v.full = true  -- price, position (and a new variant's code and label) are written too
    defer('ZADD', k('variants', up(p.code)), position - 1, fold(pv.label))
    mark_stock(v, p.code, pv.label)
    touched[p.code .. '\0' .. pv.label] = {var = v, code = p.code, label = pv.label}
  end
end
promote_all(touched)
flush()
return answer({})
