// Cold start baseline: an app that already uses effect, @effect/platform and Schema.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"

const Thing = Schema.Struct({ id: Schema.String })
const runtime = ManagedRuntime.make(FetchHttpClient.layer)
await runtime.runPromise(Effect.map(HttpClient.HttpClient, () => Schema.decodeUnknownSync(Thing)({ id: "x" })))
await runtime.dispose()
