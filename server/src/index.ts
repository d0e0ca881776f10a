/**
 * The embedded Assistants-compatible server (`effect-assistants/server`). Needs
 * `@effect/platform-node`, an optional peer dependency of the client.
 *
 * @since 0.1.0
 */

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
export * as Routes from "./Routes.js"

/**
 * @since 0.1.0
 */
export * as RunEngine from "./RunEngine.js"

/**
 * @since 0.1.0
 */
export * as Store from "./Store.js"
