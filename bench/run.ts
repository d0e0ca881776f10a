/**
 * The benchmark: `npm run bench` (full) or `npm run bench -- --quick` (smaller sizes, one
 * repetition). Every scenario runs each client in a fresh process against a canned loopback
 * server in another process; each is repeated and the median kept; every figure is also given as
 * a ratio to the official `openai` SDK measured in the same run. Results go to bench/results/.
 */
import { build } from "esbuild"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { gzipSync } from "node:zlib"
import * as Adapters from "./adapters.js"

const quick = process.argv.includes("--quick")
// five, not three: several figures sit within a few percent of their targets, where the median of
// three moved across the line from run to run
const reps = quick ? 1 : 5
// createAndPoll's rounds pooled (see `pooled`): ten of 50 runs, because in two full runs of five
// the delay's median ratio moved by 5 % (0.96x, 1.01x) while its parts each favoured one client
const pollRounds = quick ? 1 : 10
const root = new URL("..", import.meta.url).pathname
const out = `${root}bench/.build`
const resultsDir = `${root}bench/results`

const sizes = quick
  ? {
    "seq-get": 500,
    "conc-get": 3000,
    "list-messages": 300,
    paginate: 2,
    "poll-fixed": 20,
    "poll-hint": 20,
    memory: 20_000
  }
  : {
    "seq-get": 5000,
    "conc-get": 20_000,
    "list-messages": 2000,
    paginate: 10,
    "poll-fixed": 50,
    "poll-hint": 50,
    memory: 100_000
  }
type Scenario = keyof typeof sizes

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

/**
 * The polling figures of every repetition together: each repetition polls its own stretch of the
 * server's completion times, and a delay is where one of them fell on the client's grid of polls,
 * so the quantiles of one round of 50 said more about that grid's place than about the client.
 * Beside the delay, its two parts: the time between a run's requests (the interval and the
 * round trip), and the time from the read that saw the run completed reaching the server to the
 * caller seeing it (the client's own work, and the round trip).
 */
const pooled = (rs: ReadonlyArray<Result>): Record<string, number> => {
  const all = (key: string) => rs.flatMap((r) => r[key] as ReadonlyArray<number>).sort((a, b) => a - b)
  const delays = all("delays")
  const answers = all("answers")
  const runs = rs.reduce((n, r) => n + (r.runs as number), 0)
  return {
    runs,
    requestsPerRun: rs.reduce((n, r) => n + (r.requestsPerRun as number) * (r.runs as number), 0) / runs,
    delayP50Ms: quantile(delays, 0.5),
    delayP95Ms: quantile(delays, 0.95),
    gapP50Ms: quantile(all("gaps"), 0.5),
    answerP50Ms: quantile(answers, 0.5),
    answerP95Ms: quantile(answers, 0.95)
  }
}

const log = (s: string) => process.stderr.write(`${s}\n`)

// ---------------------------------------------------------------------------------------------
// build: the worker and server as plain JS (no loader in the measured process), and the programs

const programs = [
  "base-import",
  "client-import",
  "openai-import",
  "one-call-ours",
  "one-call-node",
  "one-call-all",
  "one-call-baseline",
  "one-call-openai"
]

const buildAll = async () => {
  await build({
    entryPoints: [
      `${root}bench/worker.ts`,
      `${root}bench/server.ts`,
      ...["base-import", "client-import", "openai-import"].map((p) => `${root}bench/programs/${p}.ts`)
    ],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outdir: out,
    outExtension: { ".js": ".mjs" },
    target: "node20",
    logLevel: "error"
  })
  const bundles: Record<string, { raw: number; gzip: number; fastCheck: boolean }> = {}
  for (const p of programs.filter((p) => p.startsWith("one-call"))) {
    const result = await build({
      entryPoints: [`${root}bench/programs/${p}.ts`],
      bundle: true,
      minify: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: `${out}/bundle-${p}.mjs`,
      metafile: true,
      logLevel: "error"
    })
    const code = readFileSync(`${out}/bundle-${p}.mjs`)
    bundles[p] = {
      raw: code.length,
      gzip: gzipSync(code).length,
      // what reaches the output, not what esbuild parsed: effect/Schema imports FastCheck, and
      // tree-shaking must drop it
      fastCheck: Object.values(result.metafile.outputs).some((o) =>
        Object.entries(o.inputs).some(([i, v]) =>
          (i.includes("fast-check") || i.includes("pure-rand")) && v.bytesInOutput > 0
        )
      )
    }
  }
  return bundles
}

