-- wrk script for the get_url benchmark (dotnet run -c Release --project tests/Cctv.Benchmarks -- get-url runs it):
-- GET /api/recordings/{id}/get_url/ cycling through the recording IDs listed in $CCTV_IDS, with the bearer
-- credential in $CCTV_TOKEN; at the end, one line with the latency percentiles, the rate and the errors.
local ids = {}
local token = os.getenv("CCTV_TOKEN")
local next_id = 0

function init(args)
  for line in io.lines(os.getenv("CCTV_IDS")) do
    ids[#ids + 1] = line
  end
  next_id = math.random(#ids)
end

function request()
  next_id = next_id % #ids + 1
  return wrk.format("GET", "/api/recordings/" .. ids[next_id] .. "/get_url/", { ["Authorization"] = "Bearer " .. token })
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("get_url: p50 %.2f ms, p99 %.2f ms, %.0f requests/s, %d requests, %d errors\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6), summary.requests, errors))
end
