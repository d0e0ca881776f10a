/**
 * Layers and config: the client's five services from options, or from the environment through
 * `Config`, over any `HttpClient`.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Assistants, AssistantsLive } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

const program = Effect.gen(function*() {
  // a server that accepts one key, started in this process on a free loopback port
  const { url } = yield* AssistantsServer.AssistantsServer

  // From options. `baseUrl` includes the version path; NodeTransport is the lightest on Node.
  const FromOptions = AssistantsLive.layer({
    apiKey: Redacted.make("sk-example"),
    baseUrl: url,
    headers: { "x-team": "docs" },
    timeout: "30 seconds"
  }).pipe(Layer.provide(NodeTransport.layer))
  const created = yield* Assistants.create({ model: "gpt-4o", name: "Layers example" }).pipe(
    Effect.provide(FromOptions)
  )
  yield* Console.log(`created ${created.id} through AssistantsLive.layer`)

  // From the environment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID.
  // Here a map stands in for process.env; FetchHttpClient runs wherever fetch does.
  const FromConfig = AssistantsLive.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
  const environment = new Map([["OPENAI_API_KEY", "sk-example"], ["OPENAI_BASE_URL", url]])
  const page = yield* Assistants.list({ limit: 10 }).pipe(
    Effect.provide(FromConfig),
    Effect.withConfigProvider(ConfigProvider.fromMap(environment))
  )
  yield* Console.log(`listed ${page.data.length} assistant(s) through AssistantsLive.layerConfig`)
}).pipe(Effect.provide(AssistantsServer.layer({ apiKeys: ["sk-example"] })))

NodeRuntime.runMain(program)
