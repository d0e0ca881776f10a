/**
 * The Assistants-compatible server, `effect-assistants-server`: the layer users start in their own
 * tests (`AssistantsServer.layer()`), the run engine and its `Model` providers (the scripted model,
 * `ChatCompletions` for any Chat Completions endpoint, `OpenAiResponses`, `Anthropic`), the store,
 * and fault injection.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Anthropic from "./models/Anthropic.js"

/**
 * @since 0.1.0
 */
export * as ApiError from "./ApiError.js"

/**
 * @since 0.1.0
 */
export * as AssistantsServer from "./AssistantsServer.js"

/**
 * @since 0.1.0
 */
export * as ChatCompletions from "./models/ChatCompletions.js"

/**
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"

/**
 * @since 0.1.0
 */
export * as Graceful from "./Graceful.js"

/**
 * @since 0.1.0
 */
export * as Limits from "./Limits.js"

/**
 * @since 0.1.0
 */
export * as Model from "./Model.js"

/**
 * @since 0.1.0
 */
export * as OpenAiResponses from "./models/OpenAiResponses.js"

/**
 * @since 0.1.0
 */
export * as Routes from "./Routes.js"

/**
 * @since 0.1.0
 */
export * as RunEngine from "./RunEngine.js"

/**
 * Where the run engine publishes each change of a run, and where the streams of runs read them.
 *
 * @since 0.1.0
 */
export * as RunEvents from "./RunEvents.js"

/**
 * @since 0.1.0
 */
export * as RunWorkflow from "./RunWorkflow.js"

/**
 * @since 0.1.0
 */
export * as Store from "./Store.js"

/**
 * @since 0.1.0
 */
export * as Upstream from "./models/Upstream.js"
