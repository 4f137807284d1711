-- A staff action on one order. ARGV: 3 code, 4 action, 5 version, 6 actor,
-- 7 JSON {action: [[allowed statuses], target]} (the domain's transition table).

local o = order(ARGV[3])
if o == nil then return fail('not_found') end
if o.version ~= tonumber(ARGV[5]) then return fail('stale', nil, {order = order_out(o.code, true)}) end
local action = ARGV[4]
local rule = cjson.decode(ARGV[7])[action]
local allowed = false
if rule then
  for _, st in ipairs(rule[1]) do if st == o.status then allowed = true end end
end
if not allowed then return fail('illegal', nil, {status = o.status}) end
if action == 'confirm' then
  local any_held = false
  for _, line in ipairs(o.lines) do if line.state == 'held' then any_held = true end end
  if not any_held then return fail('nothing_held', nil, {status = o.status}) end
end

-- What happens to each line: confirming sells held units and drops waiting ones.
local freed = {}
for _, line in ipairs(o.lines) do
  local after = line.state
  if line.state ~= 'released' then
    if action == 'confirm' then
      after = line.state == 'held' and 'confirmed' or 'released'
    elseif action == 'reject' or action == 'cancel' then
      after = 'released'
    end
  end
  local v = release(line, after)
  if v then freed[v.id] = v end
end
audit(o.code, ARGV[6], action, '')
bump(o, rule[2])
promote_all(freed)
flush()
return answer({order = o.code}, o.code)