// ---------------------------------------------------------------------------------------------
// the server

const startServer = () =>
  new Promise<{ url: string; stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, [`${out}/server.mjs`, "0"], { stdio: ["ignore", "pipe", "inherit"] })
    child.stdout.on("data", (chunk: Buffer) => {
      const m = /ready (\d+)/.exec(chunk.toString())
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}/v1`, stop: () => child.kill() })
    })
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)))
  })

// ---------------------------------------------------------------------------------------------
// scenarios

type Result = Record<string, number | ReadonlyArray<number>>

const runWorker = (scenario: Scenario, adapter: Adapters.Name, url: string): Result => {
  const result = spawnSync(process.execPath, [`${out}/worker.mjs`, scenario, adapter, url, String(sizes[scenario])], {
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 1 << 20
  })
  if (result.status !== 0) throw new Error(`${scenario} ${adapter} failed: ${result.stderr}`)
  return JSON.parse(result.stdout.trim().split("\n").pop()!)
}

const startToExit = (file: string, env: Record<string, string>) => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [file], { env: { ...process.env, ...env }, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`)
  return Number(process.hrtime.bigint() - t0) / 1e6
}

/**
 * Median start-to-exit time of each program, run in alternation (a, b, a, b, ...) so that the
 * machine's drift touches both alike; also the median of the paired differences b - a.
 */
const coldStart = (a: string, b: string, env: Record<string, string> = {}, runs = quick ? 5 : 25) => {
  startToExit(a, env) // warm the file cache
  startToExit(b, env)
  const ta: Array<number> = []
  const tb: Array<number> = []
  const diff: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const x = startToExit(a, env)
    const y = startToExit(b, env)
    ta.push(x)
    tb.push(y)
    diff.push(y - x)
  }
  return { a: median(ta), b: median(tb), diff: median(diff) }
}

