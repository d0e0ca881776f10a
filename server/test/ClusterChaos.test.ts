/**
 * The cluster under chaos: three runners (`--cluster`) on one fresh PostgreSQL database, with the
 * cluster's shard-lock expiry and message polling shortened (see `utils/cluster.ts`), run 300 runs
 * while two of the runners, in turn, are killed with SIGKILL, down for a second, started again, and
 * the other killed 1.5 to 3 s after it is back. The third runner is spared, so the HTTP API always
 * has a live process; the killed ones own shards and execute runs like it.
 *
 * The victims take turns because a runner that comes back is handed its shards again at once (the
 * cluster's hash ring is deterministic): one killed again and again within seconds of each start
 * (a crash loop) holds a third of the runs back until it lives long enough to execute them, and
 * with random victims such streaks made the longest wait grow with their length, which measures
 * the streak, not a failover. The server README's cluster section says so.
 *
 * Each run is scripted up front (the scripted model, see `Model.scripted`): a third call a tool in
 * two rounds (`[rounds:2]`), others in one round, reply at once, fail (`[fail]`), or are cancelled
 * while they wait in `requires_action`. Its thread, message and run are made through random
 * processes, and its tool outputs and cancel go through a process other than the one that created
 * the run. A request to a process that was just killed fails: a refused connection is retried on
 * another process (it never arrived); a cut one may have been written, so what it wrote is read
 * back before it is tried again. Every request answered 2xx is an acknowledged write.
 *
 * At the end: every run ended as scripted; no run has a step or an assistant message twice; every
 * acknowledged write is there; no run waited more than 30 s for its next status change (from the
 * runners' log lines, one per change); at least one run begun on a killed runner finished on
 * another. The suite prints the failover time (p50/p99: from a kill to the next status change of
 * each run whose last change before it was its `in_progress` on the killed runner, which only the
 * runner executing a run logs), how many runs moved, and the runs ended per second; with the log
 * lines of each run that went wrong. Every wait is bounded, so that it reports rather than hangs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { freshPgUrl, pgSkipped } from "./store/databases.js"
import type * as Bin from "./utils/bin.js"
import * as Cluster from "./utils/cluster.js"

const RUNS = 300
const CONCURRENCY = 48
/** Milliseconds a run may wait for its next status change. */
const MAX_WAIT = 30_000
const SEED = 21
/**
 * The suite's bounds, in milliseconds: a runner's start, the runs (those not ended by then are
 * reported as such), one run, the last restart after them, the final reads; the suite's own
 * timeout is above their sum.
 */
const START_BOUND = 30_000
const RUNS_BOUND = 110_000
const RUN_BOUND = 45_000
const CHAOS_BOUND = 15_000
const CHECKS_BOUND = 25_000

const headers = { "content-type": "application/json", "openai-beta": "assistants=v2" }

