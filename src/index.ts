/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AnyObject from "./schema/AnyObject.js"

/**
 * @since 0.1.0
 */
export * as Assistant from "./schema/Assistant.js"

/**
 * @since 0.1.0
 */
export * as Assistants from "./services/Assistants.js"

/**
 * @since 0.1.0
 */
export * as AssistantsClient from "./layers/AssistantsClient.js"

/**
 * @since 0.1.0
 */
export * as AssistantStream from "./services/AssistantStream.js"

/**
 * @since 0.1.0
 */
export * as AssistantsConfig from "./layers/AssistantsConfig.js"

/**
 * @since 0.1.0
 */
export * as AssistantsError from "./errors/AssistantsError.js"

/**
 * @since 0.1.0
 */
export * as AssistantsLive from "./AssistantsLive.js"

/**
 * @since 0.1.0
 */
export * as Common from "./schema/Common.js"

/**
 * @since 0.1.0
 */
export * as Decoder from "./schema/Decoder.js"

/**
 * @since 0.1.0
 */
export * as Message from "./schema/Message.js"

/**
 * @since 0.1.0
 */
export * as Messages from "./services/Messages.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./layers/RetryPolicy.js"

/**
 * @since 0.1.0
 */
export * as Run from "./schema/Run.js"

/**
 * @since 0.1.0
 */
export * as RunPolling from "./services/RunPolling.js"

/**
 * @since 0.1.0
 */
export * as Runs from "./services/Runs.js"

/**
 * @since 0.1.0
 */
export * as RunStep from "./schema/RunStep.js"

/**
 * @since 0.1.0
 */
export * as RunSteps from "./services/RunSteps.js"

/**
 * @since 0.1.0
 */
export * as StreamEvent from "./schema/StreamEvent.js"

/**
 * @since 0.1.0
 */
export * as Thread from "./schema/Thread.js"

/**
 * @since 0.1.0
 */
export * as Threads from "./services/Threads.js"

/**
 * @since 0.1.0
 */
export * as Tool from "./services/Tool.js"