const main = async () => {
  mkdirSync(resultsDir, { recursive: true })
  log(`building (${quick ? "quick" : "full"} mode)`)
  const bundles = await buildAll()
  const server = await startServer()
  const results: Record<string, Record<string, Record<string, number>>> = {}
  try {
    const scenarios = Object.keys(sizes) as Array<Scenario>
    for (const scenario of scenarios) {
      results[scenario] = {}
      const runs: Record<string, Array<Result>> = {}
      const repetitions = scenario === "memory" ? 1 : scenario.startsWith("poll") ? pollRounds : reps
      for (let rep = 0; rep < repetitions; rep++) {
        // rotate the order so that no client always runs first
        const order = [
          ...Adapters.names.slice(rep % Adapters.names.length),
          ...Adapters.names.slice(0, rep % Adapters.names.length)
        ]
        for (const adapter of order) {
          // each repetition takes the next stretch of the seeded completion times, the same
          // stretch for every client
          if (scenario.startsWith("poll")) {
            await fetch(new URL(`/bench/reset?from=${rep * sizes[scenario]}`, server.url), { method: "POST" })
          }
          const r = runWorker(scenario, adapter, server.url)
          ;(runs[adapter] ??= []).push(r)
          log(`${scenario} ${adapter} ${JSON.stringify(scenario.startsWith("poll") ? pooled([r]) : r)}`)
        }
      }
      for (const [adapter, rs] of Object.entries(runs)) {
        results[scenario][adapter] = scenario.startsWith("poll") ? pooled(rs) : Object.fromEntries(
          Object.keys(rs[0]).map((k) => [k, median(rs.map((r) => r[k] as number))])
        )
      }
    }
    log("cold start")
    const added = coldStart(`${out}/programs/base-import.mjs`, `${out}/programs/client-import.mjs`)
    const imported = coldStart(`${out}/programs/openai-import.mjs`, `${out}/programs/client-import.mjs`)
    const bundled = coldStart(`${out}/bundle-one-call-openai.mjs`, `${out}/bundle-one-call-node.mjs`, {
      BENCH_URL: server.url
    })
    const bundledFetch = coldStart(`${out}/bundle-one-call-openai.mjs`, `${out}/bundle-one-call-ours.mjs`, {
      BENCH_URL: server.url
    })
    results["cold-start"] = {
      "effect-assistants": {
        importAndConstructMs: imported.b,
        addedOverBaselineMs: added.diff,
        bundledOneCallMs: bundled.b,
        bundledOneCallRatio: bundled.b / bundled.a,
        bundledOneCallFetchMs: bundledFetch.b,
        bundledOneCallFetchRatio: bundledFetch.b / bundledFetch.a
      },
      "effect+platform baseline": { importAndConstructMs: added.a },
      openai: {
        importAndConstructMs: imported.a,
        bundledOneCallMs: bundled.a,
        bundledOneCallFetchPairMs: bundledFetch.a
      }
    }
    results["bundle"] = Object.fromEntries(
      Object.entries(bundles).map((
        [k, v]
      ) => [k, { rawKb: v.raw / 1024, gzipKb: v.gzip / 1024, fastCheck: v.fastCheck ? 1 : 0 }])
    )
    results["bundle"]["marginal"] = {
      oneCallGzipKb: (bundles["one-call-ours"].gzip - bundles["one-call-baseline"].gzip) / 1024,
      nodeTransportGzipKb: (bundles["one-call-node"].gzip - bundles["one-call-ours"].gzip) / 1024,
      wholeClientGzipKb: (bundles["one-call-all"].gzip - bundles["one-call-baseline"].gzip) / 1024
    }
  } finally {
    server.stop()
  }
  const meta = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    repetitions: reps,
    pollRounds,
    node: process.version,
    cpus: `${(await import("node:os")).cpus().length} x ${(await import("node:os")).cpus()[0]?.model ?? "?"}`,
    versions: {
      effect: pkgVersion("effect"),
      "@effect/platform": pkgVersion("@effect/platform"),
      "@effect/platform-node": pkgVersion("@effect/platform-node"),
      openai: pkgVersion("openai")
    },
    git: gitHead()
  }
  writeFileSync(
    `${resultsDir}/results${quick ? "-quick" : ""}.json`,
    `${JSON.stringify({ meta, sizes, results }, null, 2)}\n`
  )
  const { markdown, svg } = report(meta, results)
  writeFileSync(`${resultsDir}/results${quick ? "-quick" : ""}.md`, markdown)
  writeFileSync(`${resultsDir}/ratios${quick ? "-quick" : ""}.svg`, svg)
  log(markdown)
}

const pkgVersion = (name: string) =>
  JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, "utf8")).version as string
const gitHead = () => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

// ---------------------------------------------------------------------------------------------
// report

interface Row {
  readonly label: string
  readonly scenario: string
  readonly metric: string
  readonly unit: string
  readonly target?: number
}

const rows: ReadonlyArray<Row> = [
  { label: "getRun sequential: CPU per call", scenario: "seq-get", metric: "cpuUsPerCall", unit: "us" },
  { label: "getRun sequential: requests/s", scenario: "seq-get", metric: "reqPerSec", unit: "req/s" },
  {
    label: "getRun, 64 in flight: CPU per call",
    scenario: "conc-get",
    metric: "cpuUsPerCall",
    unit: "us",
    target: 0.7
  },
  { label: "getRun, 64 in flight: requests/s", scenario: "conc-get", metric: "reqPerSec", unit: "req/s" },
  {
    label: "listMessages (20, 27 KB): CPU per page",
    scenario: "list-messages",
    metric: "cpuUsPerPage",
    unit: "us",
    target: 1.0
  },
  {
    label: "auto-paginate 2,000 runs at limit 100: CPU",
    scenario: "paginate",
    metric: "cpuMsPerPagination",
    unit: "ms",
    target: 1.3
  },
  { label: "auto-paginate 2,000 runs at limit 100: wall", scenario: "paginate", metric: "msPerPagination", unit: "ms" },
  {
    label: "createAndPoll at 100 ms: requests per run",
    scenario: "poll-fixed",
    metric: "requestsPerRun",
    unit: "",
    target: 1.0
  },
  {
    label: "createAndPoll at 100 ms: delay p50",
    scenario: "poll-fixed",
    metric: "delayP50Ms",
    unit: "ms",
    target: 1.0
  },
  {
    label: "createAndPoll at 100 ms: delay p95",
    scenario: "poll-fixed",
    metric: "delayP95Ms",
    unit: "ms",
    target: 1.0
  },
  {
    label: "createAndPoll at 100 ms: time between a run's requests, p50",
    scenario: "poll-fixed",
    metric: "gapP50Ms",
    unit: "ms"
  },
  {
    label: "createAndPoll at 100 ms: server's answer to caller, p50",
    scenario: "poll-fixed",
    metric: "answerP50Ms",
    unit: "ms"
  },
  {
    label: "createAndPoll at 100 ms: server's answer to caller, p95",
    scenario: "poll-fixed",
    metric: "answerP95Ms",
    unit: "ms"
  },
  {
    label: "createAndPoll, server poll-after only: requests per run",
    scenario: "poll-hint",
    metric: "requestsPerRun",
    unit: ""
  },
  {
    label: "createAndPoll, server poll-after only: delay p50",
    scenario: "poll-hint",
    metric: "delayP50Ms",
    unit: "ms"
  },
  {
    label: "createAndPoll, server poll-after only: delay p95",
    scenario: "poll-hint",
    metric: "delayP95Ms",
    unit: "ms"
  },
  { label: "stream 100,000 listed runs: peak RSS", scenario: "memory", metric: "peakRssMb", unit: "MB" }
]

