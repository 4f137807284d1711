-- A staff action on one order. ARGV: 3 code, 4 action, 5 version, 6 actor. The transitions are
-- the domain's tables (RULES.actions, RULES.line_after, RULES.needs_held; see rules.lua).

local o = order(ARGV[3])
if o == nil then return fail('not_found') end
if o.version ~= tonumber(ARGV[5]) then return fail('stale', nil, {order = order_out(o.code, true)}) end
local action = ARGV[4]
local target = next_status(o.status, action)
if target == nil then return fail('illegal', nil, {status = o.status}) end
if needs_held(action) then
  local any_held = false
  for _, line in ipairs(o.lines) do if RULES.promised[line.state] then any_held = true end end
  if not any_held then return fail('nothing_held', nil, {status = o.status}) end
end

local freed = {}
for _, line in ipairs(o.lines) do
  local v = release(line, line_after(action, line.state), o)
  if v then freed[v.id] = v end
end
audit(o.code, ARGV[6], action, '')
if action == 'paid' then take_paid(o, ARGV[6]) end  -- first paid, first served
bump(o, target)
promote_all(freed)
flush()
return answer({order = o.code}, o.code)
