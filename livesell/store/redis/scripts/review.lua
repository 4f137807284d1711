-- Resolve a review item into order lines. ARGV: 3 review id, 4 items JSON, 5 actor, 6 token.

local rkey = k('review', ARGV[3])
local raw = redis.call('GET', rkey)
if not raw then return fail('not_found') end
local item = cjson.decode(raw)
if item.status ~= 'open' then return fail('illegal', nil, {status = item.status}) end
-- A sold-out alert (first paid, first served) is settled by a refund, then dismissed.
if string.sub(item.reason, 1, 14) == 'paid_sold_out:' then
  return fail('illegal', 'refund the buyer, then dismiss this alert', {status = 'alert'})
end
local f = redis.call('HMGET', item.ckey, 'id', 'source', 'author_id', 'author_name', 'text',
                     'status')
local c = {buyer = f[2] .. ':' .. f[3], author_name = f[4], text = f[5]}
local show = show_of(item.show_id)
if show == nil then return fail('not_found', 'show ' .. item.show_id .. ' not found') end
local o, held, waited, notes = add_items(show, c, tonumber(f[1]), cjson.decode(ARGV[4]), nil,
                                         ARGV[5], false, ARGV[6])
if o == nil or not (held or waited) then
  local msg = reason_of(notes)
  if msg == '' then msg = 'nothing to order' end
  return fail('invalid', msg)
end
item.status = 'resolved'
item.order = o.code
defer('SET', rkey, cjson.encode(item))
local status = held and 'ordered' or 'waitlisted'
defer('HSET', item.ckey, 'status', status, 'order', o.code)
defer('RPUSH', k('ordercomments', up(o.code)), item.ckey)
defer('HINCRBY', k('show', item.show_id, 'comments'), f[6], -1)
defer('HINCRBY', k('show', item.show_id, 'comments'), status, 1)
flush()
return answer({order = o.code}, o.code)
