-- wrk script: thumbnails of BENCH_KEYS images with a Zipf-like popularity (exponent
-- BENCH_ZIPF_S: image k is asked 1/k^s as often as image 1), BENCH_MISS_SHARE of the requests
-- for an image nobody asked before (a cache miss every time), every request with a Referer as a
-- browser sends it; 1 in 10 carries jQuery's cache buster "_=" (stripped from the cache key), 1 in
-- 50 a jQuery array argument (a percent sign in the name: the request filter's exact check runs).
-- BENCH_MODE=warm asks every image once, in order, then starts over (fills the cache).
local keys = tonumber(os.getenv("BENCH_KEYS") or "5000")
local s = tonumber(os.getenv("BENCH_ZIPF_S") or "1.0")
local miss = tonumber(os.getenv("BENCH_MISS_SHARE") or "0.02")
local nonce = tonumber(os.getenv("BENCH_NONCE") or "1")
local warm = os.getenv("BENCH_MODE") == "warm"
local prefix = os.getenv("BENCH_PREFIX") or "/webgateway/render_thumbnail/"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local cdf = {}
local total = 0
for k = 1, keys do
  total = total + 1 / k ^ s
  cdf[k] = total
end
for k = 1, keys do
  cdf[k] = cdf[k] / total
end

local function popular()
  local u, lo, hi = math.random(), 1, keys
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

local counter = 0
function init(args)
  math.randomseed(nonce * 1000 + tid)
end

function request()
  counter = counter + 1
  local path
  if warm then
    path = prefix .. ((counter * 2 + tid) % keys + 1) .. "/"
  elseif math.random() < miss then
    path = prefix .. (1000000000 + nonce * 100000000 + tid * 10000000 + counter) .. "/"
  else
    local k = popular()
    path = prefix .. k .. "/"
    if counter % 10 == 0 then
      path = path .. "?_=" .. (counter % 7)
    elseif counter % 50 == 1 then
      path = path .. "?c%5B%5D=1"
    end
  end
  return wrk.format("GET", path, {Referer = "http://127.0.0.1/webclient/?show=image-" .. (counter % keys)})
end
