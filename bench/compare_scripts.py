"""The wrk Lua scripts of bench/compare.py: paced GETs, logins, checkouts and cache-missing
list pages. Each is written to a file in `directory` and its path returned."""
import json
import os

# wrk itself reports non-2xx answers (counted per thread, where a script's own counter would not
# reach `done`), and compare stops on any.
SCRIPT_HEAD = """
-- A pause before each request on a connection, for a constant rate (0: as fast as possible),
-- drawn uniformly from [0, 2 x pause] (same mean) rather than fixed. With a fixed pause the
-- connections, all opened at once, stay in lock-step: the "constant" load arrived as one burst of
-- every connection per pause, and the p99 measured that burst's queue (hundreds of requests at
-- once), not the server. wrk2 staggers its connections' schedules for the same reason.
-- Each wrk thread has its own Lua state, and LuaJIT seeds every one alike: with one connection
-- per thread (checkout) they would all draw the same pauses. Seeded from the kernel instead.
local pause = tonumber(os.getenv("BENCH_PAUSE_MS") or "0")
if pause > 0 then
  local urandom = io.open("/dev/urandom", "rb")
  if urandom then
    local a, b, c = urandom:read(3):byte(1, 3)
    urandom:close()
    math.randomseed(a * 65536 + b * 256 + c)
  end
  function delay() return math.floor(math.random() * 2 * pause + 0.5) end
end
-- BENCH_DEBUG=1 prints every failed answer (slower: wrk then parses each response).
if os.getenv("BENCH_DEBUG") then
  function response(status, headers, body)
    if status >= 300 then io.stderr:write(status .. " " .. body .. "\\n") end
  end
end
"""


def login_script(directory, email, password):
    path = os.path.join(directory, f"login-{email}.lua")
    with open(path, "w") as f:
        f.write(SCRIPT_HEAD + f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{json.dumps({"email": email, "password": password})}'
""")
    return path


def get_script(directory):
    """A plain GET, through a script so that it can be paced."""
    path = os.path.join(directory, "get.lua")
    with open(path, "w") as f:
        f.write(SCRIPT_HEAD)
    return path


def checkout_script(directory, tokens, product):
    """One buyer per wrk thread: put one unit in the cart, then check out with a fresh key.

    The next request is chosen by the last ANSWER, not by counting `request()` calls: wrk calls
    `request()` once on its first thread's state before any connection to check the script
    (`script_verify_request`), so a call-count parity made that buyer's first checkout run on an
    empty cart (409 "The cart is empty", once per wrk run: the bench's bug, not the app's). Keys
    carry a per-run nonce (BENCH_RUN): LuaJIT's unseeded `math.random` repeats across runs, and
    a repeated key is a replay (cheaper than a checkout, inflating later rounds) or, when the
    earlier run was cut off mid-checkout, a 409 "still being processed"."""
    path = os.path.join(directory, "checkout.lua")
    token_list = ", ".join(f'"{t}"' for t in tokens)
    with open(path, "w") as f:
        f.write(SCRIPT_HEAD + f"""
local tokens = {{{token_list}}}
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local debug = os.getenv("BENCH_DEBUG")
local next_thread = 1
function setup(thread)
  thread:set("buyer", next_thread)
  next_thread = next_thread + 1
end
local put_next, sent = true, 0
function request()
  sent = sent + 1
  local headers = {{["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. tokens[buyer]}}
  if put_next then
    return wrk.format("PUT", "/api/cart/items/{product}", headers, '{{"quantity":1}}')
  end
  headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, buyer, sent)
  return wrk.format("POST", "/api/orders", headers, "{{}}")
end
-- A put that failed is put again; a checkout, whatever its answer, is followed by a put.
function response(status, headers, body)
  if debug and status >= 300 then io.stderr:write(status .. " " .. body .. "\\n") end
  if put_next then put_next = status >= 300 else put_next = true end
end
""")
    return path


def uncached_script(directory):
    """A product list page that neither Agora's cache nor the peer's has seen: page numbers run
    from BENCH_PAGE_FIRST up, one per request, within a slot (BENCH_PAGE_FIRST..BENCH_PAGE_LAST)
    that compare.py hands each run, so no run of a server repeats another's pages. The pages lie
    past the 200 products (page 11 onward at 20 a page), so the answer is an empty page: both stacks miss
    their L1 and Redis, run the page query (the peer also counts the active products every
    time; Agora counts a filter once and caches the count with its pages, ADR 0038), then store
    the page — the database path without the cost of rendering rows."""
    path = os.path.join(directory, "uncached.lua")
    with open(path, "w") as f:
        f.write(SCRIPT_HEAD + """
local first = tonumber(os.getenv("BENCH_PAGE_FIRST") or "11")
local span = tonumber(os.getenv("BENCH_PAGE_LAST") or "1000000") - first
local sent = 0
function request()
  local page = first + sent % span
  sent = sent + 1
  return wrk.format("GET", "/api/products?limit=20&page=" .. page)
end
""")
    return path
