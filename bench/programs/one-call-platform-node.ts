// One call with one service, as one-call-node.ts, on the platform's own node:http client
// (`@effect/platform-node`'s `NodeHttpClient.layer`, imported by its module path).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as AssistantsClient from "effect-assistants/AssistantsClient"
import * as Runs from "effect-assistants/Runs"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

const layer = Runs.layer.pipe(
  Layer.provide(
    AssistantsClient.layer({
      baseUrl: process.env.BENCH_URL ?? "http://127.0.0.1:1/v1",
      apiKey: Redacted.make("sk-bench")
    })
  ),
  Layer.provide(NodeHttpClient.layer)
)
const run = await Effect.runPromise(
  Effect.provide(Runs.get({ threadId: "thread_bench000000000000001", runId: "run_bench0000000000000000" }), layer)
)
if (run.status !== "completed") throw new Error(run.status)
