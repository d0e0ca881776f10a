/**
 * The stores through the server, each in the bin as a user runs it (a child process, loopback):
 *
 * - create-message requests/s at 16 in flight, per store, as a ratio to the memory store (the
 *   median of three repetitions, the stores taking turns);
 * - a listMessages page (first page, and a page after a cursor) in a thread of 1,000,000 messages
 *   against a thread of 100, per SQL store: p50 ratio;
 * - the server's RSS while it serves a database holding those 1,000,000 messages.
 *
 * PostgreSQL rows need `DATABASE_URL` (a database is created and dropped for the run); without it
 * they are left out, and say so. The bin is the built one (`npm run build`).
 *
 * Alone: npx tsx bench/stores.ts [--quick] [--throughput] [--reps N] [--bin server/dist/bin.js]
 * From bench/run.ts: `stores({ quick })` returns the rows.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Store } from "effect-assistants-server"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * One figure, its target, and whether it was met (`undefined` when the row has no target).
 */
export interface Row {
  readonly name: string
  readonly value: number
  readonly unit: string
  readonly target?: string | undefined
  readonly met?: boolean | undefined
}

export interface Options {
  readonly quick?: boolean | undefined
  /** The bin to run; default the built one. */
  readonly bin?: string | undefined
  readonly databaseUrl?: string | undefined
  readonly log?: ((line: string) => void) | undefined
  /** Repetitions of the throughput rows; default 3 (1 with `quick`). */
  readonly reps?: number | undefined
  /** Only the throughput rows (`--throughput`). */
  readonly throughputOnly?: boolean | undefined
}

const defaultBin = new URL("../server/dist/bin.js", import.meta.url).pathname

interface Server {
  readonly url: string
  readonly child: ChildProcess
  readonly stop: () => Promise<void>
}

const startBin = (bin: string, args: ReadonlyArray<string>) =>
  new Promise<Server>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "--port", "0", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ASSISTANTS_API_KEY: "" }
    })
    let out = ""
    let err = ""
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    child.stderr!.on("data", (chunk) => (err += chunk))
    child.stdout!.on("data", (chunk) => {
      out += chunk
      const match = /listening on (http:\/\/\S+\/v1)/.exec(out)
      if (match) {
        resolve({
          url: match[1],
          child,
          stop: () => {
            child.kill("SIGTERM")
            return exited
          }
        })
      }
    })
    child.once("exit", (code) => reject(new Error(`bin exited ${code}: ${out}${err}`)))
  })

const send = (agent: Agent, method: string, url: string, body?: string) =>
  new Promise<string>((resolve, reject) => {
    const req = request(url, {
      method,
      agent,
      headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" }
    }, (response) => {
      let text = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => (text += chunk))
      response.on("end", () =>
        response.statusCode === 200
          ? resolve(text)
          : reject(new Error(`${method} ${url}: ${response.statusCode} ${text}`)))
    })
    req.on("error", reject)
    req.end(body)
  })

/** Creates messages with `inFlight` requests at a time for `millis`; requests per second. */
const createRate = async (url: string, inFlight: number, millis: number, warmupMillis: number) => {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight })
  try {
    const thread = JSON.parse(await send(agent, "POST", `${url}/threads`, "{}"))
    const path = `${url}/threads/${thread.id}/messages`
    const body = JSON.stringify({ role: "user", content: "How do I solve 3x + 11 = 14?", metadata: { k: "v" } })
    const phase = async (length: number) => {
      const end = performance.now() + length
      let done = 0
      const worker = async () => {
        while (performance.now() < end) {
          await send(agent, "POST", path, body)
          done++
        }
      }
      const start = performance.now()
      await Promise.all(Array.from({ length: inFlight }, worker))
      return done / ((performance.now() - start) / 1000)
    }
    await phase(warmupMillis)
    return await phase(millis)
  } finally {
    agent.destroy()
  }
}

const p50 = (times: Array<number>) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]

/**
 * p50 of `requests` sequential GETs of each of `urls`, after a warm-up of all of them; the URLs
 * take turns, so that the server's warming up and the machine's other work weigh on each alike.
 */
const pageTimes = async <K extends string>(agent: Agent, urls: Record<K, string>, requests: number) => {
  const keys = Object.keys(urls) as Array<K>
  for (let i = 0; i < Math.min(300, requests); i++) {
    for (const k of keys) await send(agent, "GET", urls[k])
  }
  const times = Object.fromEntries(keys.map((k) => [k, [] as Array<number>])) as Record<K, Array<number>>
  for (let i = 0; i < requests; i++) {
    for (const k of keys) {
      const start = performance.now()
      await send(agent, "GET", urls[k])
      times[k].push(performance.now() - start)
    }
  }
  return Object.fromEntries(keys.map((k) => [k, p50(times[k])])) as Record<K, number>
}

