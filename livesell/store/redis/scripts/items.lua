-- Adding items to a buyer's open order: shared by capture and review resolution.

-- (variant) for an item, or nil and a note saying a person must decide (resolve_variant in
-- rules.lua decides). When the comment names its size, that one variant is enough to decide,
-- so the common case reads one variant; otherwise every variant of the product is read.
local function variant_for(show, item)
  -- listed() folds every code of the lineup, so its answer is kept for the call (U.listed):
  -- a show's lineup does not change within one call.
  local known = U.listed[show.id]
  if known == nil then
    known = {}
    U.listed[show.id] = known
  end
  local is_listed = known[item.code]
  if is_listed == nil then
    is_listed = listed(show.lineup, item.code)
    known[item.code] = is_listed
  end
  local rows = {}
  if not isnull(item.variant) then
    local v = variant(item.code, item.variant)
    if v then rows = {v} end
  end
  if #rows == 0 then rows = variants_of(item.code) end
  local labels = {}
  for i, v in ipairs(rows) do labels[i] = v.label end
  local label, why = resolve_variant(show, item, is_listed, rows[1] and rows[1].code or item.code,
                                     labels, NOW)
  if label == nil then return nil, why end
  for _, v in ipairs(rows) do
    if v.label == label then return v end
  end
end

local function buyer_orders(show_id, buyer)
  local id = show_id .. '\0' .. buyer
  local codes = U.buyers[id]
  if codes == nil then
    codes = redis.call('SMEMBERS', k('buyer', show_id, buyer))
    U.buyers[id] = codes
  end
  return codes
end

-- Units of one product a buyer already has in a show (held, waiting or confirmed).
local function already(show_id, buyer, code)
  local total = 0
  for _, oc in ipairs(buyer_orders(show_id, buyer)) do
    local o = order(oc)
    if o then
      for _, line in ipairs(o.lines) do
        if up(line.code) == up(code) and RULES.counted[line.state] then total = total + line.qty end
      end
    end
  end
  return total
end

local function new_order(show, c, phone, token)
  local n = nextval('order:' .. show.order_prefix)
  local code = show.order_prefix .. '-' .. string.format('%04d', n)
  local o = {code = code, show_id = show.id, buyer = c.buyer, buyer_name = c.author_name,
             status = 'captured', contact = {name = c.author_name, phone = isnull(phone) and '' or phone,
             address = ''}, version = 1, token = token, created_at = NOW_S,
             updated_at = NOW_S, lines = {}}
  U.orders[up(code)] = o
  U.odirty[up(code)] = o
  defer('HSET', k('open', show.id), c.buyer, code)
  defer('ZADD', k('show', show.id, 'orders'), NOW_S, code)
  defer('SADD', k('buyer', show.id, c.buyer), code)
  if c.origin and c.origin ~= '' then
    o.origin = c.origin
    defer('SADD', k('origin', show.id, c.origin), code)
  end
  local codes = buyer_orders(show.id, c.buyer)
  codes[#codes + 1] = code
  return o
end

local function open_order(show_id, buyer)
  return order(redis.call('HGET', k('open', show_id), buyer))
end

-- Hold or waitlist each item in the buyer's open order: order, held?, waitlisted?, notes.
local function add_items(show, c, comment_id, items, phone, actor, capped, token)
  local o = open_order(show.id, c.buyer)
  local held_any, waited_any, notes = false, false, {}
  for _, item in ipairs(items) do
    local v, why = variant_for(show, item)
    local qty = item.qty
    local go = v ~= nil
    if v == nil then
      notes[#notes + 1] = why
    elseif capped then
      local have = already(show.id, c.buyer, v.code)
      qty = capped_qty(item.qty, have, show.max_per_buyer)
      if qty < item.qty then notes[#notes + 1] = limit_note(show.max_per_buyer, v.code) end
      go = qty > 0
      if go and buyer_room and c.limited then
        local cut
        qty, cut = buyer_room(show, c, phone, qty)
        for _, n in ipairs(cut) do notes[#notes + 1] = note('limit', n) end
        go = qty > 0
      end
    end
    if go then
      if o == nil then
        o = new_order(show, c, phone, token)
        audit(o.code, actor, 'opened', 'for ' .. c.author_name, comment_id)
      end
      local held, waiting = 0, 0
      if show.first_paid then  -- first paid, first served: nothing is held, nothing waits
        request_lines(show, o, v, qty, comment_id, item)
        held_any = true
      else
        held, waiting = split_reservation(v.available, qty)
      end
      if held > 0 then
        local expires = ts(NOW + show.hold_minutes * 60)
        add_priced_lines(show, o, v, held, 'held', expires, comment_id, item)
        move_stock(v, -held, held, 0)
        place_event(show.id, c.author_name, v.code, v.label, held)
        held_any = true
      end
      if waiting > 0 then
        add_line(o, {id = nextval('line'), code = v.code, variant = v.label, qty = waiting,
                     unit_price = v.price, state = 'waitlisted', created_at = NOW_S,
                     expires_at = NULL, wait_seq = nextval('wait'),
                     comment_id = comment_id or NULL, confidence = item.confidence or NULL,
                     said = item.said or ''})
        waited_any = true
      end
      local detail = string.format('%s %s x%d', v.code, v.label, qty)
      if waiting > 0 then detail = detail .. string.format(' (%d waitlisted)', waiting) end
      audit(o.code, actor, 'add', detail, comment_id)
      bump(o)
    end
  end
  if o ~= nil and not isnull(phone) and phone ~= '' and (o.contact.phone or '') == '' then
    o.contact.phone = phone
    U.odirty[up(o.code)] = o
  end
  return o, held_any, waited_any, notes
end

local function add_review(show_id, c, comment_id, ckey, reason)
  local id = nextval('review')
  local item = {id = id, show_id = show_id, comment_id = comment_id, buyer = c.buyer,
                author_name = c.author_name, text = c.text, reason = reason, status = 'open',
                created_at = NOW_S, order = NULL, ckey = ckey}
  defer('SET', k('review', id), cjson.encode(item))
  defer('ZADD', k('show', show_id, 'review'), id, id)
  U.events[#U.events + 1] = {'review', item}
end
