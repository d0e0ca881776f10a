/**
 * The benchmark's loopback server: plain node:http serving canned bodies, in its own process so
 * that it costs the measured client nothing. It is not the embedded server: it measures client
 * overhead, so it answers as fast as it can.
 *
 * - GET  /v1/threads/:t/runs/:r          a canned run (tools, usage)
 * - GET  /v1/threads/:t/messages         a page of 20 messages with annotations (~27 KB)
 * - GET  /v1/threads/:t/runs?limit&after pages over `total` runs (2,000 by default; thread
 *                                        `thread_big_<n>` has n)
 * - POST /v1/threads/:t/runs             a run that completes `delays[n]` ms after the n-th create
 *                                        (the same sequence for every client, see there); threads
 *                                        `thread_hint*` answer with `openai-poll-after-ms`; a
 *                                        thread ending in `_warm` gets runs that complete after
 *                                        500 ms and leave the sequence alone (a warm-up)
 * - POST /v1/threads/:t/runs, `"stream": true` in the body (nothing else is read):
 *                                        - thread `thread_streamtool`: the first half of a canned
 *                                          run with a tool round (`fixtures.ts`, toolRoundStream),
 *                                          written at once, ending at `requires_action`
 *                                        - thread `thread_streambig_<n>`: one run with n text
 *                                          deltas, written with backpressure (memory)
 *                                        - any other thread: the run's first three events, then its
 *                                          completion at the same time the polled run would complete
 * - POST /v1/threads/:t/runs/:r/submit_tool_outputs
 *                                        the second half: the tool step's end, a message of 1,000
 *                                        text deltas, the step's end; then, after a pause that lets
 *                                        the client catch up, `thread.run.completed` and `done`,
 *                                        the time of that write recorded
 * - GET  /bench/streams                  when each `thread.run.completed` above was written
 * - GET  /bench/runs                     per-run figures: creation and completion times, when
 *                                        each read arrived and when the first that saw the run
 *                                        completed did
 * - POST /bench/reset?from=n             forgets every run; the next create is the n-th
 *
 * Prints `ready <port>` on stdout.
 */
import { createServer } from "node:http"
import * as fx from "./fixtures.js"

const json = (value: unknown) => Buffer.from(JSON.stringify(value))
const canned = json(fx.run(fx.runId(0)))
const messages = json(fx.page(Array.from({ length: 20 }, (_, i) => fx.message(i)), true))

const pageCache = new Map<string, Buffer>()
const runPage = (total: number, limit: number, after: string | null) => {
  const key = `${total}:${limit}:${after}`
  const cached = pageCache.get(key)
  if (cached) return cached
  const start = after === null ? 0 : Number(after.slice(-16)) + 1
  const data = Array.from(
    { length: Math.max(0, Math.min(limit, total - start)) },
    (_, i) => fx.run(fx.runId(start + i))
  )
  const body = json(fx.page(data, start + limit < total))
  if (total <= 2000) pageCache.set(key, body)
  return body
}

/**
 * The n-th created run completes after delays[n] ms, in [200, 1200): the same sequence for every
 * client, spread so that the delay quantiles measure how a client polls, not where its grid of
 * polls happens to sit. A delay is where a completion falls on that grid, and the two clients'
 * grids sit tens of milliseconds apart: the SDK reads once right after the create, we wait an
 * interval.
 *
 * Replaying the polls of a fixed 102.7 ms grid (the gap measured between reads) at every offset
 * over the 500 runs the bench pools, the median delay ranged:
 * - from 47.3 to 55.7 ms over pseudo-random times (mulberry32, what this server used before): 500
 *   random phases are far from even;
 * - from 49.1 to 53.6 ms over the golden-ratio sequence, which covers [200, 1200) evenly in any
 *   stretch: 1,000 ms is not a whole number of periods, so some phases get one more period's worth
 *   of completions than others;
 * - from 50.5 to 52.5 ms over the same sequence mapped onto a density that ramps up over the first
 *   100 ms and down over the last 100 (the sum of a uniform 900 ms and a uniform 100 ms), which
 *   spreads the phases evenly whatever the period. The server uses this one,
 * with each block of 50 (a round) shuffled, seeded: a client's first read comes later for its later
 * creates (ours about 110 ms after the create for the first 25 of a round, 123 ms for the last
 * 25), and in creation order the golden-ratio sequence would pair those offsets with a pattern of
 * times. Over ten rounds unshuffled, the median of where a completion fell between two reads (0 to
 * 1 of the gap) was 0.508 for us and 0.484 for the SDK; shuffled, 0.487 and 0.489, then 0.514 and
 * 0.505, in two trials.
 */
const delays = (() => {
  const golden = (Math.sqrt(5) - 1) / 2
  const [ramp, flat] = [100, 900]
  // the inverse of the distribution function of U[0, ramp) + U[0, flat)
  const inverse = (u: number) =>
    u <= ramp / (2 * flat)
      ? Math.sqrt(2 * ramp * flat * u)
      : u <= 1 - ramp / (2 * flat)
      ? u * flat + ramp / 2
      : ramp + flat - Math.sqrt(2 * ramp * flat * (1 - u))
  const times = Array.from({ length: 100_000 }, (_, n) => 200 + Math.floor(inverse((0.4242 + n * golden) % 1)))
  let seed = 424242
  const random = () => {
    seed = (seed + 0x6d2b79f5) >>> 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let start = 0; start < times.length; start += 50) {
    for (let i = 49; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[times[start + i], times[start + j]] = [times[start + j], times[start + i]]
    }
  }
  return times
})()

