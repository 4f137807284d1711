-- Buyers: what hoarding limits count, and follow-up comments that set an order's contact.
-- Needs common.lua, limits.lua and items.lua before it.

-- Units of every product a buyer has in a show (held, waiting or confirmed).
local function show_units(show_id, buyer)
  local total = 0
  for _, oc in ipairs(buyer_orders(show_id, buyer)) do
    local o = order(oc)
    if o then
      for _, line in ipairs(o.lines) do
        if RULES.counted[line.state] then total = total + line.qty end
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

-- changes after ordering: part of a line, another size, or after staff confirmed ----------

-- A cancel or change with no open order but one staff confirmed: that order and the alert.
local function after_confirm(show_id, buyer, what)
  local o = follow_up_order(show_id, buyer)
  if o == nil or o.status == 'captured' then return nil end
  return o, string.format('alert: %s after confirm (%s)', what, o.code)
end

-- The order's held, requested and waitlisted lines of a product: waitlisted first, newest
-- first.
local function active_lines(o, code)
  local rows = {}
  for _, line in ipairs(o.lines) do
    if up(line.code) == up(code) and (line.state == 'held' or line.state == 'waitlisted'
        or line.state == 'requested') then
      rows[#rows + 1] = line
    end
  end
  table.sort(rows, function(a, b)
    local wa, wb = a.state == 'waitlisted', b.state == 'waitlisted'
    if wa ~= wb then return wa end
    return a.id > b.id
  end)
  return rows
end

local function reduce_items(show, c, comment_id, items, actor)
  local o = open_order(show.id, c.buyer)
  if o == nil then return nil, 'nothing to cancel' end
  local done, freed = {}, {}
  for _, item in ipairs(items) do
    local drop = item.qty
    for _, line in ipairs(active_lines(o, item.code)) do
      if drop <= 0 then break end
      if isnull(item.variant) or fold(line.variant) == fold(item.variant) then
        if line.qty <= drop then
          local v = release(line, 'released', o)
          if v then freed[v.id] = v end
          drop = drop - line.qty
        else
          line.qty = line.qty - drop
          if line.state == 'held' then
            local v = variant(line.code, line.variant)
            move_stock(v, drop, -drop, 0)
            freed[v.id] = v
          end
          drop = 0
        end
      end
    end
    if drop < item.qty then
      local label = isnull(item.variant) and '' or (' ' .. item.variant)
      done[#done + 1] = string.format('%s%s x%d', up(item.code), label, item.qty - drop)
    end
  end
  if #done == 0 then return nil, 'nothing to cancel' end
  audit(o.code, actor, 'cancel', source_detail(table.concat(done, ', '), c.text), comment_id)
  bump(o, all_closed(o.lines) and 'cancelled' or nil)
  promote_all(freed)
  return o, ''
end

local function change_size(show, c, comment_id, items, actor)
  local source, target = items[1], items[2]
  local o = open_order(show.id, c.buyer)
  if o == nil then return nil, 'nothing to change' end
  local v, why = variant_for(show, target)
  if v == nil then return o, why.text end
  local rows, kinds, nkinds, qty = {}, {}, 0, 0
  for _, line in ipairs(active_lines(o, v.code)) do
    if fold(line.variant) ~= fold(v.label)
        and (isnull(source.variant) or fold(line.variant) == fold(source.variant)) then
      rows[#rows + 1] = line
      qty = qty + line.qty
      if not kinds[fold(line.variant)] then
        kinds[fold(line.variant)] = true
        nkinds = nkinds + 1
      end
    end
  end
  if #rows == 0 then return o, 'no ' .. v.code .. ' to change' end
  if nkinds > 1 then return o, 'which ' .. v.code .. ' to change?' end
  if v.available < qty then
    return o, string.format('only %d of %s %s left to change to', v.available, v.code, v.label)
  end
  local freed = {}
  for _, line in ipairs(rows) do
    local fv = release(line, 'released', o)
    if fv then freed[fv.id] = fv end
  end
  audit(o.code, actor, 'change', source_detail(
    string.format('%s %s x%d -> %s', v.code, rows[1].variant, qty, v.label), c.text), comment_id)
  add_items(show, c, comment_id, {{code = v.code, variant = v.label, qty = qty}}, nil, actor,
            false, nil)
  promote_all(freed)
  return o, ''
end

-- A reduce or change follow-up: order, status, reason (what cannot be done goes to review).
local function apply_change(show, c, comment_id, req, actor)
  local o, problem, done
  if req.kind == 'reduce' then
    o, problem = reduce_items(show, c, comment_id, req.items, actor)
    done = 'cancelled'
  else
    o, problem = change_size(show, c, comment_id, req.items, actor)
    done = 'ordered'
  end
  if problem == '' then return o, done, '' end
  if o == nil then
    local late, alert = after_confirm(show.id, c.buyer, req.kind == 'reduce' and 'cancel' or 'change')
    if late then return late, 'review', alert end
    if req.kind == 'reduce' then return nil, 'ignored', problem end
  end
  return o, 'review', problem
end
