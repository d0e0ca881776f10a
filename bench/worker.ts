/**
 * Runs one scenario with one client in a process of its own, so that figures do not leak
 * between clients, and prints its result as one JSON line.
 *
 * usage: worker.ts <scenario> <adapter> <baseUrl> <size>
 */
import * as Adapters from "./adapters.js"

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