interface Polled {
  readonly createdMs: number
  readonly completesMs: number
  readonly hint: boolean
  readonly reads: Array<number>
  seenMs: number | null
}
let created = 0
/** When the server wrote each tool round's `thread.run.completed`, in order. */
const completions: Array<number> = []

const streamRunId = "run_stream00000000000000001"
const toolRound = (() => {
  const round = fx.toolRoundStream(streamRunId, 1000)
  return {
    first: Buffer.from(round.first.join("")),
    second: Buffer.from(round.second.join("")),
    last: Buffer.from(round.last.join(""))
  }
})()
// long enough for every client to have folded the 1,000 deltas before the completion is written,
// so that the time to the caller is the completion's alone
const pauseMs = 50
const sseHeaders = { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": "req_bench" }

/** Writes `events` in chunks of 1,000, waiting for the socket to drain between them. */
const writeAll = (res: import("node:http").ServerResponse, events: ReadonlyArray<string>, then: () => void) => {
  let i = 0
  const next = () => {
    while (i < events.length) {
      const chunk = events.slice(i, i + 1000).join("")
      i += 1000
      if (!res.write(chunk)) return void res.once("drain", next)
    }
    then()
  }
  next()
}

let warm = 0
const polled = new Map<string, Polled>()

/** A streamed create (see the top of this file). */
const stream = (thread: string, res: import("node:http").ServerResponse) => {
  res.writeHead(200, sseHeaders)
  if (thread === "thread_streamtool") return void res.end(toolRound.first)
  if (thread.startsWith("thread_streambig_")) {
    const round = fx.toolRoundStream(streamRunId, Number(thread.slice(17)))
    return writeAll(res, [...round.second, ...round.last], () => res.end())
  }
  const now = fx.now()
  const warmUp = thread.endsWith("_warm")
  const id = warmUp ? `run_warm${String(warm++).padStart(16, "0")}` : `run_poll${String(created).padStart(16, "0")}`
  const p: Polled = {
    createdMs: now,
    completesMs: now + (warmUp ? 500 : delays[created++]),
    hint: false,
    reads: [],
    seenMs: null
  }
  polled.set(id, p)
  res.write(
    fx.sse("thread.run.created", fx.run(id, "queued")) + fx.sse("thread.run.queued", fx.run(id, "queued")) +
      fx.sse("thread.run.in_progress", fx.run(id, "in_progress"))
  )
  setTimeout(() => {
    // the time the completion is written, as a poll's read that saw it
    p.seenMs = fx.now()
    res.end(fx.sse("thread.run.completed", fx.run(id, "completed")) + fx.done)
  }, Math.max(0, p.completesMs - fx.now()))
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x")
  const path = url.pathname
  const send = (status: number, body: Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": body.length,
      "x-request-id": "req_bench",
      ...headers
    })
    res.end(body)
  }
  if (path === "/bench/reset") {
    created = Number(url.searchParams.get("from") ?? 0)
    polled.clear()
    completions.length = 0
    return send(200, json({ ok: true }))
  }
  if (path === "/bench/runs") return send(200, json(Object.fromEntries(polled)))
  if (path === "/bench/streams") return send(200, json(completions))
  if (/^\/v1\/threads\/[^/]+\/runs\/[^/]+\/submit_tool_outputs$/.test(path) && req.method === "POST") {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, sseHeaders)
      res.write(toolRound.second)
      setTimeout(() => {
        completions.push(fx.now())
        res.end(toolRound.last)
      }, pauseMs)
    })
    return
  }
  let m = /^\/v1\/threads\/([^/]+)\/runs\/([^/]+)$/.exec(path)
  if (m && req.method === "GET") {
    const p = polled.get(m[2])
    if (p === undefined) return send(200, canned)
    const at = fx.now()
    p.reads.push(at)
    const done = at >= p.completesMs
    if (done && p.seenMs === null) p.seenMs = at
    return send(
      200,
      json(fx.run(m[2], done ? "completed" : "in_progress")),
      p.hint ? { "openai-poll-after-ms": "100" } : {}
    )
  }
  m = /^\/v1\/threads\/([^/]+)\/runs$/.exec(path)
  if (m && req.method === "POST") {
    let body = ""
    req.on("data", (c) => (body += c))
    req.on("end", () => {
      const thread = m![1]
      if (body.includes(`"stream":true`)) return stream(thread, res)
      const now = fx.now()
      const hint = m![1].startsWith("thread_hint")
      const warmUp = m![1].endsWith("_warm")
      const id = warmUp ? `run_warm${String(warm++).padStart(16, "0")}` : `run_poll${String(created).padStart(16, "0")}`
      polled.set(id, {
        createdMs: now,
        completesMs: now + (warmUp ? 500 : delays[created++]),
        hint,
        reads: [],
        seenMs: null
      })
      send(200, json(fx.run(id, "queued")), hint ? { "openai-poll-after-ms": "100" } : {})
    })
    return
  }
  if (m && req.method === "GET") {
    const total = m[1].startsWith("thread_big_") ? Number(m[1].slice(11)) : 2000
    return send(200, runPage(total, Number(url.searchParams.get("limit") ?? 20), url.searchParams.get("after")))
  }
  if (/^\/v1\/threads\/[^/]+\/messages$/.test(path)) return send(200, messages)
  send(404, json({ error: { message: "not found", type: "invalid_request_error", param: null, code: null } }))
})
server.keepAliveTimeout = 60_000
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const address = server.address()
  console.log(`ready ${typeof address === "object" && address ? address.port : 0}`)
})
