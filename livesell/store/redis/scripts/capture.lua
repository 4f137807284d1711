-- Comments: dedupe, store, and act on each. ARGV[3] is a JSON array of requests (see
-- request_of), handled one after the other exactly as separate calls would be (each is written before the next is
-- read, so a comment repeated within one call is a duplicate); the answer is a JSON array
-- with one answer per request. One call carries many comments so that the per-call costs
-- (the script's setup, reading the show and the sequences, the client's command) are paid
-- once; a refused request (unknown show) writes nothing and the others go on.
-- Safe to retry: a second call with the same (source, source id) only reports the first.

-- A request as sent by RedisOrders._capture_doc: an array in a fixed order (names would
-- cost more to send and decode than the values), items as arrays, then an object with only
-- the optional fields that are set.
local function request_of(a)
  local items = {}
  for i, it in ipairs(a[9]) do
    items[i] = {code = it[1], variant = it[2], qty = it[3], confidence = it[4], said = it[5]}
  end
  local x = a[11] or {}
  return {show_id = a[1], source = a[2], source_id = a[3], author_id = a[4],
          author_name = a[5], text = a[6], received_at = a[7], kind = a[8], items = items,
          token = a[10], phone = x.phone, reason = x.reason or '', reject = x.reject or '',
          address = x.address or '', note = x.note or '', origin = x.origin or '',
          anonymous_cap = x.anonymous_cap or 0, origin_cap = x.origin_cap or 0}
end

local function capture_one(req)
  req = request_of(req)
  local ckey = k('comment', req.source, req.source_id)
  local prev = redis.call('HMGET', ckey, 'status', 'order')
  if prev[1] then
    return {r = {dup = true, status = prev[1], order = prev[2]}}
  end
  local show = show_of(req.show_id)
  if show == nil then return refusal('not_found', 'show ' .. req.show_id .. ' not found') end

  local c = {buyer = req.source .. ':' .. req.author_id, author_name = req.author_name,
             text = req.text, origin = req.origin, anonymous_cap = req.anonymous_cap,
             origin_cap = req.origin_cap,
             limited = (req.anonymous_cap or 0) > 0 or (req.origin_cap or 0) > 0}
  local comment_id = nextval('comment')
  local actor = 'comment:' .. req.source
  local phone = req.phone
  if isnull(phone) then phone = nil end
  local o = nil
  local status, reason = nil, req.reason

  if req.reject ~= '' then
    status, reason = 'rejected', req.reject
  elseif show.status == 'ended' then
    status, reason = 'rejected', 'show_ended'
  elseif req.kind == 'order' then
    local held, waited, notes
    o, held, waited, notes = add_items(show, c, comment_id, req.items, phone, actor, true,
                                       req.token)
    local review
    status, review = order_outcome(held, waited, notes)
    reason = reason_of(notes)
    if review then add_review(show.id, c, comment_id, ckey, reason) end
  elseif req.kind == 'cancel' then
    o = open_order(show.id, c.buyer)
    local chosen = {}
    if o then
      local codes = {}
      for i, item in ipairs(req.items) do codes[i] = item.code end
      chosen = cancel_selection(o.lines, codes)
    end
    if #chosen == 0 then
      o = nil
      status, reason = 'ignored', 'nothing to cancel'
      local late, alert = after_confirm(show.id, c.buyer, 'cancel')
      if late then
        o, status, reason = late, 'review', alert
        add_review(show.id, c, comment_id, ckey, reason)
      end
    else
      local freed, names, seen = {}, {}, {}
      for _, line in ipairs(chosen) do
        local v = release(line, 'released', o)
        if v then freed[v.id] = v end
        if not seen[line.code] then
          seen[line.code] = true
          names[#names + 1] = line.code
        end
      end
      table.sort(names)
      audit(o.code, actor, 'cancel', table.concat(names, ', '), comment_id)
      bump(o, all_closed(o.lines) and 'cancelled' or nil)
      promote_all(freed)
      status, reason = 'cancelled', ''
    end
  elseif req.kind == 'reduce' or req.kind == 'change' then
    o, status, reason = apply_change(show, c, comment_id, req, actor)
    if status == 'review' then add_review(show.id, c, comment_id, ckey, reason) end
  elseif req.kind == 'contact' then
    o = set_contact(show, c, comment_id, phone, req.address, req.note, actor)
    if req.note ~= '' then
      status, reason = 'review', CONTACT_NOTE
      add_review(show.id, c, comment_id, ckey, reason)
    elseif o then
      status, reason = 'contact', ''
    else
      status, reason = 'ignored', 'no order to attach to'
    end
  elseif req.kind == 'question' then
    status = 'question'
  elseif req.kind == 'review' then
    status = 'review'
    add_review(show.id, c, comment_id, ckey, req.reason ~= '' and req.reason or 'unclear_order')
  else
    status = 'ignored'
  end

  local order_code = o and o.code or ''
  if order_code ~= '' then defer('RPUSH', k('ordercomments', up(order_code)), ckey) end
  defer('HSET', ckey, 'id', comment_id, 'show_id', req.show_id, 'source', req.source,
        'source_id', req.source_id, 'author_id', req.author_id, 'author_name', req.author_name,
        'text', req.text, 'received_at', req.received_at, 'status', status,
        'order', order_code, 'reason', reason)
  count(k('show', req.show_id, 'comments'), status)
  flush()
  -- ``shown``: the comment goes on the live feed (the client has its words); contact
  -- details are never public.
  return answer_of({status = status, order = order_code, reason = reason,
                    token = o and o.token or '',
                    shown = status ~= 'rejected' and req.kind ~= 'contact'})
end

-- A request that raises (a bug, or a command Redis refused) is answered as an error; what it
-- had buffered is dropped with every cache, so the requests after it go on from what is stored,
-- as they would have as separate calls.
-- Sequences, books and counters are written once for the call (CALL, common.lua): before
-- the caches are dropped, what the requests before the failed one made is written.
local answers = {}
CALL = {seqs = {}, books = {}, counts = {}, stock = false}
for i, req in ipairs(cjson.decode(ARGV[3])) do
  local ok, out = pcall(capture_one, req)
  if not ok then
    local e = type(out) == 'table' and (out.err or cjson.encode(out)) or tostring(out)
    out = {err = 'script', msg = e}
    flush_call()
    for name in pairs(U) do U[name] = {} end
    SEQ = nil
  end
  answers[i] = out
end
flush_call()
return cjson.encode(answers)
