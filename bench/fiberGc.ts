/**
 * What a fiber keeps through the young generation's collections (bench/README.md, "listMessages:
 * the young generation"). Without the client: 4,000 times, the bench's page of 20 messages
 * (27 KB of JSON) is parsed afresh and handed back in one of the ways below, each in a process
 * of its own under `node --trace-gc-nvp`; the row is the bytes the scavenges promoted to the old
 * generation over the run, and the scavenges' pauses.
 *
 * - `promise`: awaited as a promise, no fiber (the floor);
 * - `fiber, yield`: a fiber run by `Effect.runPromise` yields once, then ends with the page;
 * - `fiber, async`: the fiber waits on `Effect.async` (resumed from a promise), then ends with the
 *   page, as a client's call does after its transport answers;
 * - `fiber, async, length`: the same, ending with the page's length (the page is garbage at once);
 * - `fiber, async, own scheduler`: as `fiber, async`, under `Scheduler.makeBatched` instead of
 *   the default scheduler (which keeps a runner per fiber in a `WeakMap`).
 *
 * Alone: npx tsx bench/fiberGc.ts (not part of `npm run bench`: no target, a finding to report)
 */
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import * as Scheduler from "effect/Scheduler"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as fx from "./fixtures.js"

const variants = {
  "promise": () => Promise.resolve().then(parse),
  "fiber, yield": () => Effect.runPromise(Effect.map(Effect.yieldNow(), parse)),
  "fiber, async": () => Effect.runPromise(Effect.map(resumed, parse)),
  "fiber, async, length": () => Effect.runPromise(Effect.map(resumed, () => parse().data.length)),
  "fiber, async, own scheduler": () => Runtime.runPromise(ownScheduler)(Effect.map(resumed, parse))
} as const

type Variant = keyof typeof variants

const text = JSON.stringify(fx.page(Array.from({ length: 20 }, (_, i) => fx.message(i)), true))
const parse = (): { readonly data: ReadonlyArray<unknown> } => JSON.parse(text)
const resumed = Effect.async<void>((resume) => {
  Promise.resolve().then(() => resume(Effect.void))
})
const ownScheduler = Effect.runSync(
  Effect.withScheduler(Effect.runtime<never>(), Scheduler.makeBatched((run) => Promise.resolve().then(run)))
)

const iterations = 4000

const child = async (variant: Variant) => {
  const f = variants[variant]
  for (let i = 0; i < iterations; i++) await f()
}

const measure = (variant: Variant) => {
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, "--trace-gc-nvp", fileURLToPath(import.meta.url), "--child", variant],
    { encoding: "utf8", maxBuffer: 1 << 26 }
  )
  if (result.status !== 0) throw new Error(`${variant}: ${result.stderr}`)
  const scavenges = result.stdout.split("\n").filter((line) => line.includes(" gc=s "))
  const sum = (field: string) =>
    scavenges.reduce((total, line) => total + Number(new RegExp(` ${field}=([\\d.]+)`).exec(line)?.[1] ?? 0), 0)
  return { scavenges: scavenges.length, pauseMs: sum("pause"), promotedMb: sum("promoted") / 1e6 }
}

const childAt = process.argv.indexOf("--child")
if (childAt > 0) {
  await child(process.argv[childAt + 1] as Variant)
} else {
  console.log(`| ${iterations} pages, each | scavenges | their pauses (ms) | promoted (MB) |`)
  console.log("| --- | ---: | ---: | ---: |")
  for (const variant of Object.keys(variants) as Array<Variant>) {
    const row = measure(variant)
    console.log(`| ${variant} | ${row.scavenges} | ${row.pauseMs.toFixed(0)} | ${row.promotedMb.toFixed(0)} |`)
  }
}
