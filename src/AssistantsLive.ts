/**
 * All five services over an `HttpClient`, in one layer: `layer(options)` from options,
 * `layerConfig()` from the `OPENAI_*` environment variables.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AssistantsClient from "./layers/AssistantsClient.js"
import type { Options } from "./layers/AssistantsConfig.js"
import * as Assistants from "./services/Assistants.js"
import * as Messages from "./services/Messages.js"
import * as Runs from "./services/Runs.js"
import * as RunSteps from "./services/RunSteps.js"
import * as Threads from "./services/Threads.js"

/**
 * Every service.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = Assistants.Assistants | Threads.Threads | Messages.Messages | Runs.Runs | RunSteps.RunSteps

/**
 * What `layer` and `layerConfig` provide: every service, and the prepared client itself, which the
 * module functions over it need (the streamed calls: `Runs.createStream`, `AssistantStream`).
 *
 * @since 0.1.0
 * @category models
 */
export type Provided = Services | AssistantsClient.AssistantsClient

// One layer node rather than five merged ones (and the client's): each node costs start-up time.
const servicesContext: Effect.Effect<Context.Context<Services>, never, AssistantsClient.AssistantsClient> = Effect.map(
  Effect.all([Assistants.make, Threads.make, Messages.make, Runs.make, RunSteps.make]),
  ([assistants, threads, messages, runs, runSteps]) =>
    Context.make(Assistants.Assistants, assistants).pipe(
      Context.add(Threads.Threads, threads),
      Context.add(Messages.Messages, messages),
      Context.add(Runs.Runs, runs),
      Context.add(RunSteps.RunSteps, runSteps)
    )
)

/**
 * The five services over an already-built `AssistantsClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const services: Layer.Layer<Services, never, AssistantsClient.AssistantsClient> = Layer.effectContext(
  servicesContext
)

/**
 * Every service, configured by `options`; needs only an `HttpClient`.
 *
 * @example
 * ```ts
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import { Assistants, AssistantsLive } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * // `baseUrl` includes the version path; without `apiKey` no auth header is sent
 * const Live = AssistantsLive.layer({
 *   apiKey: Redacted.make("sk-test"),
 *   baseUrl: "http://127.0.0.1:4010/v1",
 *   timeout: "30 seconds"
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * // every service is provided: nothing is left in the requirements
 * export const program = Effect.gen(function*() {
 *   const page = yield* Assistants.list({ limit: 5 })
 *   return page.data.map((assistant) => assistant.id)
 * }).pipe(Effect.provide(Live))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Provided, never, HttpClient.HttpClient> =>
  Layer.effectContext(
    Effect.flatMap(
      AssistantsClient.make(options),
      (client) =>
        Effect.map(
          Effect.provideService(servicesContext, AssistantsClient.AssistantsClient, client),
          Context.add(AssistantsClient.AssistantsClient, client)
        )
    )
  )

/**
 * Every service, configured from `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and
 * `OPENAI_PROJECT_ID`; `overrides` win over the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides: Options = {}
): Layer.Layer<Provided, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.provideMerge(services, AssistantsClient.layerConfig(overrides))
