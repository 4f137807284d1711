-- Shared by every script; each script is rules.lua, this file, then its own body.
--
-- ARGV[1] is the key prefix with its hash tag ("{ls}"), ARGV[2] the caller's clock as an exact
-- decimal string. Timestamps stay strings in stored documents: cjson encodes numbers with 14
-- significant digits, which would shift epoch seconds by up to a millisecond.
--
-- Nothing is written until flush(): a script that refuses (sold out, stale version...) part way
-- through leaves no trace, as a rolled-back SQL transaction would.

local P = ARGV[1]
local NOW_S = ARGV[2]
local NOW = tonumber(NOW_S)

-- Key names: concatenated directly (a vararg table per key costs more than the key itself).
local function k(a, b, c, ...)
  if b == nil then return P .. ':' .. a end
  if c == nil then return P .. ':' .. a .. ':' .. b end
  if ... == nil then return P .. ':' .. a .. ':' .. b .. ':' .. c end
  return P .. ':' .. table.concat({a, b, c, ...}, ':')
end
local function ts(x) return string.format('%.17g', x) end

local U = {vars = {}, vnamed = {}, listed = {}, vdirty = {}, orders = {}, odirty = {}, seqs = {},
           ops = {}, stock = {}, touched = {}, events = {}, shows = {}, buyers = {}, audits = {}}