const rssMegabytes = (pid: number) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return match ? Number(match[1]) / 1024 : Number.NaN
}

// ids of the server's form (a prefix and 24 characters that order them), in creation order
let sequence = 0
const nextKey = () => (sequence++).toString(36).padStart(24, "0")

const messageRow = (threadId: string) => {
  const key = nextKey()
  const id = `msg_${key}`
  const data = JSON.stringify({
    id,
    object: "thread.message",
    createdAt: 1_700_000_000,
    threadId,
    status: "completed",
    incompleteDetails: null,
    completedAt: 1_700_000_000,
    incompleteAt: null,
    role: "user",
    content: [{ type: "text", text: { value: "hello there, how are you today?", annotations: [] } }],
    assistantId: null,
    runId: null,
    attachments: [],
    metadata: {}
  })
  return { id, sort_key: key, thread_id: threadId, run_id: null, data }
}

/**
 * Fills the database behind `layer` with a big thread and a small one, in multi-row inserts (the
 * store's own rows: this is the fixture, not what is measured).
 */
const fill = (layer: Layer.Layer<Store.Store | SqlClient.SqlClient, unknown>, big: number, small: number) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(layer)
    const sql = Context.get(context, SqlClient.SqlClient)
    const store = Context.get(context, Store.Store)
    const threads = { big: `thread_${nextKey()}`, small: `thread_${nextKey()}` }
    for (const id of Object.values(threads)) {
      yield* store.threads.put({ id, object: "thread", createdAt: 1_700_000_000, toolResources: null, metadata: {} })
    }
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    const insert = (threadId: string, count: number) =>
      Effect.gen(function*() {
        for (let done = 0; done < count;) {
          const n = Math.min(1000, count - done)
          const rows = Array.from({ length: n }, () => messageRow(threadId))
          const values = sql.csv(rows.map((r) =>
            sql`(${r.id}, ${r.sort_key}, ${r.thread_id}, ${r.run_id}, ${pg ? sql`${r.data}::json` : sql`${r.data}`})`
          ))
          yield* sql`INSERT INTO messages (id, sort_key, thread_id, run_id, data) VALUES ${values}`
          done += n
        }
      })
    // the small thread's messages are older: the big thread's pages are the newest rows
    yield* sql.withTransaction(insert(threads.small, small))
    for (let done = 0; done < big; done += 100_000) {
      yield* sql.withTransaction(insert(threads.big, Math.min(100_000, big - done)))
    }
    return threads
  })))

const admin = (url: string, statement: string) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(
    Layer.build(Store.layerPg({ url })),
    (context) => Context.get(context, SqlClient.SqlClient).unsafe(statement)
  )))

/**
 * Runs the store benchmarks; returns their rows.
 */
