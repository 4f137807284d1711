-- The selling rules, as Lua twins of the domain's functions (livesell/domain/inventory.py,
-- orders.py, capture.py). Pure: no redis.call, no ARGV, no buffered state; the tables they
-- read (RULES) are generated from the domain's own tables (see lua.py), so a rule changed in
-- Python changes here too. tests/store/test_parity.py runs each twin beside its Python
-- function on inputs from hypothesis and requires the same answers.

local NULL = cjson.null
local function isnull(x) return x == nil or x == NULL end
-- Case folding is memoised for the call: key names fold the same few codes and labels over
-- and over, and a table lookup costs a fraction of making the folded string again.
local UPPER, LOWER = {}, {}
local function up(s)
  local u = UPPER[s]
  if u == nil then
    u = string.upper(s)
    UPPER[s] = u
  end
  return u
end
local function fold(s)
  local l = LOWER[s]
  if l == nil then
    l = string.lower(s)
    LOWER[s] = l
  end
  return l
end

-- inventory ---------------------------------------------------------------------------------

-- inventory.stock_delta: how a line moving between states changes its variant's books.
local function stock_delta(before, after, qty)
  if before == after then return 0, 0, 0 end
  local moved = {held = 0, sold = 0}
  local from, to = RULES.books[before], RULES.books[after]
  if from then moved[from] = moved[from] - qty end
  if to then moved[to] = moved[to] + qty end
  return -(moved.held + moved.sold), moved.held, moved.sold
end

-- inventory.split_reservation: units held now, units waitlisted.
local function split_reservation(available, qty)
  local held = math.max(0, math.min(available, qty))
  return held, qty - held
end

-- inventory.capped_qty: units a buyer may still add for one product.
local function capped_qty(requested, already, max_per_buyer)
  return math.max(0, math.min(requested, max_per_buyer - already))
end

-- inventory.flash_applies
local function flash_applies(flash, code, label, now)
  return not isnull(flash) and now < flash.ends_at
    and (isnull(flash.quantity) or flash.taken < flash.quantity)
    and fold(flash.code) == fold(code)
    and (isnull(flash.variant) or fold(flash.variant) == fold(label))
end

