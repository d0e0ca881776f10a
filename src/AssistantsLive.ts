/**
 * All five services over an `HttpClient`, in one layer.
 *
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * const Live = AssistantsLive.layer({ apiKey: Redacted.make(key) }).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
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
 * The five services over an already-built `AssistantsClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const services: Layer.Layer<Services, never, AssistantsClient.AssistantsClient> = Layer.mergeAll(
  Assistants.layer,
  Threads.layer,
  Messages.layer,
  Runs.layer,
  RunSteps.layer
)

/**
 * Every service, configured by `options`; needs only an `HttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Services, never, HttpClient.HttpClient> =>
  Layer.provide(services, AssistantsClient.layer(options))

/**
 * Every service, configured from `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and
 * `OPENAI_PROJECT_ID`; `overrides` win over the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides: Options = {}
): Layer.Layer<Services, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.provide(services, AssistantsClient.layerConfig(overrides))
