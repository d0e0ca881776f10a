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
 *                                        (a seeded sequence, the same for every client); threads
 *                                        `thread_hint*` answer with `openai-poll-after-ms`; a
 *                                        thread ending in `_warm` gets runs that complete after
 *                                        50 ms and leave the sequence alone (a warm-up)
 * - GET  /bench/runs                     per-run figures: completion time, reads, when the first
 *                                        read that saw it completed answered
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
  const data = Array.from({ length: Math.max(0, Math.min(limit, total - start)) }, (_, i) => fx.run(fx.runId(start + i)))
  const body = json(fx.page(data, start + limit < total))
  if (total <= 2000) pageCache.set(key, body)
  return body
}

/** mulberry32 over a fixed seed: the n-th created run completes after delays[n] ms. */
const delays = (() => {
  let a = 424242
  return Array.from({ length: 100_000 }, () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return 200 + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 1000)
  })
})()

interface Polled {
  readonly createdMs: number
  readonly completesMs: number
  readonly hint: boolean
  reads: number
  seenMs: number | null
}
let created = 0
let warm = 0
const polled = new Map<string, Polled>()

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x")
  const path = url.pathname
  const send = (status: number, body: Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", "content-length": body.length, "x-request-id": "req_bench", ...headers })
    res.end(body)
  }
  if (path === "/bench/reset") {
    created = Number(url.searchParams.get("from") ?? 0)
    polled.clear()
    return send(200, json({ ok: true }))
  }
  if (path === "/bench/runs") return send(200, json(Object.fromEntries(polled)))
  let m = /^\/v1\/threads\/([^/]+)\/runs\/([^/]+)$/.exec(path)
  if (m && req.method === "GET") {
    const p = polled.get(m[2])
    if (p === undefined) return send(200, canned)
    const now = Date.now()
    p.reads++
    const done = now >= p.completesMs
    if (done && p.seenMs === null) p.seenMs = now
    return send(200, json(fx.run(m[2], done ? "completed" : "in_progress")), p.hint ? { "openai-poll-after-ms": "100" } : {})
  }
  m = /^\/v1\/threads\/([^/]+)\/runs$/.exec(path)
  if (m && req.method === "POST") {
    let body = ""
    req.on("data", (c) => (body += c))
    req.on("end", () => {
      const now = Date.now()
      const hint = m![1].startsWith("thread_hint")
      const warmUp = m![1].endsWith("_warm")
      const id = warmUp ? `run_warm${String(warm++).padStart(16, "0")}` : `run_poll${String(created).padStart(16, "0")}`
      polled.set(id, { createdMs: now, completesMs: now + (warmUp ? 50 : delays[created++]), hint, reads: 0, seenMs: null })
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
