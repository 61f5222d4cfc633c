-- wrk: the portal's search, eight queries in turn. With ZHIFA_BENCH_LISTS=1
-- every other request searches the public lists instead of the decisions.
-- Used by bench-portal.sh and bench-search-writes.sh.
local queries = { "食品", "保质期", "罚款", "许可", "检查", "饮料", "销售", "食品安全法" }
local encoded = {}
for i, q in ipairs(queries) do
  encoded[i] = q:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)
end
local lists = os.getenv("ZHIFA_BENCH_LISTS") == "1"
local n = 0
request = function()
  n = n + 1
  local q = encoded[(n % #encoded) + 1]
  if lists and n % 2 == 1 then
    return wrk.format("GET", "/api/v1/public/lists?q=" .. q)
  end
  return wrk.format("GET", "/decisions?q=" .. q)
end
