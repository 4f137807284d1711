-- Buyers: what hoarding limits count, and follow-up comments that set an order's contact.
-- Needs common.lua, limits.lua and items.lua before it.

-- Units of every product a buyer has in a show (held, waiting or confirmed).
local function show_units(show_id, buyer)
  local total = 0
  for _, oc in ipairs(buyer_orders(show_id, buyer)) do
    local o = order(oc)
    if o then
      for _, line in ipairs(o.lines) do
        if ACTIVE[line.state] then total = total + line.qty end
      end
    end
  end
  return total
end

local function has_phone(show_id, buyer, phone)
  if phone and phone ~= '' then return true end
  for _, oc in ipairs(buyer_orders(show_id, buyer)) do
    local o = order(oc)
    if o and (o.contact.phone or '') ~= '' then return true end
  end
  return false
end

-- Units held or waitlisted in the show's open orders made from one origin.
local function origin_units(show_id, origin)
  local total, seen = 0, {}
  for _, oc in ipairs(redis.call('SMEMBERS', k('origin', show_id, origin))) do
    seen[oc] = true
    local o = order(oc)
    if o and o.status == 'captured' then
      for _, line in ipairs(o.lines) do
        if line.state == 'held' or line.state == 'waitlisted' then total = total + line.qty end
      end
    end
  end
  -- an order opened by this very request is not in the set until flush()
  for _, o in pairs(U.orders) do
    if o.origin == origin and o.show_id == show_id and not seen[o.code]
        and o.status == 'captured' then
      for _, line in ipairs(o.lines) do
        if line.state == 'held' or line.state == 'waitlisted' then total = total + line.qty end
      end
    end
  end
  return total
end

-- The limits for one more item: units allowed and notes (c carries the request's caps).
-- Declared in limits.lua, so that add_items (items.lua) can call it.
buyer_room = function(show, c, phone, qty)
  local anon = tonumber(c.anonymous_cap) or 0
  local ocap = tonumber(c.origin_cap) or 0
  if c.origin == nil or c.origin == '' then ocap = 0 end
  if anon <= 0 and ocap <= 0 then return qty, {} end
  local phoned = anon <= 0 or has_phone(show.id, c.buyer, phone)
  local at_origin = ocap > 0 and origin_units(show.id, c.origin) or 0
  return hoard_room(qty, show_units(show.id, c.buyer), anon, phoned, at_origin, ocap)
end

local function source_detail(what, text)
  local quoted = text
  if #text > 480 then quoted = string.sub(text, 1, 480) .. '…' end
  return what .. ' ← “' .. quoted .. '”'
end

-- The order a follow-up is about: the open one, else the newest still going.
local function follow_up_order(show_id, buyer)
  local open = open_order(show_id, buyer)
  if open then return open end
  local best = nil
  for _, oc in ipairs(buyer_orders(show_id, buyer)) do
    local o = order(oc)
    if o and (o.status == 'confirmed' or o.status == 'paid') then
      local at, best_at = tonumber(o.created_at), best and tonumber(best.created_at)
      if best == nil or at > best_at or (at == best_at and o.code > best.code) then best = o end
    end
  end
  return best
end

local CONTACT_NOTE = 'contact note: address unclear'

local function set_contact(show, c, comment_id, phone, address, note, actor)
  local o = follow_up_order(show.id, c.buyer)
  if o == nil then return nil end
  local what = {}
  if note ~= '' then
    audit(o.code, actor, 'note', source_detail(CONTACT_NOTE, c.text), comment_id)
    bump(o)
  end
  if phone and phone ~= '' and o.contact.phone ~= phone then
    o.contact.phone = phone
    what[#what + 1] = 'phone'
  end
  if address and address ~= '' and o.contact.address ~= address then
    o.contact.address = address
    what[#what + 1] = 'address'
  end
  if #what > 0 then
    audit(o.code, actor, 'contact', source_detail(table.concat(what, ', '), c.text), comment_id)
    if note == '' then bump(o) end
  end
  return o
end
