-- Staff edit of an order's quantities and contact. ARGV: 3 code, 4 version, 5 lines JSON
-- ([{code, variant, qty}] or null), 6 contact JSON (or null), 7 actor.

local o = order(ARGV[3])
if o == nil then return fail('not_found') end
if o.version ~= tonumber(ARGV[4]) then return fail('stale', nil, {order = order_out(o.code, true)}) end
local state = edit_state(o.status)
if state == nil then return fail('illegal_edit', nil, {status = o.status}) end
local show = show_of(o.show_id)
if show == nil then return fail('not_found', 'show ' .. o.show_id .. ' not found') end
-- First paid, first served: units staff add reserve nothing either (taken when paid).
if show.first_paid then state = 'requested' end
local items = cjson.decode(ARGV[5])
local contact = cjson.decode(ARGV[6])
local notes, freed = {}, {}

for _, item in ipairs(isnull(items) and {} or items) do
  local v, why = variant_for(show, item)
  if v == nil then return fail('invalid', why.text) end
  local rows, current = {}, 0
  for _, line in ipairs(o.lines) do
    if RULES.counted[line.state] and up(line.code) == up(v.code)
        and fold(line.variant) == fold(v.label) then
      rows[#rows + 1] = line
      current = current + line.qty
    end
  end
  if item.qty > current then
    local extra = item.qty - current
    if v.available < extra and state ~= 'requested' then
      return fail('sold_out', string.format('only %d of %s %s left', v.available, v.code, v.label),
                  {available = v.available})
    end
    local expires = nil
    if state == 'held' then expires = ts(NOW + show.hold_minutes * 60) end
    add_line(o, {id = nextval('line'), code = v.code, variant = v.label, qty = extra,
                 unit_price = v.price, state = state, created_at = NOW_S,
                 expires_at = expires or NULL, wait_seq = NULL, comment_id = NULL})
    local a, h, s = stock_delta('released', state, extra)
    move_stock(v, a, h, s)
  elseif item.qty < current then
    local by_id = {}
    for _, line in ipairs(rows) do by_id[line.id] = line end
    for _, take in ipairs(give_back(rows, current - item.qty)) do
      local line, units = by_id[take[1]], take[2]
      if units == line.qty then
        local fv = release(line, 'released', o)
        if fv then freed[fv.id] = fv end
      else
        if line.state == 'held' or line.state == 'confirmed' or line.state == 'requested' then
          give_back_flash(o, line, units)
        end
        line.qty = line.qty - units
        local a, h, s = stock_delta(line.state, 'released', units)
        if a ~= 0 or h ~= 0 or s ~= 0 then
          move_stock(v, a, h, s)
          freed[v.id] = v
        end
      end
    end
  end
  notes[#notes + 1] = string.format('%s %s %d->%d', v.code, v.label, current, item.qty)
end
if not isnull(contact) then
  o.contact = contact
  if contact.name ~= '' then o.buyer_name = contact.name end
  notes[#notes + 1] = 'contact'
end
audit(o.code, ARGV[7], 'edit', table.concat(notes, ', '))
bump(o)
promote_all(freed)
flush()
return answer({order = o.code}, o.code)