const fmt = (
  n: number | undefined
) => (n === undefined ? "-" : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))

const report = (meta: Record<string, unknown>, results: Record<string, Record<string, Record<string, number>>>) => {
  const clients = Adapters.names
  const lines: Array<string> = []
  lines.push(`# Benchmark results (${meta.mode})`, "")
  lines.push(
    `${meta.date}, Node ${meta.node}, ${meta.cpus}, commit ${meta.git}; medians of ${meta.repetitions} (createAndPoll: the runs of ${meta.pollRounds} rounds pooled). Ratios are to the official \`openai\` SDK in the same run (lower is better; for requests/s higher is better).`,
    ""
  )
  lines.push(`| measure | ${clients.join(" | ")} | effect-undici / openai | effect-node / openai | target |`)
  lines.push(`| --- | ${clients.map(() => "---:").join(" | ")} | ---: | ---: | ---: |`)
  const chart: Array<{ label: string; ratio: number; target?: number }> = []
  for (const row of rows) {
    const values = clients.map((c) => results[row.scenario]?.[c]?.[row.metric])
    const ours = results[row.scenario]?.["effect-undici"]?.[row.metric]
    const theirs = results[row.scenario]?.openai?.[row.metric]
    const ratio = ours !== undefined && theirs ? ours / theirs : undefined
    const node = results[row.scenario]?.["effect-node"]?.[row.metric]
    const nodeRatio = node !== undefined && theirs ? node / theirs : undefined
    if (ratio !== undefined && row.unit !== "req/s") {
      chart.push({ label: row.label, ratio, ...(row.target !== undefined ? { target: row.target } : {}) })
    }
    const x = (r: number | undefined) => (r === undefined ? "-" : `${r.toFixed(2)}x`)
    lines.push(
      `| ${row.label}${row.unit ? ` (${row.unit})` : ""} | ${values.map(fmt).join(" | ")} | ${x(ratio)} | ${
        x(nodeRatio)
      } | ${row.target === undefined ? "" : `<= ${row.target}x`} |`
    )
  }
  const cold = results["cold-start"]
  const bundle = results["bundle"]
  lines.push("", "## Cold start and bundle", "")
  lines.push("| measure | effect-assistants | openai | ratio | target |", "| --- | ---: | ---: | ---: | ---: |")
  lines.push(
    `| import and construct, unbundled (ms) | ${fmt(cold["effect-assistants"].importAndConstructMs)} | ${
      fmt(cold.openai.importAndConstructMs)
    } | | |`
  )
  lines.push(
    `| added on top of an app that already imports effect + @effect/platform + Schema (ms) | ${
      fmt(cold["effect-assistants"].addedOverBaselineMs)
    } | | | <= 30 ms |`
  )
  const ours = cold["effect-assistants"]
  lines.push(
    `| bundled one-call program on \`effect-assistants/node\`, start to exit (ms) | ${fmt(ours.bundledOneCallMs)} | ${
      fmt(cold.openai.bundledOneCallMs)
    } | ${ours.bundledOneCallRatio.toFixed(2)}x | <= 0.8x |`
  )
  lines.push(
    `| bundled one-call program on \`FetchHttpClient\`, start to exit (ms) | ${fmt(ours.bundledOneCallFetchMs)} | ${
      fmt(cold.openai.bundledOneCallFetchPairMs)
    } | ${ours.bundledOneCallFetchRatio.toFixed(2)}x | |`
  )
  lines.push(
    `| one-call bundle, one service on \`FetchHttpClient\` (KB min / gzip) | ${fmt(bundle["one-call-ours"].rawKb)} / ${
      fmt(bundle["one-call-ours"].gzipKb)
    } | ${fmt(bundle["one-call-openai"].rawKb)} / ${fmt(bundle["one-call-openai"].gzipKb)} | | <= 90 KB gzip |`
  )
  lines.push(
    `| one-call bundle, one service on \`effect-assistants/node\` (KB min / gzip) | ${
      fmt(bundle["one-call-node"].rawKb)
    } / ${fmt(bundle["one-call-node"].gzipKb)} | | | |`
  )
  lines.push(
    `| one-call bundle, whole client (KB min / gzip) | ${fmt(bundle["one-call-all"].rawKb)} / ${
      fmt(bundle["one-call-all"].gzipKb)
    } | | | |`
  )
  lines.push(
    `| baseline: the same call with effect + platform + Schema only (KB min / gzip) | ${
      fmt(bundle["one-call-baseline"].rawKb)
    } / ${fmt(bundle["one-call-baseline"].gzipKb)} | | | |`
  )
  lines.push(`| marginal: one service over the baseline (KB gzip) | ${fmt(bundle.marginal.oneCallGzipKb)} | | | |`)
  lines.push(
    `| marginal: whole client over the baseline (KB gzip) | ${fmt(bundle.marginal.wholeClientGzipKb)} | | | <= 20 KB |`
  )
  lines.push(
    `| fast-check or pure-rand in any bundle | ${
      Object.entries(bundle).some(([k, v]) => k !== "marginal" && v.fastCheck)
        ? "yes"
        : "no"
    } | | | no |`
  )
  lines.push("")
  chart.push({ label: "bundled one-call start to exit (node transport)", ratio: ours.bundledOneCallRatio, target: 0.8 })
  return { markdown: `${lines.join("\n")}\n`, svg: svgChart(chart, String(meta.date)) }
}

