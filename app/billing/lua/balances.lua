-- Wallet available and key quota remaining right now (no hold placed).
-- ARGV: wallet_id, key_id, quota ('' = unlimited)
local W, K, quota = 'w:' .. ARGV[1], 'k:' .. ARGV[2], opt(ARGV[3])
local ws, wu, wh = account(W)
local ks, ku, kh = account(K)
local missing = {'load'}
if not ws then missing[#missing + 1] = W end
if quota and not ks then missing[#missing + 1] = K end
if #missing > 1 then return missing end
local key = -1
if quota then key = math.max(0, quota - ks - ku - kh) end
return {'ok', ws - wu - wh, key}
