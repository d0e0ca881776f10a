/**
 * What one request may carry and what the server stores, beside the limits the API's contract
 * states (which the request schemas check: 128 tools on an assistant, 20 on a run, metadata of 16
 * keys of at most 64 characters with values of at most 512).
 *
 * | limit | default | why |
 * | --- | --- | --- |
 * | `maxBodyBytes` | 4 MB | a body is read into memory before it is decoded |
 * | `maxJsonDepth` | 64 | a stored object is serialised on every read; deep JSON would overflow the stack |
 * | `maxInstructionsChars` | 256,000 | the contract's limit on an assistant's `instructions`, also applied to a run's |
 * | `maxMessageChars` | 256,000 | ours: the text of one message (strings and text parts together) |
 * | `maxMessagesPerRequest` | 100 | ours: `messages` of a thread create, `additional_messages` of a run |
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"

/**
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Bytes of one request body; more is answered with 413 `request_too_large`. */
  readonly maxBodyBytes: number
  /** Nesting of arrays and objects anywhere in a body, the body itself being 1. */
  readonly maxJsonDepth: number
  /** Characters of a run's `instructions` or `additional_instructions` (an assistant's: the schema). */
  readonly maxInstructionsChars: number
  /** Characters of text in one message. */
  readonly maxMessageChars: number
  /** Messages in one thread create, or in one run's `additional_messages`. */
  readonly maxMessagesPerRequest: number
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaults: Limits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxJsonDepth: 64,
  maxInstructionsChars: 256_000,
  maxMessageChars: 256_000,
  maxMessagesPerRequest: 100
}

/**
 * The limits in force: {@link defaults} unless the server was given others.
 *
 * @since 0.1.0
 * @category tags
 */
export class CurrentLimits extends Context.Reference<CurrentLimits>()("effect-assistants/server/Limits", {
  defaultValue: (): Limits => defaults
}) {}
