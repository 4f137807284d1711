-- Anti-hoarding limits: the twin of livesell.domain.buyers.hoard_room (a parity test feeds
-- both the same inputs). A cap of 0 is no cap. Returns the units allowed and the notes.

local function capped(qty, already, cap) return math.max(0, math.min(qty, cap - already)) end

local function hoard_room(qty, show_units, anonymous_cap, has_phone, origin_units, origin_cap)
  local notes = {}
  if anonymous_cap > 0 and not has_phone then
    local room = capped(qty, show_units, anonymous_cap)
    if room < qty then
      notes[#notes + 1] = string.format('anonymous_limit:%d', anonymous_cap)
      qty = room
    end
  end
  if origin_cap > 0 then
    local room = capped(qty, origin_units, origin_cap)
    if room < qty then
      notes[#notes + 1] = string.format('address_limit:%d', origin_cap)
      qty = room
    end
  end
  return qty, notes
end

-- Set by buyers.lua where a script includes it (capture); nil elsewhere.
local buyer_room = nil
