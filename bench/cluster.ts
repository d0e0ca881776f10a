/**
 * The server's cluster mode (issue 21), each runner the bin as a user runs it
 * (`--cluster --database-url ...`, a child process, loopback), the scripted model at zero latency
 * (`--queued-ms 0 --step-ms 0`), on a fresh database of the PostgreSQL server `DATABASE_URL` names
 * for every cluster started:
 *
 * - throughput: runs reaching `completed` per second with 1, 2 and 3 runners, a fixed number of
 *   runs kept in flight by the client (each created by `POST /v1/threads/runs`, the runners' HTTP
 *   ports taken in turn), median of the repetitions; beside it, each runner's CPU per run and the
 *   machine's busy share of its cores over the same window;
 * - failover: three runners with `@effect/cluster`'s intervals shortened through its environment
 *   variables, a steady stream of runs, one runner killed with SIGKILL: each run's latency
 *   (its create sent to its `completed`) for the runs in flight at the kill and for those created
 *   soon after it, against the same stream's latencies before the kill.
 *
 * A run's `completed` is seen in the runners' own log lines (`run <id> completed on <runner>`, one
 * per status change, printed by the process that made the change), read as they arrive: the client
 * does not poll, so the two cores are left to the runners, their database and the creates.
 *
 * Without `DATABASE_URL` it prints no rows, and says so. The bin is the built one
 * (`npm run build`).
 *
 * Alone: npx tsx bench/cluster.ts [--quick] [--bin server/dist/bin.js] [--in-flight N]
 *   [--reps N] [--rate RUNS_PER_SECOND] [--kills N] [--only throughput|failover]
 *   [--intervals fast|default]
 * From bench/run.ts: a child process whose last line is its rows as JSON.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { createServer } from "node:net"
import { cpus } from "node:os"
// the rows are reported as stores.ts reports its own
import type { Row } from "./stores.js"

export interface Options {
  readonly quick?: boolean | undefined
  /** The bin to run; default the built one. */
  readonly bin?: string | undefined
  readonly databaseUrl?: string | undefined
  /** Runs the throughput client keeps in flight. */
  readonly inFlight?: number | undefined
  readonly reps?: number | undefined
  /** Runs created per second in the failover's stream; default a share of two runners' throughput. */
  readonly rate?: number | undefined
  /** Kills, each on a fresh cluster; default 3 (1 with `quick` or the default intervals). */
  readonly kills?: number | undefined
  /** One of the two parts only. */
  readonly only?: "throughput" | "failover" | undefined
  /**
   * The failover's cluster intervals: `fast` ({@link fastFailover}, the default) or `default`
   * (`@effect/cluster`'s own, a shard lock expiring after 35 s: a longer stream, for one kill).
   */
  readonly intervals?: "fast" | "default" | undefined
  readonly log?: ((line: string) => void) | undefined
}

const defaultBin = new URL("../server/dist/bin.js", import.meta.url).pathname

/**
 * Shortened from `@effect/cluster`'s defaults (a shard lock expires after 35 s and is refreshed
 * every 10 s, unprocessed messages are polled every 10 s, assignments refreshed every 3 s, runners
 * checked every minute), as the cluster tests shorten them, so that a killed runner's shards move
 * within seconds.
 */
export const fastFailover: Record<string, string> = {
  SHARD_LOCK_EXPIRATION: "6 seconds",
  SHARD_LOCK_REFRESH_INTERVAL: "2 seconds",
  ENTITY_MESSAGE_POLL_INTERVAL: "500 millis",
  REFRESH_ASSIGNMENTS_INTERVAL: "1 second",
  RUNNER_HEALTH_CHECK_INTERVAL: "2 seconds"
}

const terminal = new Set(["completed", "failed", "cancelled", "expired", "incomplete"])

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

/** `promise`, or a failure after `millis`. */
const within = <A>(promise: Promise<A>, millis: number, message: string) =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), millis)
    promise.then((a) => {
      clearTimeout(timer)
      resolve(a)
    }, (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })

// ---------------------------------------------------------------------------------------------
// the runs' ends, as the runners log them

interface End {
  readonly status: string
  /** `performance.now()` when the line reached this process. */
  readonly at: number
  /** The runner that made the change. */
  readonly runner: string
}