local function defer(...) U.ops[#U.ops + 1] = {...} end

local function refusal(kind, msg, extra)
  local out = {err = kind, msg = msg}
  if extra then for key, value in pairs(extra) do out[key] = value end end
  return out
end

local function fail(kind, msg, extra) return cjson.encode(refusal(kind, msg, extra)) end

-- Sequences are read once per call and written once in flush(): a capture draws three or four.
local SEQ = nil

local function nextval(name)
  if SEQ == nil then
    SEQ = {}
    local flat = redis.call('HGETALL', k('seq'))
    for i = 1, #flat, 2 do SEQ[flat[i]] = tonumber(flat[i + 1]) end
  end
  local v = (SEQ[name] or 0) + 1
  SEQ[name] = v
  U.seqs[name] = v
  return v
end

-- stock -------------------------------------------------------------------------------------

local VFIELDS = {'code', 'label', 'position', 'price', 'total', 'available', 'held', 'sold'}

-- Found by the caller's own spelling first (U.vnamed): folding the case of the code and label
-- into the id costs more than the rest of a cached lookup, and a capture call asks for the
-- same few variants, spelt the same way, again and again. Only found variants are kept.
local function variant(code, label)
  local named = U.vnamed[code]
  local v = named and named[label]
  if v then return v end
  local id = up(code) .. ':' .. fold(label)
  v = U.vars[id]
  if v == nil then
    local f = redis.call('HMGET', k('variant', up(code), fold(label)), unpack(VFIELDS))
    if not f[1] then return nil end
    v = {id = id, code = f[1], label = f[2], position = tonumber(f[3]), price = tonumber(f[4]),
         total = tonumber(f[5]), available = tonumber(f[6]), held = tonumber(f[7]),
         sold = tonumber(f[8])}
    U.vars[id] = v
  end
  if named == nil then
    named = {}
    U.vnamed[code] = named
  end
  named[label] = v
  return v
end

local function variants_of(code)
  local out = {}
  for _, label in ipairs(redis.call('ZRANGE', k('variants', up(code)), 0, -1)) do
    local v = variant(code, label)
    if v then out[#out + 1] = v end
  end
  return out
end

-- Stock keys are reported as the caller named them (a re-put product may spell its code in
-- another case), deduplicated like the SQLite store's set of (code, label) pairs.
local function mark_stock(v, code, label)
  code, label = code or v.code, label or v.label
  U.vdirty[v.id] = v
  U.stock[code .. '\0' .. label] = {code, label}
end

local function move_stock(v, available, held, sold, code, label)
  v.available = v.available + available
  v.held = v.held + held
  v.sold = v.sold + sold
  if v.available < 0 or v.held < 0 or v.sold < 0 then
    error('books of ' .. v.id .. ' would go negative')
  end
  mark_stock(v, code, label)
end

-- shows -------------------------------------------------------------------------------------

local function show_of(id)
  local s = U.shows[id]
  if s == nil then
    local f = redis.call('HMGET', k('show', id), 'doc', 'taken')
    if not f[1] then return nil end
    s = cjson.decode(f[1])
    if not isnull(s.flash) then s.flash.taken = tonumber(f[2] or '0') end
    U.shows[id] = s
  end
  return s
end

-- orders ------------------------------------------------------------------------------------

local function order(code)
  if not code then return nil end
  local id = up(code)
  local o = U.orders[id]
  if o == nil then
    local s = redis.call('GET', k('order', id))
    if not s then return nil end
    o = cjson.decode(s)
    U.orders[id] = o
  end
  return o
end

local function find_line(o, id)
  for _, line in ipairs(o.lines) do
    if line.id == id then return line end
  end
  return nil
end

-- Entries are kept per order, in order, and pushed with one RPUSH per order in flush().
local function audit(code, actor, action, detail, comment_id)
  local id = up(code)
  local entries = U.audits[id]
  if entries == nil then
    entries = {}
    U.audits[id] = entries
  end
  entries[#entries + 1] = cjson.encode({at = NOW_S, actor = actor, action = action,
                                        detail = detail or '', comment_id = comment_id or NULL})
end

local function bump(o, status)
  o.version = o.version + 1
  o.updated_at = NOW_S
  if status and status ~= o.status then
    -- Only a captured order is the buyer's open cart; leaving that state frees the slot.
    if o.status == 'captured' then
      defer('HDEL', k('open', o.show_id), o.buyer)
      if o.origin then defer('SREM', k('origin', o.show_id, o.origin), o.code) end
    end
    o.status = status
  end
  U.odirty[up(o.code)] = o
  U.touched[o.code] = o.show_id
end

-- Moves a line to a new state and keeps the hold and waitlist indexes in step with it.
local function set_state(line, to, expires)
  local from = line.state
  if from == 'held' then defer('ZREM', k('holds'), line.id) end
  if from == 'waitlisted' then defer('ZREM', k('wait', up(line.code), fold(line.variant)), line.id) end
  line.state = to
  line.expires_at = expires or NULL
  if to == 'held' then defer('ZADD', k('holds'), line.expires_at, line.id) end
  if to == 'waitlisted' then
    defer('ZADD', k('wait', up(line.code), fold(line.variant)), line.wait_seq, line.id)
  end
end

local function add_line(o, line)
  o.lines[#o.lines + 1] = line
  defer('HSET', k('lineorder'), line.id, o.code)
  local state = line.state
  line.state = 'new'
  set_state(line, state, isnull(line.expires_at) and nil or line.expires_at)
end

-- ``qty`` units of ``v`` as lines of ``o`` in ``state``, priced like the domain does (a running
-- flash deal first, its quota counting them); a hold or a first-paid request.
local function add_priced_lines(show, o, v, qty, state, expires, comment_id, item)
  local parts = price_parts(v.code, v.label, qty, v.price, show.flash, NOW)
  for _, part in ipairs(parts) do
    add_line(o, {id = nextval('line'), code = v.code, variant = v.label, qty = part[1],
                 unit_price = part[2], state = state, created_at = NOW_S,
                 expires_at = expires, wait_seq = NULL, comment_id = comment_id or NULL,
                 confidence = item.confidence or NULL, said = item.said or ''})
  end
  local taken = flash_taken(show.flash, v.code, v.label, parts, NOW)
  if taken > 0 then
    show.flash.taken = show.flash.taken + taken
    defer('HINCRBY', k('show', show.id), 'taken', taken)
  end
end

-- Units of a released line that go back to the flash quota: the twin of
-- domain/flash.py returned_to_quota (tests/store/test_flash_parity.py).
local function flash_return(flash, line, qty)
  if isnull(flash) or qty <= 0 then return 0 end
  if fold(flash.code) ~= fold(line.code) then return 0 end
  if not isnull(flash.variant) and fold(flash.variant) ~= fold(line.variant) then return 0 end
  if tonumber(line.unit_price) ~= tonumber(flash.price) then return 0 end
  if tonumber(line.created_at) < tonumber(flash.started_at or 0) then return 0 end
  return math.max(0, math.min(qty, flash.taken or 0))
end

-- Released flash-price units of order ``o`` go back to its show's quota.
local function give_back_flash(o, line, qty)
  if not o then return end
  local show = show_of(o.show_id)
  local back = show and flash_return(show.flash, line, qty) or 0
  if back > 0 then
    show.flash.taken = show.flash.taken - back
    defer('HINCRBY', k('show', o.show_id), 'taken', -back)
  end
end

-- Returns the variant when the move freed units for the waitlist. With the line's order,
-- released flash units also go back to the quota.
local function release(line, to, o)
  local before = line.state
  if before == to then return nil end
  set_state(line, to, nil)
  local a, h, s = stock_delta(before, to, line.qty)
  local v = variant(line.code, line.variant)
  if a ~= 0 or h ~= 0 or s ~= 0 then move_stock(v, a, h, s) end
  if to == 'released' and (before == 'held' or before == 'confirmed'
      or before == 'requested') then
    give_back_flash(o, line, line.qty)
  end
  if a > 0 then return v end
  return nil
end

local function place_event(show_id, name, code, label, qty)
  U.events[#U.events + 1] = {'placed', show_id, name, code, label, qty}
end

-- First come, first served: freed units go to the oldest waitlisted lines, partly if need be
-- (fill_waitlist decides). Only the lines the free units can reach are read.
local function promote(v, code, label)
  code, label = code or v.code, label or v.label
  if v.available <= 0 then return end
  local wkey = k('wait', up(v.code), fold(v.label))
  local waiting, found, wanted = {}, {}, 0
  for _, lid in ipairs(redis.call('ZRANGE', wkey, 0, 999)) do
    if wanted >= v.available then break end
    local o = order(redis.call('HGET', k('lineorder'), lid))
    local line = o and find_line(o, tonumber(lid))
    if line and line.state == 'waitlisted' then
      waiting[#waiting + 1] = {line.id, line.qty}
      found[line.id] = {o, line}
      wanted = wanted + line.qty
    end
  end
  for _, fill in ipairs(fill_waitlist(v.available, waiting)) do
    local o, line = found[fill[1]][1], found[fill[1]][2]
    local take = fill[2]
    local show = show_of(o.show_id)
    local expires = ts(NOW + show.hold_minutes * 60)
    if take == line.qty then
      set_state(line, 'held', expires)
      line.created_at = NOW_S
      line.wait_seq = NULL
    else
      line.qty = line.qty - take
      add_line(o, {id = nextval('line'), code = line.code, variant = line.variant, qty = take,
                   unit_price = line.unit_price, state = 'held', created_at = NOW_S,
                   expires_at = expires, wait_seq = NULL, comment_id = line.comment_id,
                   confidence = line.confidence, said = line.said})
    end
    move_stock(v, -take, take, 0, code, label)
    audit(o.code, 'system', 'promoted',
          string.format('%s %s x%d from waitlist', code, label, take))
    bump(o)
    place_event(o.show_id, o.buyer_name, code, label, take)
  end
end

-- Same order as the SQLite store: by (code, label), so events come out alike. ``freed`` holds
-- variants, or {var, code, label} where the caller named the variant its own way.
local function promote_all(freed)
  local list = {}
  for _, e in pairs(freed) do
    if e.var then list[#list + 1] = e else list[#list + 1] = {var = e, code = e.code, label = e.label} end
  end
  table.sort(list, function(a, b)
    if a.code ~= b.code then return a.code < b.code end
    return a.label < b.label
  end)
  for _, e in ipairs(list) do promote(e.var, e.code, e.label) end
end

-- writing and answering ---------------------------------------------------------------------

-- A script handling many requests (capture) sets CALL: what several requests would each
-- write again and nothing reads back but through the caches above (sequences, the books of
-- stock moves, the stock version, counters) is then written once, by flush_call(), at the
-- end of the call, or before the caches are dropped after a refused request.
local CALL = nil

local function flush_call()
  if CALL == nil then return end
  local seqs = {}
  for name, value in pairs(CALL.seqs) do
    seqs[#seqs + 1] = name
    seqs[#seqs + 1] = value
  end
  if #seqs > 0 then redis.call('HSET', k('seq'), unpack(seqs)) end
  for key, b in pairs(CALL.books) do
    redis.call('HSET', key, 'total', b[1], 'available', b[2], 'held', b[3], 'sold', b[4])
  end
  for key, counts in pairs(CALL.counts) do
    for field, n in pairs(counts) do redis.call('HINCRBY', key, field, n) end
  end
  if CALL.stock then redis.call('HINCRBY', k('meta'), 'stock_version', 1) end
  CALL = {seqs = {}, books = {}, counts = {}, stock = false}
end

-- A counter to raise by one: once per call with CALL, else with the request's writes.
local function count(key, field)
  if CALL == nil then return defer('HINCRBY', key, field, 1) end
  local counts = CALL.counts[key]
  if counts == nil then
    counts = {}
    CALL.counts[key] = counts
  end
  counts[field] = (counts[field] or 0) + 1
end

local function flush()
  local any_stock = false
  for _ in pairs(U.stock) do any_stock = true break end
  local seqs = {}
  if CALL ~= nil then
    -- Copies: a later request that fails part way must not leave its changes in them.
    for name, value in pairs(U.seqs) do CALL.seqs[name] = value end
    for _, v in pairs(U.vdirty) do
      if not v.full then
        CALL.books[k('variant', up(v.code), fold(v.label))] = {v.total, v.available, v.held,
                                                               v.sold}
        U.vdirty[v.id] = nil
      end
    end
    if any_stock then CALL.stock = true end
    any_stock = false
  else
    for name, value in pairs(U.seqs) do
      seqs[#seqs + 1] = name
      seqs[#seqs + 1] = value
    end
  end
  if #seqs > 0 then redis.call('HSET', k('seq'), unpack(seqs)) end
  for _, v in pairs(U.vdirty) do
    -- Stock moves change only the books; the catalog (``v.full``) rewrites the whole variant.
    local vkey = k('variant', up(v.code), fold(v.label))
    if v.full then
      redis.call('HSET', vkey, 'code', v.code, 'label', v.label, 'position', v.position,
                 'price', v.price, 'total', v.total, 'available', v.available, 'held', v.held,
                 'sold', v.sold)
    else
      redis.call('HSET', vkey, 'total', v.total, 'available', v.available, 'held', v.held,
                 'sold', v.sold)
    end
  end
  for id, o in pairs(U.odirty) do redis.call('SET', k('order', id), cjson.encode(o)) end
  for _, op in ipairs(U.ops) do redis.call(unpack(op)) end
  for code, entries in pairs(U.audits) do redis.call('RPUSH', k('audit', code), unpack(entries)) end
  if any_stock then redis.call('HINCRBY', k('meta'), 'stock_version', 1) end
  -- Written: a script handling several requests (capture) starts the next one afresh; the
  -- read caches (variants, orders, shows, sequences) stay valid, they hold what was written.
  U.vdirty, U.odirty, U.seqs, U.ops, U.audits = {}, {}, {}, {}, {}
end

-- An order as answered; its audit trail only where the caller returns the order itself
-- (events carry orders without it, as the SQLite store's do).
local function order_out(code, with_audit)
  local trail = {}
  if with_audit then
    for i, entry in ipairs(redis.call('LRANGE', k('audit', up(code)), 0, -1)) do
      trail[i] = cjson.decode(entry)
    end
  end
  return {doc = order(code), audit = trail}
end

-- The answer of one request (after flush()), as a table; its events are then forgotten.
local function answer_of(result, fresh)
  local stock, orders = {}, {}
  for _, key in pairs(U.stock) do stock[#stock + 1] = key end
  -- Changed orders by code and show only: listeners load an order when they need it.
  for code, show_id in pairs(U.touched) do orders[#orders + 1] = {code, show_id} end
  local out = {r = result, ev = U.events, stock = stock, orders = orders}
  if fresh then out.fresh = order_out(fresh, true) end
  U.stock, U.touched, U.events = {}, {}, {}
  return out
end

local function answer(result, fresh) return cjson.encode(answer_of(result, fresh)) end
