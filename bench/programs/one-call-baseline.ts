// The same call in an app that uses effect, @effect/platform and Schema without this client: what
// such an app already bundles.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const Run = Schema.Struct({ id: Schema.String, status: Schema.String, created_at: Schema.Number })
const program = Effect.flatMap(HttpClient.HttpClient, (client) =>
  Effect.flatMap(
    client.get(
      `${
        process.env.BENCH_URL ?? "http://127.0.0.1:1/v1"
      }/threads/thread_bench000000000000001/runs/run_bench0000000000000000`,
      {
        headers: { authorization: "Bearer sk-bench", "openai-beta": "assistants=v2" }
      }
    ),
    (response) => Effect.flatMap(response.json, Schema.decodeUnknown(Run))
  ))
const run = await Effect.runPromise(Effect.provide(program, FetchHttpClient.layer))
if (run.status !== "completed") throw new Error(run.status)
