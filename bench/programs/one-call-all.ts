// One call through the whole client (every service and schema).
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { AssistantsLive, Runs } from "effect-assistants"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

const layer = AssistantsLive.layer({
  baseUrl: process.env.BENCH_URL ?? "http://127.0.0.1:1/v1",
  apiKey: Redacted.make("sk-bench")
}).pipe(
  Layer.provide(FetchHttpClient.layer)
)
const run = await Effect.runPromise(
  Effect.provide(Runs.get({ threadId: "thread_bench000000000000001", runId: "run_bench0000000000000000" }), layer)
)
if (run.status !== "completed") throw new Error(run.status)
