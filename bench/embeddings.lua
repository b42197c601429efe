-- wrk script: POST /v1/embeddings to the inference service.
--   wrk -t2 -c64 -d10s -s bench/embeddings.lua http://127.0.0.1:PORT -- BATCH
-- BATCH (default 1) texts per request, so embeddings/s = requests/s * BATCH.
local req

function init(args)
  local n = tonumber(args[1]) or 1
  local items = {}
  for i = 1, n do
    items[i] = string.format('"bench text %d of %d: kinase inhibitor binding affinity"', i, n)
  end
  local body = '{"model":"bench","input":[' .. table.concat(items, ",") .. ']}'
  req = wrk.format("POST", "/v1/embeddings", { ["Content-Type"] = "application/json" }, body)
end

function request()
  return req
end