/**
 * The terminal status of every run any runner logged, and the promises waiting for them. A line
 * may arrive before the create's response does: it is kept until someone asks.
 */
class Ends {
  private readonly ended = new Map<string, End>()
  private readonly waiting = new Map<string, (end: End) => void>()
  /**
   * The runs each runner executed: that logged a status past `queued` (the process that took the
   * create logs `queued`, the runner owning the run's shard the rest).
   */
  readonly executed = new Map<string, Set<string>>()

  line(line: string) {
    const match = /run (run_[0-9a-z]+) ([a-z_]+) on (\S+)/.exec(line)
    if (match === null) return
    const [, run, status, runner] = match
    if (status !== "queued") {
      let set = this.executed.get(runner)
      if (set === undefined) this.executed.set(runner, set = new Set())
      set.add(run)
    }
    if (!terminal.has(status) || this.ended.has(run)) return
    const end = { status, at: performance.now(), runner }
    this.ended.set(run, end)
    const resolve = this.waiting.get(run)
    if (resolve !== undefined) {
      this.waiting.delete(run)
      resolve(end)
    }
  }

  /** The run's end, when it comes. */
  of(run: string): Promise<End> {
    const end = this.ended.get(run)
    if (end !== undefined) return Promise.resolve(end)
    return new Promise((resolve) => this.waiting.set(run, resolve))
  }

  /** The run's end if it has come. */
  now(run: string): End | undefined {
    return this.ended.get(run)
  }

  /** Completions that reached this process within `[from, to)`, by the runner that made them. */
  completedBetween(from: number, to: number) {
    const by = new Map<string, number>()
    for (const end of this.ended.values()) {
      if (end.status === "completed" && end.at >= from && end.at < to) by.set(end.runner, (by.get(end.runner) ?? 0) + 1)
    }
    return by
  }
}

// ---------------------------------------------------------------------------------------------
// runners

interface Runner {
  /** Its address for the other runners, `127.0.0.1:<port>`, as its log lines name it. */
  readonly name: string
  /** `http://127.0.0.1:<port>/v1` */
  readonly url: string
  readonly child: ChildProcess
  readonly agent: Agent
  alive: boolean
}

/** A free loopback port, for a runner's address (the HTTP port is picked by the bin itself). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Every process this benchmark started, killed on the way out whatever happens. */
const children = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL")
})
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => process.exit(130))
}

const startRunner = (bin: string, databaseUrl: string, env: Record<string, string>, ends: Ends) =>
  freePort().then((runnerPort) =>
    new Promise<Runner>((resolve, reject) => {
      const child = spawn(process.execPath, [
        bin,
        "--cluster",
        "--database-url",
        databaseUrl,
        "--runner-host",
        "127.0.0.1",
        "--runner-port",
        String(runnerPort),
        "--port",
        "0",
        "--queued-ms",
        "0",
        "--step-ms",
        "0"
      ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ASSISTANTS_API_KEY: "", ...env } })
      children.add(child)
      let ready = false
      let rest = ""
      let err = ""
      child.stderr!.on("data", (chunk) => (err = (err + chunk).slice(-4000)))
      child.stdout!.setEncoding("utf8")
      child.stdout!.on("data", (chunk: string) => {
        const lines = (rest + chunk).split("\n")
        rest = lines.pop()!
        for (const line of lines) {
          if (!ready) {
            const match = /listening on (http:\/\/\S+\/v1)/.exec(line)
            if (match) {
              ready = true
              const runner: Runner = {
                name: `127.0.0.1:${runnerPort}`,
                url: match[1],
                child,
                agent: new Agent({ keepAlive: true }),
                alive: true
              }
              child.once("exit", () => (runner.alive = false))
              resolve(runner)
            }
          }
          ends.line(line)
        }
      })
      child.once("exit", (code, signal) => {
        children.delete(child)
        if (!ready) reject(new Error(`runner exited ${code} ${signal}: ${err}`))
        else if (signal !== "SIGKILL") {
          process.stderr.write(`cluster: runner 127.0.0.1:${runnerPort} exited ${code} ${signal}: ${err}\n`)
        }
      })
    })
  )

