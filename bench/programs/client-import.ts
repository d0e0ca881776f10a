// Cold start: the baseline plus effect-assistants, with every service constructed.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { AssistantsLive, Runs } from "effect-assistants"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"

const Thing = Schema.Struct({ id: Schema.String })
const runtime = ManagedRuntime.make(
  Layer.provideMerge(AssistantsLive.layer({ baseUrl: "http://127.0.0.1:1/v1" }), FetchHttpClient.layer)
)
await runtime.runPromise(
  Effect.map(Effect.zip(HttpClient.HttpClient, Runs.Runs), () => Schema.decodeUnknownSync(Thing)({ id: "x" }))
)
await runtime.dispose()
