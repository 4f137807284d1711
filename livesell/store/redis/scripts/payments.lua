-- Record a bank transfer; with a match, apply its decided effect on the order (the domain's
-- payments.settle, computed by the caller at the order's version). ARGV: 3 transfer id,
-- 4 record JSON, 5 attach ('1' or '0'), 6 order code ('' for none), 7 expected version,
-- 8 received, 9 flag, 10 status after, 11 actor, 12 audit detail, 13 recorded_at.
-- With no transfer id (ARGV[3] == ''), only flag the order: ARGV[14] is the audit action
-- (the payment deadline's warning) and ARGV[8], ARGV[10] are left empty.

local tid = ARGV[3]
local tkey = tid ~= '' and k('transfer', tid) or nil
local known = tkey and redis.call('GET', tkey)
if ARGV[5] == '1' then
  if not known then return fail('not_found') end
  local was = cjson.decode(known).status
  if was ~= 'unmatched' then return fail('illegal', nil, {status = was}) end
elseif known then
  return cjson.encode({r = {dup = known}})
end
local code = ARGV[6]
if code ~= '' then
  local o = order(code)
  if o == nil then return fail('not_found', 'order ' .. code .. ' not found') end
  if o.version ~= tonumber(ARGV[7]) then
    return fail('stale', nil, {order = order_out(o.code, true)})
  end
  o.payment_flag = ARGV[9]
  if tkey then
    o.received = tonumber(ARGV[8])
    audit(o.code, ARGV[11], 'payment', ARGV[12])
    if ARGV[10] == 'paid' and o.status ~= 'paid' then
      audit(o.code, ARGV[11], 'paid', tid)
      take_paid(o, ARGV[11])  -- first paid, first served: the payment takes the units
    end
    bump(o, ARGV[10])
  else
    audit(o.code, ARGV[11], ARGV[14], ARGV[12])
    bump(o)
  end
  code = o.code
end
if tkey then
  defer('SET', tkey, ARGV[4])
  defer('ZADD', k('transfers'), ARGV[13], tid)
  if code == '' then
    defer('ZADD', k('transfers', 'unmatched'), ARGV[13], tid)
  else
    defer('ZREM', k('transfers', 'unmatched'), tid)
  end
end
flush()
return answer({ok = true}, code ~= '' and code or nil)
