/**
 * The limits a decoded request is checked against beyond what its schema checks: a run's
 * instructions, the text of a message, the number of messages one request creates.
 *
 * @since 0.1.0
 */
import type { CreateMessageParams } from "effect-assistants/Message"
import * as Effect from "effect/Effect"
import { type ApiError, invalid } from "../ApiError.js"
import { CurrentLimits } from "../Limits.js"

const textLength = (message: CreateMessageParams): number => {
  if (typeof message.content === "string") return message.content.length
  let n = 0
  for (const part of message.content) if (part.type === "text") n += part.text.length
  return n
}

/**
 * Refuses a message whose text is longer than `maxMessageChars`; `param` names its content.
 *
 * @since 0.1.0
 * @category checks
 */
export const message = (params: CreateMessageParams, param = "content"): Effect.Effect<void, ApiError> =>
  Effect.flatMap(CurrentLimits, ({ maxMessageChars }) =>
    textLength(params) > maxMessageChars
      ? Effect.fail(invalid(
        `Invalid '${param}': a message holds at most ${maxMessageChars} characters of text.`,
        param,
        "string_above_max_length"
      ))
      : Effect.void)

/**
 * Refuses more than `maxMessagesPerRequest` messages, or one of them too long; `param` names the
 * list (`messages`, `additional_messages`, `thread.messages`).
 *
 * @since 0.1.0
 * @category checks
 */
export const messages = (
  list: ReadonlyArray<CreateMessageParams> | null | undefined,
  param: string
): Effect.Effect<void, ApiError> =>
  Effect.gen(function*() {
    if (list === null || list === undefined) return
    const { maxMessagesPerRequest } = yield* CurrentLimits
    if (list.length > maxMessagesPerRequest) {
      return yield* Effect.fail(invalid(
        `Invalid '${param}': at most ${maxMessagesPerRequest} messages per request, got ${list.length}.`,
        param,
        "array_above_max_length"
      ))
    }
    for (let i = 0; i < list.length; i++) yield* message(list[i], `${param}[${i}].content`)
  })

/**
 * Refuses instructions longer than `maxInstructionsChars`.
 *
 * @since 0.1.0
 * @category checks
 */
export const instructions = (
  value: string | null | undefined,
  param: "instructions" | "additional_instructions"
): Effect.Effect<void, ApiError> =>
  Effect.flatMap(
    CurrentLimits,
    ({ maxInstructionsChars }) =>
      value !== null && value !== undefined && value.length > maxInstructionsChars
        ? Effect.fail(invalid(
          `Invalid '${param}': string too long. Expected a string with maximum length ${maxInstructionsChars}, but got a string with length ${value.length} instead.`,
          param,
          "string_above_max_length"
        ))
        : Effect.void
  )