/** A horizontal bar per measure: effect-undici / openai, with the target marked. */
const svgChart = (bars: ReadonlyArray<{ label: string; ratio: number; target?: number }>, date: string) => {
  const width = 900
  const left = 380
  const barH = 22
  const top = 50
  const max = Math.max(2, ...bars.map((b) => b.ratio)) * 1.05
  const x = (r: number) => left + ((width - left - 60) * r) / max
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;")
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${
      top + bars.length * (barH + 8) + 40
    }" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">effect-assistants (undici) / official openai SDK, same run (lower is better)</text>`,
    `<text x="10" y="38" fill="#555">${esc(date)}; the dashed line is 1.0x, the red tick each target</text>`,
    `<line x1="${x(1)}" y1="${top - 5}" x2="${x(1)}" y2="${
      top + bars.length * (barH + 8)
    }" stroke="#888" stroke-dasharray="4 3"/>`
  ]
  bars.forEach((b, i) => {
    const y = top + i * (barH + 8)
    const ok = b.target === undefined || b.ratio <= b.target
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`)
    parts.push(
      `<rect x="${left}" y="${y}" width="${Math.max(1, x(b.ratio) - left)}" height="${barH}" fill="${
        ok ? "#3b7ddd" : "#d98b3b"
      }"/>`
    )
    parts.push(`<text x="${x(b.ratio) + 5}" y="${y + 15}">${b.ratio.toFixed(2)}x</text>`)
    if (b.target !== undefined) {
      parts.push(
        `<line x1="${x(b.target)}" y1="${y - 2}" x2="${x(b.target)}" y2="${
          y + barH + 2
        }" stroke="#c00" stroke-width="2"/>`
      )
    }
  })
  parts.push("</svg>")
  return `${parts.join("\n")}\n`
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
