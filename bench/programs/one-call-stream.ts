// One streamed call: a run created with `stream: true` and folded to its final run, over the
// prepared client on fetch (as one-call-ours.ts).
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as AssistantsClient from "effect-assistants/AssistantsClient"
import * as AssistantStream from "effect-assistants/AssistantStream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

const layer = AssistantsClient.layer({
  baseUrl: process.env.BENCH_URL ?? "http://127.0.0.1:1/v1",
  apiKey: Redacted.make("sk-bench")
}).pipe(Layer.provide(FetchHttpClient.layer))
const snapshot = await Effect.runPromise(
  Effect.provide(
    AssistantStream.accumulate(
      AssistantStream.createStream({ threadId: "thread_streamtool", assistantId: "asst_bench0000000000000001" })
    ),
    layer
  )
)
if (snapshot.run._tag === "None") throw new Error("no run")