export const stores = async (options: Options = {}): Promise<ReadonlyArray<Row>> => {
  const bin = options.bin ?? defaultBin
  const log = options.log ?? ((line: string) => console.error(line))
  const quick = options.quick ?? false
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL
  const dir = mkdtempSync(join(tmpdir(), "effect-assistants-bench-"))
  const rows: Array<Row> = []
  let pgUrl: string | undefined
  try {
    if (databaseUrl !== undefined && databaseUrl !== "") {
      const name = `ea_bench_${process.pid}`
      await admin(databaseUrl, `CREATE DATABASE ${name}`)
      const url = new URL(databaseUrl)
      url.pathname = `/${name}`
      pgUrl = url.toString()
    } else {
      log("stores: DATABASE_URL is unset: no PostgreSQL rows")
    }
    const measureMillis = quick ? 2_000 : 8_000
    const warmupMillis = quick ? 500 : 2_000
    const inFlight = 16
    const reps = options.reps ?? (quick ? 1 : 3)

    // 1. create-message throughput, per store: the stores take turns, each repetition a fresh
    // server and database, and each figure is the median of its repetitions
    const setups: Array<[string, (rep: number) => Array<string>]> = [
      ["memory", () => ["--memory"]],
      ["sqlite", (rep) => ["--db", join(dir, `throughput-${rep}.db`)]],
      ...(pgUrl ? [["pg", () => ["--database-url", pgUrl!]] as [string, (rep: number) => Array<string>]] : [])
    ]
    const measured: Record<string, Array<number>> = {}
    for (let rep = 0; rep < reps; rep++) {
      for (const [name, args] of setups) {
        if (name === "pg" && rep > 0) await admin(pgUrl!, "TRUNCATE threads, messages")
        const server = await startBin(bin, args(rep))
        try {
          ;(measured[name] ??= []).push(await createRate(server.url, inFlight, measureMillis, warmupMillis))
        } finally {
          await server.stop()
        }
      }
    }
    const rates: Record<string, number> = {}
    for (const [name] of setups) {
      rates[name] = p50(measured[name])
      log(`stores: ${name} creates ${measured[name].map((r) => r.toFixed(0)).join(", ")}/s at ${inFlight} in flight`)
      rows.push({
        name: `create message, ${inFlight} in flight: ${name}`,
        value: +rates[name].toFixed(0),
        unit: "req/s"
      })
    }
    for (const [name, target] of [["sqlite", 0.6], ["pg", 0.4]] as const) {
      if (rates[name] === undefined) continue
      const ratio = rates[name] / rates.memory
      rows.push({
        name: `create message, ${inFlight} in flight: ${name} / memory`,
        value: +ratio.toFixed(2),
        unit: "x",
        target: `>= ${target}x`,
        met: ratio >= target
      })
    }
    if (options.throughputOnly === true) return rows

    // 2. a page in a thread of 1,000,000 messages against one of 100; 3. RSS while serving it
    const big = 1_000_000
    const requests = quick ? 300 : 2_000
    const bigSetups: Array<[string, Layer.Layer<Store.Store | SqlClient.SqlClient, unknown>, Array<string>]> = [
      ["sqlite", Store.layerSqlite({ filename: join(dir, "big.db") }), ["--db", join(dir, "big.db")]],
      ...(pgUrl ?
        [["pg", Store.layerPg({ url: pgUrl }), ["--database-url", pgUrl]] as [
          string,
          Layer.Layer<Store.Store | SqlClient.SqlClient, unknown>,
          Array<string>
        ]] :
        [])
    ]
    for (const [name, layer, args] of bigSetups) {
      const start = performance.now()
      const threads = await fill(layer, big, 100)
      log(`stores: ${name} filled with ${big + 100} messages in ${((performance.now() - start) / 1000).toFixed(0)} s`)
      const server = await startBin(bin, args)
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const firstPage = (t: string) => `${server.url}/threads/${t}/messages?limit=20`
        const body = JSON.parse(await send(agent, "GET", firstPage(threads.big)))
        const smallBody = JSON.parse(await send(agent, "GET", firstPage(threads.small)))
        // a cursor in the middle of each thread's newest page: the page after it
        const afterPage = (t: string, cursor: string) => `${server.url}/threads/${t}/messages?limit=20&after=${cursor}`
        const times = await pageTimes(agent, {
          bigFirst: firstPage(threads.big),
          smallFirst: firstPage(threads.small),
          bigAfter: afterPage(threads.big, body.data[5].id),
          smallAfter: afterPage(threads.small, smallBody.data[5].id)
        }, requests)
        const rss = rssMegabytes(server.child.pid!)
        log(`stores: ${name} pages ${JSON.stringify(times)}, RSS ${rss.toFixed(0)} MB`)
        for (
          const [what, b, s] of [["first page", times.bigFirst, times.smallFirst], [
            "page after a cursor",
            times.bigAfter,
            times.smallAfter
          ]] as const
        ) {
          rows.push({ name: `listMessages ${what}, 1,000,000 messages: ${name} p50`, value: +b.toFixed(3), unit: "ms" })
          rows.push({ name: `listMessages ${what}, 100 messages: ${name} p50`, value: +s.toFixed(3), unit: "ms" })
          rows.push({
            name: `listMessages ${what}: ${name} 1,000,000 / 100`,
            value: +(b / s).toFixed(2),
            unit: "x",
            target: "<= 1.5x",
            met: b / s <= 1.5
          })
        }
        rows.push({
          name: `server RSS serving 1,000,000 messages: ${name}`,
          value: +rss.toFixed(0),
          unit: "MB",
          target: "< 300 MB",
          met: rss < 300
        })
      } finally {
        agent.destroy()
        await server.stop()
      }
    }
  } finally {
    if (pgUrl !== undefined) {
      await admin(databaseUrl!, `DROP DATABASE IF EXISTS ${new URL(pgUrl).pathname.slice(1)} WITH (FORCE)`)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const binIndex = process.argv.indexOf("--bin")
  const repsIndex = process.argv.indexOf("--reps")
  stores({
    quick: process.argv.includes("--quick"),
    throughputOnly: process.argv.includes("--throughput"),
    ...(repsIndex > 0 ? { reps: Number(process.argv[repsIndex + 1]) } : {}),
    ...(binIndex > 0 ? { bin: process.argv[binIndex + 1] } : {})
  }).then((rows) => {
    for (const row of rows) {
      const target = row.target === undefined ? "" : `  (target ${row.target}: ${row.met ? "met" : "NOT met"})`
      console.log(`${row.name}: ${row.value} ${row.unit}${target}`)
    }
    console.log(JSON.stringify(rows))
  }, (e) => {
    console.error(e)
    process.exit(1)
  })
}