/** A small seeded generator (mulberry32) for the processes picked and the pauses between kills. */
const random = (seed: number) => () => {
  seed = (seed + 0x6D2B79F5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const weather = {
  type: "function",
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
}

/** What a run is scripted to do. */
interface Script {
  /** Rounds of tool calls: 0, 1 or 2. */
  readonly rounds: 0 | 1 | 2
  /** Cancelled in the wait of this round (0-based), when set. */
  readonly cancelAt?: number
  readonly fail?: boolean
  readonly content: string
}

const scriptOf = (i: number): Script => {
  if (i % 3 === 0) {
    return i % 30 === 0
      ? { rounds: 2, cancelAt: 1, content: `run ${i}: get_weather [rounds:2]` }
      : { rounds: 2, content: `run ${i}: get_weather [rounds:2]` }
  }
  if (i % 3 === 1) {
    return i % 15 === 1
      ? { rounds: 1, cancelAt: 0, content: `run ${i}: get_weather` }
      : { rounds: 1, content: `run ${i}: get_weather` }
  }
  return i % 15 === 2 ? { rounds: 0, fail: true, content: `run ${i}: [fail]` } : { rounds: 0, content: `run ${i}` }
}

const expectedStatus = (s: Script) => s.cancelAt !== undefined ? "cancelled" : s.fail ? "failed" : "completed"

/** The run's steps as `[type, status]`, in order, as the script makes them. */
const expectedSteps = (s: Script): ReadonlyArray<readonly [string, string]> => {
  if (s.fail) return []
  if (s.cancelAt !== undefined) {
    return Array.from(
      { length: s.cancelAt + 1 },
      (_, round) => ["tool_calls", round === s.cancelAt ? "cancelled" : "completed"] as const
    )
  }
  return [
    ...Array.from({ length: s.rounds }, () => ["tool_calls", "completed"] as const),
    ["message_creation", "completed"]
  ]
}

const outputOf = (i: number, round: number) => `out-${i}-${round}`

/** The scripted model's reply. */
const expectedReply = (i: number, s: Script) =>
  s.rounds === 0
    ? `You said: ${s.content}`
    : Array.from({ length: s.rounds }, (_, round) => `get_weather returned ${outputOf(i, round)}`).join("; ")

/** What the suite wrote for a run and was answered 2xx for. */
interface Written {
  readonly i: number
  readonly script: Script
  thread: string
  /** The thread's first message (made with the thread). */
  readonly greeting: string
  message?: string
  run: string
  creator: string
  readonly outputs: Array<{ readonly callId: string; readonly output: string }>
  cancelAcknowledged: boolean
  ended?: string
}

interface Problem {
  readonly run: string
  readonly what: string
}

/** A request that may have been written: it reached a process that died before answering. */
class Unsure extends Data.TaggedError("Unsure")<{ readonly message: string }> {}

interface Reply {
  readonly status: number
  readonly body: any
  readonly via: string
}

const refused = (error: unknown): boolean => {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause
  return cause?.code === "ECONNREFUSED"
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

/** `[HH:MM:SS.mmm]` of a log line (the pretty logger's local time) in epoch milliseconds. */
const timeOf = (line: string, since: number): number | undefined => {
  const m = /^\[(\d\d):(\d\d):(\d\d)\.(\d{3})\]/.exec(line)
  if (m === null) return undefined
  const date = new Date(since)
  date.setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]))
  // a suite that crosses midnight
  return date.getTime() < since - 3_600_000 ? date.getTime() + 86_400_000 : date.getTime()
}

