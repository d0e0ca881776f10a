/**
 * Runs one scenario with one client in a process of its own, so that figures do not leak
 * between clients, and prints its result as one JSON line.
 *
 * usage: worker.ts <scenario> <adapter> <baseUrl> <size>
 */
import * as Adapters from "./adapters.js"
import { toolRoundStream } from "./fixtures.js"

const [scenario, name, baseUrl, sizeText] = process.argv.slice(2)
const size = Number(sizeText)
const adapter = Adapters.make(name as Adapters.Name, baseUrl)

const cpuMicros = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start)
  return d.user + d.system
}

/** Runs `f` `n` times with `concurrency` in flight; returns wall ms and CPU us. */
const measure = async (n: number, concurrency: number, f: () => Promise<unknown>) => {
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++
      await f()
    }
  }))
  return { wallMs: performance.now() - t0, cpuUs: cpuMicros(cpu) }
}

const main = async (): Promise<Record<string, number | ReadonlyArray<number>>> => {
  switch (scenario) {
    case "seq-get":
    case "conc-get": {
      const concurrency = scenario === "seq-get" ? 1 : 64
      await measure(Math.min(2000, size), concurrency, adapter.getRun) // warm-up: let the JIT settle for every client
      const m = await measure(size, concurrency, adapter.getRun)
      return { calls: size, reqPerSec: (size / m.wallMs) * 1000, cpuUsPerCall: m.cpuUs / size }
    }
    case "list-messages": {
      // the same warm-up as getRun: after 200 pages every client was still being compiled (ours
      // measured 1116 us a page after 200, 837 after 2,000, 695 after 5,000)
      await measure(Math.min(2000, size), 1, adapter.listMessages)
      const m = await measure(size, 1, adapter.listMessages)
      return { pages: size, pagesPerSec: (size / m.wallMs) * 1000, cpuUsPerPage: m.cpuUs / size }
    }
    case "paginate": {
      const once = () => adapter.listAllRuns("thread_bench000000000000001", 100)
      if ((await once()) !== 2000) throw new Error("expected 2000 runs")
      const m = await measure(size, 1, once)
      return { repetitions: size, msPerPagination: m.wallMs / size, cpuMsPerPagination: m.cpuUs / size / 1000 }
    }
    case "poll-fixed":
    case "poll-hint": {
      const thread = scenario === "poll-fixed" ? "thread_bench000000000000001" : "thread_hint"
      const interval = scenario === "poll-fixed" ? 100 : undefined
      // a round as a warm-up, like every other scenario: cold, each client's first creates took
      // tens of milliseconds and moved every later poll. These runs complete after 500 ms, about
      // five reads each: after one read each (runs of 50 ms, before), our polls were not yet warm
      // (bench/README.md has the figures). They leave the server's sequence of times alone.
      await Promise.all(Array.from({ length: size }, () => adapter.createAndPoll(`${thread}_warm`, interval)))
      const results = await Promise.all(Array.from({ length: size }, () => adapter.createAndPoll(thread, interval)))
      const stats = (await (await fetch(new URL("/bench/runs", baseUrl))).json()) as Record<
        string,
        { createdMs: number; completesMs: number; reads: ReadonlyArray<number>; seenMs: number }
      >
      const requests = results.reduce((n, r) => n + stats[r.id].reads.length + 1, 0)
      // the figures of each run, not their quantiles: run.ts pools every repetition (see there)
      return {
        runs: size,
        requestsPerRun: requests / size,
        // from the completion to the caller seeing it ...
        delays: results.map((r) => r.seenMs - stats[r.id].completesMs),
        // ... of which this is after the read that saw it reached the server
        answers: results.map((r) => r.seenMs - stats[r.id].seenMs),
        // the time between a run's consecutive requests, the create first
        gaps: results.flatMap((r) => {
          const at = [stats[r.id].createdMs, ...stats[r.id].reads]
          return at.slice(1).map((t, i) => t - at[i])
        })
      }
    }
    case "stream-tool": {
      // a canned streamed run with a tool round (the server's `toolRound`): CPU per event, and the
      // time from the server writing `thread.run.completed` to the caller holding the final run
      const round = adapter.streamToolRound!
      const events = toolRoundStream("run_x", 1000).events
      for (let i = 0; i < Math.min(20, size); i++) await round() // warm-up
      await fetch(new URL("/bench/reset", baseUrl), { method: "POST" })
      const seen: Array<number> = []
      const cpu = process.cpuUsage()
      for (let i = 0; i < size; i++) seen.push(await round())
      const cpuUs = cpuMicros(cpu)
      const written = (await (await fetch(new URL("/bench/streams", baseUrl))).json()) as ReadonlyArray<number>
      if (written.length !== size) throw new Error(`expected ${size} completions, the server wrote ${written.length}`)
      const tail = seen.map((t, i) => t - written[i]).sort((a, b) => a - b)
      return {
        rounds: size,
        eventsPerRound: events,
        cpuUsPerEvent: cpuUs / (size * events),
        // the server pauses before each completion (so the CPU figure above has that idle time
        // in no one's favour); the pause is not CPU
        completionToCallerP50Ms: tail[Math.floor(tail.length / 2)],
        completionToCallerP95Ms: tail[Math.min(tail.length - 1, Math.floor(tail.length * 0.95))]
      }
    }
    case "stream-fixed": {
      // as poll-fixed, with a streamed create instead of polling: the server writes the run's
      // completion when the polled run would complete
      const thread = "thread_bench000000000000001"
      const create = adapter.createAndStream!
      await Promise.all(Array.from({ length: size }, () => create(`${thread}_warm`)))
      const results = await Promise.all(Array.from({ length: size }, () => create(thread)))
      const stats = (await (await fetch(new URL("/bench/runs", baseUrl))).json()) as Record<
        string,
        { createdMs: number; completesMs: number; seenMs: number }
      >
      return {
        runs: size,
        requestsPerRun: 1,
        delays: results.map((r) => r.seenMs - stats[r.id].completesMs),
        // from the server writing the completion to the caller holding the run
        answers: results.map((r) => r.seenMs - stats[r.id].seenMs),
        gaps: []
      }
    }
    case "stream-memory-small":
    case "stream-memory": {
      const before = process.memoryUsage().rss
      const t0 = performance.now()
      const length = await adapter.streamLong!(`thread_streambig_${size}`)
      if (length === 0) throw new Error("no text")
      return {
        events: size,
        seconds: (performance.now() - t0) / 1000,
        rssBeforeMb: before / 2 ** 20,
        peakRssMb: process.resourceUsage().maxRSS / 1024
      }
    }
    case "memory": {
      const before = process.memoryUsage().rss
      const t0 = performance.now()
      const n = await adapter.listAllRuns(`thread_big_${size}`, 100)
      if (n !== size) throw new Error(`expected ${size} items, saw ${n}`)
      return {
        items: n,
        seconds: (performance.now() - t0) / 1000,
        rssBeforeMb: before / 2 ** 20,
        peakRssMb: process.resourceUsage().maxRSS / 1024
      }
    }
    default:
      throw new Error(`unknown scenario ${scenario}`)
  }
}

main().then(
  async (result) => {
    await adapter.close()
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exit(0)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
