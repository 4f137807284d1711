-- First paid, first served (livesell/domain/first_paid.py; SQLite: store/sqlite/first_paid.py).
-- Order comments in such a show ask for units without holding any; paying takes them.

-- Ask for ``qty`` units of ``v`` in order ``o``: nothing moves in the books. A running flash
-- deal prices them as it would a hold and its quota counts them (given back if they go).
local function request_lines(show, o, v, qty, comment_id, item)
  add_priced_lines(show, o, v, qty, 'requested', NULL, comment_id, item)
end

-- Order ``o`` is being paid: its requested units are taken now, first paid first served.
-- What is gone is ``sold_out``; the money is flagged ``refund`` and staff get a review alert.
-- An order paid straight from ``captured`` is confirmed on the way (RULES.on_payment: held
-- units sold, waitlisted ones dropped).
local function take_paid(o, actor)
  for _, line in ipairs(o.lines) do
    local after = RULES.on_payment[line.state]
    if after then release(line, after, o) end
  end
  local rows = {}
  for _, line in ipairs(o.lines) do
    if line.state == 'requested' then rows[#rows + 1] = line end
  end
  if #rows == 0 then return end
  table.sort(rows, function(a, b) return a.id < b.id end)
  local available, wanted, vars = {}, {}, {}
  for i, line in ipairs(rows) do
    local v = variant(line.code, line.variant)
    vars[i] = v
    available[v.id] = v.available
    wanted[i] = {line.id, v.id, line.qty}
  end
  local lost = {}
  for i, t in ipairs(paid_take(available, wanted)) do
    local line, v, won, gone = rows[i], vars[i], t[2], t[3]
    if won > 0 then
      set_state(line, 'confirmed', nil)
      line.qty = won
      move_stock(v, -won, 0, won, line.code, line.variant)
      place_event(o.show_id, o.buyer_name, line.code, line.variant, won)
    end
    if gone > 0 then
      if won > 0 then
        add_line(o, {id = nextval('line'), code = line.code, variant = line.variant, qty = gone,
                     unit_price = line.unit_price, state = 'sold_out',
                     created_at = line.created_at, expires_at = NULL, wait_seq = NULL,
                     comment_id = line.comment_id, confidence = line.confidence,
                     said = line.said})
      else
        set_state(line, 'sold_out', nil)
      end
      give_back_flash(o, line, gone)
      lost[#lost + 1] = {line.code, line.variant, gone}
    end
  end
  if #lost == 0 then
    audit(o.code, actor, 'taken', 'first paid: every unit taken')
    return
  end
  local why = sold_out_reason(o.code, lost)
  o.payment_flag = 'refund'
  audit(o.code, actor, 'sold_out', why)
  local first = rows[1]
  for _, line in ipairs(rows) do
    if not isnull(line.comment_id) then first = line break end
  end
  local id = nextval('review')
  local item = {id = id, show_id = o.show_id,
                comment_id = isnull(first.comment_id) and 0 or first.comment_id,
                buyer = o.buyer, author_name = o.buyer_name, text = first.said or '',
                reason = why, status = 'open', created_at = NOW_S, order = o.code}
  defer('SET', k('review', id), cjson.encode(item))
  defer('ZADD', k('show', o.show_id, 'review'), id, id)
  U.events[#U.events + 1] = {'review', item}
end