-- inventory.price_parts: {units, unit price} parts, the flash price first up to its cap.
local function price_parts(code, label, qty, price, flash, now)
  if not flash_applies(flash, code, label, now) then return {{qty, price}} end
  local left = qty
  if not isnull(flash.quantity) then left = math.min(qty, flash.quantity - flash.taken) end
  local parts = {}
  if left > 0 then parts[#parts + 1] = {left, flash.price} end
  if qty - left > 0 then parts[#parts + 1] = {qty - left, price} end
  return parts
end

-- inventory.flash_taken: units of the flash quota the held parts use up.
local function flash_taken(flash, code, label, parts, now)
  if isnull(flash) then return 0 end
  local taken, base = 0, flash.taken
  for _, part in ipairs(parts) do
    flash.taken = base + taken
    local hit = part[2] == flash.price and flash_applies(flash, code, label, now)
    flash.taken = base
    if hit then taken = taken + part[1] end
  end
  return taken
end

-- inventory.fill_waitlist: {line id, units} for waiting {line id, qty}, oldest first.
local function fill_waitlist(available, waiting)
  local fills = {}
  for _, w in ipairs(waiting) do
    if available <= 0 then break end
    local take = math.min(w[2], available)
    fills[#fills + 1] = {w[1], take}
    available = available - take
  end
  return fills
end

-- orders ------------------------------------------------------------------------------------

-- orders.next_status: the status an action leads to, or nil when it is not allowed now.
local function next_status(status, action)
  local rule = RULES.actions[action]
  if rule == nil or not rule.from[status] then return nil end
  return rule.to
end

local function needs_held(action) return RULES.needs_held[action] == true end

-- orders.line_after: what one line becomes when its order takes an action.
local function line_after(action, state)
  local t = RULES.line_after[action]
  return t and t[state] or state
end

-- orders.all_lines_closed, over lines with a ``state``.
local function all_closed(lines)
  for _, line in ipairs(lines) do
    if not RULES.closed_lines[line.state] then return false end
  end
  return true
end

-- orders.edit_state: the state of units an edit adds, or nil when the order is not editable.
local function edit_state(status) return RULES.editable[status] end

-- orders.give_back: {line id, units} for lines {id, state, qty} giving back ``drop`` units.
local function give_back(lines, drop)
  local ranked = {}
  for _, line in ipairs(lines) do
    if RULES.give_back[line.state] then ranked[#ranked + 1] = line end
  end
  table.sort(ranked, function(a, b)
    local ra, rb = RULES.give_back[a.state], RULES.give_back[b.state]
    if ra ~= rb then return ra < rb end
    return a.id > b.id
  end)
  local out = {}
  for _, line in ipairs(ranked) do
    if drop <= 0 then break end
    local units = math.min(line.qty, drop)
    out[#out + 1] = {line.id, units}
    drop = drop - units
  end
  return out
end

-- capture -----------------------------------------------------------------------------------

local function note(kind, text) return {kind = kind, text = text} end

-- capture.listed
local function listed(lineup, code)
  local wanted = fold(code)
  for _, c in ipairs(lineup) do
    if fold(c) == wanted then return true end
  end
  return false
end

local function label_in(labels, wanted)
  for _, label in ipairs(labels) do
    if label == wanted then return label end
  end
  wanted = fold(wanted)
  for _, label in ipairs(labels) do
    if fold(label) == wanted then return label end
  end
  return nil
end

-- capture.resolve_variant: the label an item means, or nil and a note.
local function resolve_variant(show, item, is_listed, catalog_code, labels, now)
  if #labels == 0 or not is_listed then
    return nil, note('unknown_code', 'unknown_code:' .. item.code)
  end
  if not isnull(item.variant) then
    local label = label_in(labels, item.variant)
    if label then return label end
    return nil, note('unknown_variant', 'unknown_variant:' .. item.code .. ':' .. item.variant)
  end
  if #labels == 1 then return labels[1] end
  local flash = show.flash
  if not isnull(flash) and not isnull(flash.variant)
      and flash_applies(flash, item.code, flash.variant, now) then
    local label = label_in(labels, flash.variant)
    if label then return label end
  end
  if not isnull(show.pinned) and not isnull(show.pinned_variant)
      and fold(show.pinned) == fold(item.code) then
    local label = label_in(labels, show.pinned_variant)
    if label then return label end
  end
  return nil, note('which_variant', 'variant_unclear:' .. catalog_code)
end

local function limit_note(max_per_buyer, code)
  -- Concatenated: Lua 5.1's %s would cut the text at a NUL byte.
  return note('limit', string.format('buyer_limit:%d:', max_per_buyer) .. code)
end

-- capture.order_outcome: the comment's status, and whether it goes to review too.
local function order_outcome(held, waited, notes)
  local limit_only = #notes > 0
  for _, n in ipairs(notes) do
    if n.kind ~= 'limit' then limit_only = false end
  end
  if #notes > 0 and not (held or waited) then
    if limit_only then return 'rejected', false end
    return 'review', true
  end
  local review = false
  for _, n in ipairs(notes) do
    if n.kind ~= 'limit' then review = true end
  end
  return held and 'ordered' or 'waitlisted', review
end

local function reason_of(notes)
  local texts = {}
  for i, n in ipairs(notes) do texts[i] = n.text end
  return table.concat(texts, '; ')
end

-- capture.cancel_selection: the lines (with id, code, state) a buyer's cancel releases.
local function cancel_selection(lines, codes)
  local wanted, any_wanted = {}, false
  for _, c in ipairs(codes) do
    wanted[fold(c)] = true
    any_wanted = true
  end
  local chosen = {}
  for _, line in ipairs(lines) do
    if RULES.cancellable[line.state] and (not any_wanted or wanted[fold(line.code)]) then
      chosen[#chosen + 1] = line
    end
  end
  return chosen
end

-- first paid, first served ------------------------------------------------------------------

-- first_paid.paid_take: {line id, won, sold out} for requested {line id, key, qty} lines,
-- with ``available`` free units per variant key.
local function paid_take(available, lines)
  local left, out = {}, {}
  for key, n in pairs(available) do left[key] = n end
  for _, l in ipairs(lines) do
    local have = left[l[2]] or 0
    local won = math.max(0, math.min(have, l[3]))
    left[l[2]] = have - won
    out[#out + 1] = {l[1], won, l[3] - won}
  end
  return out
end

-- first_paid.sold_out_reason: the review alert of a paid order that lost {code, label, qty}.
local function sold_out_reason(code, lost)
  local parts = {}
  for i, l in ipairs(lost) do
    parts[i] = (string.gsub(l[1] .. ' ' .. l[2] .. ' x' .. l[3], '  ', ' '))
  end
  return 'paid_sold_out:' .. code .. ':' .. table.concat(parts, ', ')
end