/** `HH:MM:SS.mmm`, local time as the runners' log lines. */
const clock = (at: number) => {
  const d = new Date(at)
  const two = (n: number) => String(n).padStart(2, "0")
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${
    String(d.getMilliseconds()).padStart(3, "0")
  }`
}

interface Change {
  readonly run: string
  readonly status: string
  readonly runner: string
  readonly at: number
}

const terminal = new Set(["completed", "failed", "cancelled", "expired", "incomplete"])

describe.skipIf(pgSkipped !== undefined)(
  "a cluster of 3 runners, one killed and restarted every few seconds",
  () => {
    it.scopedLive(
      "300 runs end as scripted, each step and message once, every acknowledged write kept",
      () =>
        Effect.gen(function*() {
          const since = Date.now()
          const rand = random(SEED)
          const pick = <A>(as: ReadonlyArray<A>): A => as[Math.floor(rand() * as.length)]
          const url = yield* freshPgUrl
          const start = Cluster.runner(url, { args: ["--queued-ms", "20", "--step-ms", "40"] }).pipe(
            Effect.timeoutFail({
              duration: START_BOUND,
              onTimeout: () => new Error(`a runner did not start within ${START_BOUND} ms`)
            })
          )
          // the first makes the database's tables before the others start (a start-up race on an
          // empty database is not what this suite is about)
          const first = yield* start
          const runners = [first, ...yield* Effect.all([start, start], { concurrency: "unbounded" })]
          // every process each runner was, for its log lines (a killed one's output is complete)
          const lives: Array<Bin.Child> = runners.map((r) => r.child())
          const livesOf: Array<string> = runners.map((r) => r.name)
          const stats = { refused: 0, cut: 0, serverErrors: [] as Array<string>, reconciled: 0 }

          const attempt = (base: string, method: string, path: string, body: unknown) =>
            Effect.tryPromise({
              try: async (signal) => {
                const response = await fetch(base + path, {
                  method,
                  headers,
                  signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
                  ...(body === undefined ? {} : { body: JSON.stringify(body) })
                })
                const text = await response.text()
                return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
              },
              catch: (error) => error
            })

          /**
           * One request through a live process other than `avoid`. A refused connection never
           * arrived: tried again on another process. A cut one, or a 5xx, may have been written:
           * `Unsure`.
           */
          const send = (method: string, path: string, body?: unknown, avoid?: string) =>
            Effect.gen(function*() {
              for (let i = 0; i < 600; i++) {
                const live = runners.filter((r) => r.name !== avoid && r.child().alive())
                if (live.length === 0) {
                  yield* Effect.sleep("25 millis")
                  continue
                }
                const runner = pick(live)
                const result = yield* Effect.either(attempt(runner.child().url, method, path, body))
                if (Either.isRight(result)) {
                  if (result.right.status >= 500) {
                    const message = `${method} ${path} through ${runner.name}: ${result.right.status} ${
                      JSON.stringify(result.right.body)
                    }`
                    stats.serverErrors.push(message)
                    return yield* new Unsure({ message })
                  }
                  return { ...result.right, via: runner.name } as Reply
                }
                if (refused(result.left)) {
                  stats.refused++
                  yield* Effect.sleep("25 millis")
                  continue
                }
                stats.cut++
                return yield* new Unsure({ message: `${method} ${path}: ${String(result.left)}` })
              }
              return yield* Effect.dieMessage(`${method} ${path}: no live process answered`)
            })

          const ok = (reply: Reply, what: string) =>
            reply.status === 200
              ? Effect.succeed(reply)
              : Effect.dieMessage(`${what}: ${reply.status} ${JSON.stringify(reply.body)}`)

          /** A write whose `Unsure` is settled by `settle` (the value it wrote, if it did), else tried again. */
          const write = <A>(
            what: string,
            request: Effect.Effect<Reply, Unsure>,
            settle: Effect.Effect<A | undefined>,
            acknowledged: (reply: Reply) => A
          ) =>
            Effect.gen(function*() {
              for (let i = 0; i < 20; i++) {
                const reply = yield* Effect.either(request)
                if (Either.isRight(reply)) return acknowledged(yield* ok(reply.right, what))
                stats.reconciled++
                const settled = yield* settle
                if (settled !== undefined) return settled
              }
              return yield* Effect.dieMessage(`${what}: never written`)
            })

          /** A read, tried again on another process when cut. */
          const read = (path: string) =>
            Effect.gen(function*() {
              for (let i = 0; i < 20; i++) {
                const reply = yield* Effect.either(send("GET", path))
                if (Either.isRight(reply)) return (yield* ok(reply.right, `GET ${path}`)).body
              }
              return yield* Effect.dieMessage(`GET ${path}: always cut`)
            })

          const assistant: string = yield* write(
            "assistant",
            send("POST", "/assistants", { model: "gpt-4o", tools: [weather] }),
            Effect.succeed(undefined),
            (r) => r.body.id
          )

          const chaosDone = { value: false }
          const kills: Array<{ readonly victim: string; readonly at: number; ready?: number }> = []
          const chaos = Effect.gen(function*() {
            for (let n = 0; n < 60 && !chaosDone.value; n++) {
              yield* Effect.sleep(Duration.millis(1500 + Math.floor(rand() * 1500)))
              if (chaosDone.value) break
              // runners[0] is spared; the other two take turns (see the module comment)
              const victim = runners[1 + (n % 2)]
              const kill: (typeof kills)[number] = { victim: victim.name, at: Date.now() }
              kills.push(kill)
              yield* victim.kill
              yield* Effect.sleep("1 second")
              yield* victim.restart
              kill.ready = Date.now()
              lives.push(victim.child())
              livesOf.push(victim.name)
            }
          })

          const written: Array<Written> = []
          const started = Date.now()
          const lifeOf = (i: number) =>
            Effect.gen(function*() {
              const script = scriptOf(i)
              const greeting = `hello from run ${i}`
              const thread: string = yield* write(
                "thread",
                send("POST", "/threads", {
                  messages: [{ role: "user", content: greeting }],
                  metadata: { i: String(i) }
                }),
                // a thread made but not acknowledged is left alone: another is made
                Effect.succeed(undefined),
                (r) => r.body.id
              )
              const w: Written = {
                i,
                script,
                thread,
                greeting,
                run: "",
                creator: "",
                outputs: [],
                cancelAcknowledged: false
              }
              written.push(w)
              const userMessages = Effect.map(
                read(`/threads/${thread}/messages?order=asc&limit=100`),
                (body) => (body.data as Array<any>).filter((m) => m.content[0]?.text?.value === script.content)
              )
              yield* write(
                "message",
                send("POST", `/threads/${thread}/messages`, { role: "user", content: script.content }),
                Effect.map(userMessages, (ms) => (ms.length > 0 ? ms[0].id as string : undefined)),
                (r) => (w.message = r.body.id)
              )
              yield* write(
                "run",
                Effect.tap(
                  send("POST", `/threads/${thread}/runs`, { assistant_id: assistant }),
                  (r) => Effect.sync(() => (w.creator = r.via))
                ),
                Effect.map(read(`/threads/${thread}/runs`), (body) => {
                  const run = (body.data as Array<any>)[0]
                  if (run === undefined) return undefined
                  w.run = run.id
                  return run.id as string
                }),
                (r) => (w.run = r.body.id)
              )
              const getRun = read(`/threads/${thread}/runs/${w.run}`)
              let round = 0
              let lastCall = ""
              const begun = Date.now()
              while (Date.now() - begun < RUN_BOUND) {
                const run = yield* getRun
                if (terminal.has(run.status)) {
                  w.ended = run.status
                  return
                }
                const calls = run.status === "requires_action"
                  ? run.required_action.submit_tool_outputs.tool_calls as Array<any>
                  : []
                if (calls.length === 0 || calls[0].id === lastCall) {
                  yield* Effect.sleep("150 millis")
                  continue
                }
                lastCall = calls[0].id
                const stillWaiting = Effect.map(
                  getRun,
                  (r) =>
                    r.status === "requires_action" &&
                    r.required_action.submit_tool_outputs.tool_calls[0].id === lastCall
                )
                if (script.cancelAt === round) {
                  yield* write(
                    "cancel",
                    send("POST", `/threads/${thread}/runs/${w.run}/cancel`, undefined, w.creator),
                    Effect.map(stillWaiting, (waiting) => (waiting ? undefined : true)),
                    () => (w.cancelAcknowledged = true)
                  )
                } else {
                  const outputs = calls.map((c) => ({ tool_call_id: c.id as string, output: outputOf(i, round) }))
                  yield* write(
                    "outputs",
                    send(
                      "POST",
                      `/threads/${thread}/runs/${w.run}/submit_tool_outputs`,
                      { tool_outputs: outputs },
                      w.creator
                    ),
                    Effect.map(stillWaiting, (waiting) => (waiting ? undefined : true)),
                    () => {
                      for (const o of outputs) w.outputs.push({ callId: o.tool_call_id, output: o.output })
                      return true
                    }
                  )
                }
                round++
              }
            })

          const chaosFiber = yield* Effect.fork(chaos)
          const problems: Array<Problem> = []
          // the runs not begun or not ended in time are reported as such
          yield* Effect.forEach(Array.from({ length: RUNS }, (_, i) => i), lifeOf, {
            concurrency: CONCURRENCY,
            discard: true
          }).pipe(
            Effect.timeout(RUNS_BOUND),
            Effect.catchTag("TimeoutException", () =>
              Effect.sync(() =>
                problems.push({ run: "", what: `the runs took more than ${RUNS_BOUND} ms: the rest were left` })
              ))
          )
          const finished = Date.now()
          chaosDone.value = true
          // a restart that hangs is cut short; one that fails is a problem
          yield* Fiber.join(chaosFiber).pipe(
            Effect.timeout(CHAOS_BOUND),
            Effect.catchAll((error) =>
              Effect.zipRight(
                Fiber.interrupt(chaosFiber),
                Effect.sync(() =>
                  problems.push({ run: "", what: `a runner did not start again: ${error.message}` })
                )
              )
            )
          )

          // every acknowledged write, and nothing twice
          yield* Effect.forEach(written, (w) =>
            Effect.gen(function*() {
              const problem = (what: string) =>
                problems.push({ run: w.run, what: `run ${w.run} (${w.i}, thread ${w.thread}): ${what}` })
              if (w.run === "") {
                problem("not made in the suite's time")
                return
              }
              const run = yield* read(`/threads/${w.thread}/runs/${w.run}`)
              if (run.status !== expectedStatus(w.script)) {
                problem(`${run.status}, scripted ${expectedStatus(w.script)}`)
              }
              const runs = (yield* read(`/threads/${w.thread}/runs`)).data as Array<any>
              if (runs.length !== 1) problem(`${runs.length} runs on its thread`)
              const steps: Array<any> =
                (yield* read(`/threads/${w.thread}/runs/${w.run}/steps?order=asc&limit=100`)).data
              const shape = steps.map((s) => [s.type, s.status])
              if (JSON.stringify(shape) !== JSON.stringify(expectedSteps(w.script))) {
                problem(
                  `steps ${JSON.stringify(shape)}, scripted ${JSON.stringify(expectedSteps(w.script))}; ` +
                    steps.map((s) => `${s.id} created ${s.created_at} completed ${s.completed_at}`).join(", ")
                )
              }
              const recorded = new Map<string, string>(
                steps.flatMap((s) =>
                  s.type === "tool_calls"
                    ? (s.step_details.tool_calls as Array<any>).map((c) => [c.id, c.function.output] as const)
                    : []
                )
              )
              for (const o of w.outputs) {
                if (recorded.get(o.callId) !== o.output) {
                  problem(`acknowledged output ${o.output} of ${o.callId} is ${recorded.get(o.callId)}`)
                }
              }
              const messages = (yield* read(`/threads/${w.thread}/messages?order=asc&limit=100`)).data as Array<any>
              const texts = (role: string) =>
                messages.filter((m) => m.role === role).map((m) => m.content.map((c: any) => c.text?.value).join(""))
              if (!texts("user").includes(w.greeting)) problem(`its thread lost its first message`)
              if (w.message !== undefined && !messages.some((m) => m.id === w.message)) {
                problem(`acknowledged message ${w.message} is missing`)
              }
              const replies = texts("assistant")
              const expected = expectedStatus(w.script) === "completed" ? [expectedReply(w.i, w.script)] : []
              if (JSON.stringify(replies) !== JSON.stringify(expected)) {
                problem(`replies ${JSON.stringify(replies)}, scripted ${JSON.stringify(expected)}`)
              }
            }).pipe(
              Effect.catchAllDefect((defect) =>
                Effect.sync(() => problems.push({ run: w.run, what: `run ${w.run} (${w.i}): ${String(defect)}` }))
              )
            ), { concurrency: 8, discard: true }).pipe(
              Effect.timeout(CHECKS_BOUND),
              Effect.catchTag("TimeoutException", () =>
                Effect.sync(() =>
                  problems.push({ run: "", what: `the final reads took more than ${CHECKS_BOUND} ms` })
                ))
            )

          // the runners' log lines: one per status change, with the process that made it
          const changes: Array<Change> = lives
            .flatMap((child) =>
              (child.stdout() + child.stderr()).split("\n").flatMap((line) => {
                const at = timeOf(line, since)
                return at === undefined ? [] : Cluster.changes(line).map((c) => ({ ...c, at }))
              })
            )
            .sort((a, b) => a.at - b.at)
          const byRun = new Map<string, Array<Change>>()
          for (const c of changes) {
            const list = byRun.get(c.run) ?? []
            list.push(c)
            byRun.set(c.run, list)
          }

          // waits between consecutive changes of a run (their distribution), and the longest wait
          const gaps: Array<number> = []
          const unended = new Set(written.filter((w) => w.ended === undefined).map((w) => w.run))
          let longest = { run: "", gap: 0, from: "", to: "" }
          for (const [run, list] of byRun) {
            for (let k = 1; k < list.length; k++) {
              const gap = list[k].at - list[k - 1].at
              gaps.push(gap)
              if (gap > longest.gap) {
                longest = {
                  run,
                  gap,
                  from: `${list[k - 1].status} on ${list[k - 1].runner}`,
                  to: `${list[k].status} on ${list[k].runner}`
                }
              }
            }
            // a run that had not ended when the runs were over waited from its last change on
            const last = list[list.length - 1]
            const waited = finished - last.at
            if (unended.has(run) && waited > longest.gap) {
              longest = { run, gap: waited, from: `${last.status} on ${last.runner}`, to: "(none)" }
            }
          }

          // failover: a run executing on the killed runner (its last change before the kill was its
          // `in_progress` there) until its next change, on whichever process resumed it
          const failovers: Array<number> = []
          let resumedElsewhere = 0
          for (const kill of kills) {
            for (const list of byRun.values()) {
              const before = list.filter((c) => c.at <= kill.at)
              const last = before[before.length - 1]
              if (last === undefined || last.runner !== kill.victim || last.status !== "in_progress") continue
              const next = list.find((c) => c.at > kill.at)
              if (next === undefined) continue
              failovers.push(next.at - kill.at)
              if (next.runner !== kill.victim) resumedElsewhere++
            }
          }
          failovers.sort((a, b) => a - b)

          // begun (first `in_progress`) on a runner killed before the run ended, ended on another
          let moved = 0
          for (const list of byRun.values()) {
            const begun = list.find((c) => c.status === "in_progress")
            const ended = list.find((c) => terminal.has(c.status))
            if (begun === undefined || ended === undefined || ended.runner === begun.runner) continue
            if (kills.some((k) => k.victim === begun.runner && k.at > begun.at && k.at < ended.at)) moved++
          }

          const executed = new Map(runners.map((r) => [r.name, 0]))
          for (const c of changes) {
            if (c.status === "in_progress") executed.set(c.runner, (executed.get(c.runner) ?? 0) + 1)
          }
          const ended = written.filter((w) => w.ended !== undefined).length
          const completed = written.filter((w) => w.ended === "completed").length
          const seconds = (finished - started) / 1000
          // a wait over the bound is a problem too, so that its run's log lines are printed below
          if (longest.gap > MAX_WAIT) {
            problems.push({
              run: longest.run,
              what: `run ${longest.run} waited ${longest.gap} ms (${longest.from} -> ${longest.to})`
            })
          }
          // the log lines of the runs with a problem, with the process (life) and fiber that wrote them
          const logOf = new Map<string, Array<string>>(problems.map((p) => [p.run, []]))
          const unhealthy: Array<string> = []
          lives.forEach((child, life) => {
            for (const line of (child.stdout() + child.stderr()).split("\n")) {
              if (line.includes("Shard lock storage is unhealthy")) {
                unhealthy.push(`${line.slice(1, 13)} (life ${life})`)
              }
              const run = /run (run_[0-9a-z]+) /.exec(line)?.[1]
              if (run !== undefined) logOf.get(run)?.push(`${line} (life ${life})`)
            }
          })
          // by their timestamps
          for (const lines of logOf.values()) lines.sort()
          gaps.sort((a, b) => a - b)
          console.log(
            [
              `cluster chaos (seed ${SEED}): ${RUNS} runs, ${CONCURRENCY} at a time, 3 runners, ${kills.length} kills`,
              `  runs ended: ${ended} in ${seconds.toFixed(1)} s: ${(ended / seconds).toFixed(1)} runs/s ` +
              `(completed ${completed}: ${(completed / seconds).toFixed(1)}/s)`,
              `  in_progress changes per runner: ${
                [...executed].map(([name, n]) => `${name}${name === runners[0].name ? " (spared)" : ""} ${n}`).join(
                  ", "
                )
              }`,
              `  failover (kill to the next change of a run executing on the killed runner): ` +
              `n=${failovers.length} p50 ${percentile(failovers, 50)} ms, p99 ${percentile(failovers, 99)} ms, ` +
              `max ${percentile(failovers, 100)} ms; resumed on another runner: ${resumedElsewhere}`,
              `  runs begun on a killed runner and ended on another: ${moved}`,
              `  waits between status changes: p50 ${percentile(gaps, 50)} ms, p99 ${percentile(gaps, 99)} ms, ` +
              `longest ${longest.gap} ms (${longest.run}: ${longest.from} -> ${longest.to})`,
              `  client: ${stats.refused} refused, ${stats.cut} cut, ${stats.serverErrors.length} 5xx, ` +
              `${stats.reconciled} writes read back`,
              ...stats.serverErrors.slice(0, 5).map((e) => `    ${e}`),
              `  shard lock storage unhealthy (its refresh timed out; the runner interrupts its entities): ` +
              `${unhealthy.length} times${unhealthy.length > 0 ? ": " : ""}${unhealthy.join(", ")}`,
              `  processes (lives): ${livesOf.map((name, life) => `${life} ${name}`).join(", ")}`,
              `  kills (restarted, ready): ${
                kills.map((k) => `${clock(k.at)} ${k.victim} (${k.ready === undefined ? "-" : clock(k.ready)})`).join(
                  ", "
                )
              }`,
              `  problems: ${problems.length}`,
              ...problems.slice(0, 20).flatMap((p, k) => [
                `    ${p.what}`,
                // each run's log lines once, after its last problem
                ...(problems[k + 1]?.run === p.run ? [] : (logOf.get(p.run) ?? []).map((l) => `      ${l}`))
              ])
            ].join("\n")
          )

          assert.strictEqual(written.length, RUNS)
          assert.deepStrictEqual(problems.map((p) => p.what), [])
          assert.isAtMost(longest.gap, MAX_WAIT, `${longest.run} waited ${longest.gap} ms`)
          assert.isAtLeast(kills.length, 3)
          for (const r of runners.slice(1)) assert.isAbove(executed.get(r.name) ?? 0, 0, `${r.name} executed no run`)
          assert.isAtLeast(moved, 1)
        }),
      { timeout: 200_000 }
    )
  }
)