/** SIGKILL, and its exit. */
const kill = (runner: Runner) =>
  new Promise<void>((resolve) => {
    runner.alive = false
    runner.agent.destroy()
    if (runner.child.exitCode !== null || runner.child.signalCode !== null) return resolve()
    runner.child.once("exit", () => resolve())
    runner.child.kill("SIGKILL")
  })

/**
 * One request. A kept-alive socket the runner closed as idle just as it was reused fails before
 * the runner read anything: that request is sent again on a new socket, as Node's documentation
 * advises (`request.reusedSocket`).
 */
const send = (runner: Runner, method: string, path: string, body?: string) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${runner.url}${path}`, {
      method,
      agent: runner.agent,
      headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" }
    }, (response) => {
      let text = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => (text += chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text }))
      response.on("error", reject)
    })
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && error.code === "ECONNRESET" && runner.alive) {
        send(runner, method, path, body).then(resolve, reject)
      } else {
        reject(new Error(`${method} ${path} on ${runner.name}: ${error.message}`))
      }
    })
    req.end(body)
  })

const json = async (runner: Runner, method: string, path: string, body?: string) => {
  const { status, text } = await send(runner, method, path, body)
  if (status !== 200) throw new Error(`${method} ${path} on ${runner.name}: ${status} ${text}`)
  return JSON.parse(text)
}

/** Waits, boundedly, for `/readyz` to answer 200 on every runner (each holds shards). */
const allReady = async (runners: ReadonlyArray<Runner>, timeoutMillis = 60_000) => {
  const end = performance.now() + timeoutMillis
  for (const runner of runners) {
    for (;;) {
      const response = await new Promise<number>((resolve) => {
        const req = request(new URL("/readyz", runner.url), { agent: runner.agent }, (res) => {
          res.resume()
          res.on("end", () => resolve(res.statusCode ?? 0))
        })
        req.on("error", () => resolve(0))
        req.end()
      })
      if (response === 200) break
      if (performance.now() > end) throw new Error(`${runner.name} not ready in ${timeoutMillis} ms`)
      await sleep(100)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// a cluster on its own database

const sqlOn = <A>(url: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(SqlClient.SqlClient, f)).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(url) }))
    )
  )

let databases = 0

interface Cluster {
  readonly runners: Array<Runner>
  readonly ends: Ends
  readonly assistant: string
  /** Creates a run on `runner`; resolves with its id, and the time its create was sent. */
  readonly create: (runner: Runner) => Promise<{ readonly id: string; readonly sent: number }>
  readonly close: () => Promise<void>
}

/**
 * Starts `size` runners on a fresh database, waits for each to be ready, and creates the
 * assistant the runs use. The database is dropped on `close`.
 */
const cluster = async (
  options: { bin: string; databaseUrl: string; size: number; env: Record<string, string> }
): Promise<Cluster> => {
  const name = `ea_bench_cluster_${process.pid}_${databases++}`
  await sqlOn(options.databaseUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name}`))
  const url = new URL(options.databaseUrl)
  url.pathname = `/${name}`
  const ends = new Ends()
  const runners: Array<Runner> = []
  const close = async () => {
    await Promise.all(runners.map(kill))
    await sqlOn(options.databaseUrl, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  }
  try {
    // one after the other: each creates the cluster's tables if they are missing
    for (let i = 0; i < options.size; i++) {
      runners.push(await startRunner(options.bin, url.toString(), options.env, ends))
    }
    await allReady(runners)
    const assistant = (await json(
      runners[0],
      "POST",
      "/assistants",
      JSON.stringify({ model: "gpt-4o", instructions: "You are a bench." })
    )).id as string
    const body = JSON.stringify({
      assistant_id: assistant,
      thread: { messages: [{ role: "user", content: "How do I solve 3x + 11 = 14?" }] }
    })
    return {
      runners,
      ends,
      assistant,
      create: async (runner) => {
        const sent = performance.now()
        const run = await json(runner, "POST", "/threads/runs", body)
        return { id: run.id as string, sent }
      },
      close
    }
  } catch (error) {
    await close()
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// figures

const quantile = (xs: ReadonlyArray<number>, q: number) => {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

const median = (xs: ReadonlyArray<number>) => quantile(xs, 0.5)

/** utime + stime of a process, in ms. */
const cpuMillis = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
  // fields after the command: state is [0], utime [11], stime [12], in clock ticks (100 a second)
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** The machine's busy and total jiffies over every core. */
const machine = () => {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = cpu[3] + (cpu[4] ?? 0)
  const total = cpu.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

// ---------------------------------------------------------------------------------------------
// throughput

interface Throughput {
  readonly runsPerSecond: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  /** The runners' CPU per completed run. */
  readonly cpuMsPerRun: number
  /** This process's CPU per completed run: the client's creates and the reading of the logs. */
  readonly clientCpuMsPerRun: number
  /** Busy share of all the machine's cores over the window, whoever used them. */
  readonly machineBusy: number
  /** Runs completed in the window, by the runner that completed them. */
  readonly perRunner: ReadonlyArray<number>
}

/**
 * `inFlight` clients, each creating a run (on the runners in turn) and waiting for its
 * `completed`, for `warmupMillis` and then for `measureMillis`: completions in the second window
 * per second.
 */
const throughput = async (
  c: Cluster,
  options: { inFlight: number; warmupMillis: number; measureMillis: number }
): Promise<Throughput> => {
  let next = 0
  let stop = false
  const latencies: Array<{ sent: number; latency: number }> = []
  const client = async () => {
    while (!stop) {
      const runner = c.runners[next++ % c.runners.length]
      const { id, sent } = await c.create(runner)
      const end = await within(c.ends.of(id), 60_000, `run ${id} did not end in 60 s`)
      if (end.status !== "completed") throw new Error(`run ${id} ended ${end.status}`)
      latencies.push({ sent, latency: end.at - sent })
    }
  }
  // the shards settle on the runners as they join: warm up until every runner has completed runs,
  // then for the warm-up's length
  const clients = Promise.all(Array.from({ length: options.inFlight }, client))
  // a client's failure is thrown below, once the window is over
  clients.catch(() => {})
  const settled = performance.now() + 60_000
  while (
    c.runners.some((r) => (c.ends.executed.get(r.name)?.size ?? 0) < 20) && performance.now() < settled
  ) await sleep(50)
  await sleep(options.warmupMillis)
  const cpu0 = c.runners.map((r) => cpuMillis(r.child.pid!))
  const machine0 = machine()
  const client0 = process.cpuUsage()
  const start = performance.now()
  await sleep(options.measureMillis)
  const end = performance.now()
  const client1 = process.cpuUsage(client0)
  const machine1 = machine()
  const cpu1 = c.runners.map((r) => cpuMillis(r.child.pid!))
  stop = true
  await clients
  const by = c.ends.completedBetween(start, end)
  const completed = [...by.values()].reduce((a, b) => a + b, 0)
  const inWindow = latencies.filter((l) => l.sent >= start && l.sent + l.latency < end)
  return {
    runsPerSecond: completed / ((end - start) / 1000),
    latencyP50Ms: quantile(inWindow.map((l) => l.latency), 0.5),
    latencyP99Ms: quantile(inWindow.map((l) => l.latency), 0.99),
    cpuMsPerRun: cpu1.reduce((a, b, i) => a + b - cpu0[i], 0) / completed,
    clientCpuMsPerRun: (client1.user + client1.system) / 1000 / completed,
    machineBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
    perRunner: c.runners.map((r) => by.get(r.name) ?? 0)
  }
}

// ---------------------------------------------------------------------------------------------
// failover

interface Sent {
  readonly id: string
  readonly sent: number
  /** The runner its create went to. */
  readonly via: string
}

/**
 * A run delayed by the failover: slower than a second and than every run before the kill (on a
 * loaded machine, runs before the kill can take over a second too).
 */
const slow = (baseline: ReadonlyArray<number>) => Math.max(1000, ...baseline)

interface Failover {
  readonly rate: number
  /** Latencies of the runs created before the kill that ended before it. */
  readonly baseline: ReadonlyArray<number>
  /** Of the runs created before the kill and not ended when it came. */
  readonly inFlight: ReadonlyArray<number>
  /** How many of those the killed runner was executing. */
  readonly onKilled: number
  /** Of the runs created within `windowMillis` of the kill, while its shards were still its own. */
  readonly during: ReadonlyArray<number>
  /** Of the runs created later. */
  readonly later: ReadonlyArray<number>
  /** From the kill to the end of the last run slower than {@link slow}. */
  readonly recoveryMs: number
  /** Creates sent to the killed runner that got no answer. */
  readonly lostCreates: number
  /** Runs created that never reached an end. */
  readonly unfinished: number
  readonly failed: number
}

/**
 * A stream of `rate` runs a second over three runners for `baselineMillis`, then one runner
 * killed and the stream kept on the two others for `afterMillis`; then waits, boundedly, for
 * every run's end.
 */
const failover = async (
  c: Cluster,
  options: { rate: number; warmupMillis: number; baselineMillis: number; windowMillis: number; afterMillis: number }
): Promise<Failover> => {
  const sent: Array<Sent> = []
  let lostCreates = 0
  let next = 0
  const pending: Array<Promise<void>> = []
  const stream = async (from: number, millis: number) => {
    const interval = 1000 / options.rate
    for (let i = 0;; i++) {
      const at = from + i * interval
      if (at >= from + millis) return
      const wait = at - performance.now()
      if (wait > 0) await sleep(wait)
      const alive = c.runners.filter((r) => r.alive)
      const runner = alive[next++ % alive.length]
      pending.push(
        c.create(runner).then(
          (run) => void sent.push({ ...run, via: runner.name }),
          () => void lostCreates++
        )
      )
    }
  }
  await stream(performance.now(), options.warmupMillis)
  const baselineFrom = performance.now()
  await stream(baselineFrom, options.baselineMillis)
  const victim = c.runners[c.runners.length - 1]
  const killedAt = performance.now()
  await kill(victim)
  await stream(killedAt, options.afterMillis)
  await Promise.all(pending)
  const deadline = performance.now() + 180_000
  while (sent.some((s) => c.ends.now(s.id) === undefined) && performance.now() < deadline) await sleep(100)

  const end = (s: Sent) => c.ends.now(s.id)!
  const latency = (s: Sent) => end(s).at - s.sent
  const ended = sent.filter((s) => c.ends.now(s.id) !== undefined)
  const baseline = ended.filter((s) => s.sent >= baselineFrom && end(s).at < killedAt)
  const inFlight = ended.filter((s) => s.sent < killedAt && end(s).at >= killedAt)
  const during = ended.filter((s) => s.sent >= killedAt && s.sent < killedAt + options.windowMillis)
  const later = ended.filter((s) => s.sent >= killedAt + options.windowMillis)
  const executed = c.ends.executed.get(victim.name) ?? new Set()
  return {
    rate: options.rate,
    baseline: baseline.map(latency),
    inFlight: inFlight.map(latency),
    onKilled: inFlight.filter((s) => executed.has(s.id)).length,
    during: during.map(latency),
    later: later.map(latency),
    recoveryMs: Math.max(
      0,
      ...ended.filter((s) => latency(s) > slow(baseline.map(latency))).map((s) => end(s).at - killedAt)
    ),
    lostCreates,
    unfinished: sent.length - ended.length,
    failed: ended.filter((s) => end(s).status !== "completed").length
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Runs the cluster benchmarks; returns their rows.
 */
export const clusterBench = async (options: Options = {}): Promise<ReadonlyArray<Row>> => {
  const bin = options.bin ?? defaultBin
  const log = options.log ?? ((line: string) => console.error(line))
  const quick = options.quick ?? false
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL
  if (databaseUrl === undefined || databaseUrl === "") {
    log("cluster: DATABASE_URL is unset: no cluster rows")
    return []
  }
  const reps = options.reps ?? (quick ? 3 : 5)
  const inFlight = options.inFlight ?? 32
  // the warm-up outlasts a few of the default 3 s refreshes of the shard assignments, so that the
  // shards have settled on the runners that joined last
  const windows = quick ? { warmupMillis: 4_000, measureMillis: 5_000 } : { warmupMillis: 8_000, measureMillis: 10_000 }
  const rows: Array<Row> = []
  const cores = cpus().length

  // 1. throughput with 1, 2 and 3 runners; the sizes in rotating order, so that the machine's
  // drift (other jobs share it) touches each alike
  const sizes = [1, 2, 3]
  const results: Record<number, Array<Throughput>> = { 1: [], 2: [], 3: [] }
  for (let rep = 0; rep < (options.only === "failover" ? 0 : reps); rep++) {
    for (const size of [...sizes.slice(rep % 3), ...sizes.slice(0, rep % 3)]) {
      const c = await cluster({ bin, databaseUrl, size, env: {} })
      try {
        const r = await throughput(c, { inFlight, ...windows })
        results[size].push(r)
        log(
          `cluster: ${size} runner(s), rep ${rep + 1}: ${r.runsPerSecond.toFixed(1)} runs/s, latency p50 ${
            r.latencyP50Ms.toFixed(1)
          } ms p99 ${r.latencyP99Ms.toFixed(1)} ms, runners' CPU ${r.cpuMsPerRun.toFixed(2)} ms/run, client's ${
            r.clientCpuMsPerRun.toFixed(2)
          } ms/run, machine busy ${(r.machineBusy * 100).toFixed(0)} % of ${cores} cores, per runner ${
            r.perRunner.join("/")
          }`
        )
      } finally {
        await c.close()
      }
    }
  }
  const perSecond: Record<number, number> = {}
  for (const size of sizes) {
    const rs = results[size]
    if (rs.length === 0) continue
    perSecond[size] = median(rs.map((r) => r.runsPerSecond))
    const label = `${size} runner${size > 1 ? "s" : ""}`
    rows.push({
      name: `runs completed per second, ${label}, ${inFlight} in flight`,
      value: +perSecond[size].toFixed(1),
      unit: "runs/s"
    })
    if (size > 1) {
      rows.push({
        name: `runs completed per second, ${label} / 1 runner`,
        value: +(perSecond[size] / perSecond[1]).toFixed(2),
        unit: "x"
      })
    }
    rows.push({
      name: `run latency p50 at that load, ${label}`,
      value: +median(rs.map((r) => r.latencyP50Ms)).toFixed(1),
      unit: "ms"
    })
    rows.push({
      name: `runners' CPU per completed run, ${label}`,
      value: +median(rs.map((r) => r.cpuMsPerRun)).toFixed(2),
      unit: "ms"
    })
    rows.push({
      name: `the client's CPU per completed run (creates, log lines), ${label}`,
      value: +median(rs.map((r) => r.clientCpuMsPerRun)).toFixed(2),
      unit: "ms"
    })
    rows.push({
      name: `machine busy over the window (${cores} cores, every process), ${label}`,
      value: +(median(rs.map((r) => r.machineBusy)) * 100).toFixed(0),
      unit: "%"
    })
  }

  // 2. failover: a stream well under two runners' capacity, so that the survivors absorb it
  if (options.only === "throughput") return rows
  const rate = options.rate ??
    (perSecond[2] === undefined ? 10 : Math.max(5, Math.min(100, Math.round(perSecond[2] * 0.3))))
  const defaults = options.intervals === "default"
  const trials = options.kills ?? (quick || defaults ? 1 : 3)
  // the window: a run created within it may still have its shard on the killed runner, whose lock
  // lasts 6 s after its last refresh (2 s) and whose runner is found unhealthy within 2 s; with
  // the defaults, 35 s after a refresh every 10 s, and runners checked every minute
  const phases = defaults
    ? { warmupMillis: 5_000, baselineMillis: 10_000, windowMillis: 40_000, afterMillis: 60_000 }
    : quick
    ? { warmupMillis: 3_000, baselineMillis: 8_000, windowMillis: 8_000, afterMillis: 10_000 }
    : { warmupMillis: 5_000, baselineMillis: 20_000, windowMillis: 8_000, afterMillis: 15_000 }
  const all: Array<Failover> = []
  const q = (xs: ReadonlyArray<number>, p: number) => quantile(xs, p).toFixed(0)
  for (let trial = 0; trial < trials; trial++) {
    const c = await cluster({ bin, databaseUrl, size: 3, env: defaults ? {} : fastFailover })
    try {
      const f = await failover(c, { rate, ...phases })
      all.push(f)
      log(
        `cluster: failover ${trial + 1} at ${rate} runs/s: before the kill p50 ${q(f.baseline, 0.5)} p99 ${
          q(f.baseline, 0.99)
        } max ${
          q(f.baseline, 1)
        } ms (${f.baseline.length} runs); in flight at the kill ${f.inFlight.length} (${f.onKilled} on the killed runner) p99 ${
          q(f.inFlight, 0.99)
        } ms; created in the ${phases.windowMillis / 1000} s after it ${f.during.length}, p50 ${q(f.during, 0.5)} p99 ${
          q(f.during, 0.99)
        } ms, slow: ${f.during.filter((l) => l > slow(f.baseline)).length}; created later ${f.later.length}, p99 ${
          q(f.later, 0.99)
        } ms; last slow run ended ${
          f.recoveryMs.toFixed(0)
        } ms after the kill; lost creates ${f.lostCreates}, unfinished ${f.unfinished}, failed ${f.failed}`
      )
    } finally {
      await c.close()
    }
  }
  // the kills pooled: the runs in flight at one kill are few
  const pool = (key: "baseline" | "inFlight" | "during" | "later") => all.flatMap((f) => f[key])
  const affected = [...pool("inFlight"), ...pool("during")]
  const baselineP99 = quantile(pool("baseline"), 0.99)
  const sum = (key: "onKilled" | "lostCreates" | "unfinished" | "failed") => all.reduce((n, f) => n + f[key], 0)
  const kills = `${trials} kill${trials > 1 ? "s" : ""} pooled`
  rows.push(
    {
      name: `failover, 3 runners, ${rate} runs/s, ${
        defaults ? "the default intervals, shard lock expiry 35 s" : "shard lock expiry 6 s"
      } (${kills}): run latency p99 before the kill`,
      value: +baselineP99.toFixed(1),
      unit: "ms"
    },
    { name: "failover: runs in flight at the kill", value: pool("inFlight").length, unit: "runs" },
    { name: "failover: of those, executing on the killed runner", value: sum("onKilled"), unit: "runs" },
    {
      name: `failover: runs created in the ${phases.windowMillis / 1000} s after the kill`,
      value: pool("during").length,
      unit: "runs"
    },
    {
      name: "failover: latency p99 of the runs in flight at the kill or created in the window",
      value: +quantile(affected, 0.99).toFixed(0),
      unit: "ms"
    },
    {
      name: "failover: p99 added latency of a run during a failover (the above less the p99 before the kill)",
      value: +(quantile(affected, 0.99) - baselineP99).toFixed(0),
      unit: "ms"
    },
    {
      name: "failover: of those runs, slower than 1 s and than every run before their kill",
      value: all.reduce((n, f) => n + [...f.inFlight, ...f.during].filter((l) => l > slow(f.baseline)).length, 0),
      unit: "runs"
    },
    {
      name: "failover: latency p99 of the runs created after the window",
      value: +quantile(pool("later"), 0.99).toFixed(1),
      unit: "ms"
    },
    {
      name: "failover: kill to the end of the last run that slow, median of the kills",
      value: +median(all.map((f) => f.recoveryMs)).toFixed(0),
      unit: "ms"
    },
    { name: "failover: creates sent to the killed runner unanswered", value: sum("lostCreates"), unit: "runs" },
    {
      name: "failover: runs never ended or not completed",
      value: sum("unfinished") + sum("failed"),
      unit: "runs",
      target: "0",
      met: sum("unfinished") + sum("failed") === 0
    }
  )
  return rows
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const number = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)))
  clusterBench({
    quick: process.argv.includes("--quick"),
    bin: arg("--bin"),
    inFlight: number("--in-flight"),
    reps: number("--reps"),
    rate: number("--rate"),
    kills: number("--kills"),
    intervals: arg("--intervals") as Options["intervals"],
    only: arg("--only") as Options["only"]
  }).then((rows) => {
    for (const row of rows) {
      const target = row.target === undefined ? "" : `  (target ${row.target}: ${row.met ? "met" : "NOT met"})`
      console.log(`${row.name}: ${row.value} ${row.unit}${target}`)
    }
    // exit once the rows are written (stdout to a pipe is written asynchronously): nothing the
    // benchmark started may keep the process alive
    process.stdout.write(`${JSON.stringify(rows)}\n`, () => process.exit(0))
  }, (e) => {
    console.error(e)
    process.exit(1)
  })
}
