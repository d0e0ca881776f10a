/**
 * The model behind the server's runs. The default, {@link scripted}, is deterministic:
 *
 * 1. If the latest user message contains `[fail]`, the run fails (`last_error.code: server_error`);
 *    if it contains `[incomplete]`, the run ends `incomplete` (`max_completion_tokens`).
 * 2. In a run's first round, when the run has function tools and `tool_choice` is not `"none"`,
 *    it calls every function tool whose name appears in the latest user message, all in one
 *    round (parallel calls). `tool_choice: "required"` calls all of them when none is named; a
 *    named `tool_choice` calls that one. Arguments are generated from each tool's JSON Schema
 *    (see {@link sample}).
 *    If the latest user message contains `[rounds:2]`, it calls them again in the second round
 *    (two rounds of tool calls, then the reply), so that a run can be made to wait for tool outputs
 *    twice.
 * 3. Otherwise it replies with text: `You said: <latest user message>`, or, after tool outputs,
 *    `<name> returned <output>` for each call, joined with `; `.
 *
 * A streamed run sends the answer in pieces. A model may give them (`chunks`); the scripted model
 * leaves them to the default cut, {@link streamPieces}: the reply word by word, each call's
 * arguments a few characters at a time.
 *
 * @since 0.1.0
 */
import type { Message } from "effect-assistants/Message"
import type { ResponseFormat, ToolChoice } from "effect-assistants/Tool"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * A function the run may call.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionSpec {
  readonly name: string
  readonly description?: string | undefined
  readonly parameters?: { readonly [key: string]: unknown } | undefined
  readonly strict?: boolean | null | undefined
}

/**
 * A tool output submitted in this run, with the call it answers.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolOutput {
  readonly name: string
  readonly arguments: string
  readonly output: string
  /** The call's id, as the run's `required_action` gave it (absent from older callers). */
  readonly callId?: string | undefined
  /** The turn that asked for the call (calls of one turn went to the model together). */
  readonly round?: number | undefined
}

/**
 * What the model sees for one turn.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  readonly model: string
  readonly instructions: string
  readonly functions: ReadonlyArray<FunctionSpec>
  readonly toolChoice: ToolChoice | null
  /** The thread, oldest first. */
  readonly messages: ReadonlyArray<Message>
  /** Outputs submitted in this run so far, in call order. */
  readonly toolOutputs: ReadonlyArray<ToolOutput>
  /** 0 for the first turn of a run, then one more after each round of tool outputs. */
  readonly round: number
  /** The run's sampling settings and limits (absent: the upstream's defaults). */
  readonly temperature?: number | null | undefined
  readonly topP?: number | null | undefined
  readonly responseFormat?: ResponseFormat | null | undefined
  readonly parallelToolCalls?: boolean | undefined
  /** Output tokens this turn may still use (the run's `max_completion_tokens` less earlier turns). */
  readonly maxCompletionTokens?: number | null | undefined
  /**
   * Called with each piece of reply text as the upstream sends it, in order, before `respond`
   * returns; a streamed run publishes each as `thread.message.delta` at once. A model that does
   * not stream never calls it, and the run streams the final text in pieces instead.
   */
  readonly onText?: ((piece: string) => Effect.Effect<void>) | undefined
  /**
   * Called with each piece of a function call as the upstream sends it, in order, before
   * `respond` returns; a streamed run publishes each as `thread.run.step.delta` at once. A model
   * that does not stream its calls never calls it, and the run streams the finished calls in
   * pieces instead (per call: a call with no piece sent live is cut afterwards).
   */
  readonly onToolCall?: ((piece: ToolCallPiece) => Effect.Effect<void>) | undefined
}

/**
 * A piece of a function call as it arrives from the upstream. A call's first piece names it;
 * the pieces of a call, joined, are the start of (at the end, all of) its `arguments`. The run
 * gives the call its id (the ids of `required_action` are the server's own), so a piece has none.
 *
 * @since 0.1.0
 * @category streaming
 */
export interface ToolCallPiece {
  /** The call's position in the `calls` of the turn's `ToolCalls` output. */
  readonly index: number
  /** The function's name, on the call's first piece only. */
  readonly name?: string | undefined
  /** The next piece of the call's arguments (empty on a first piece that only names the call). */
  readonly arguments: string
}

/**
 * Token counts of one turn, as the upstream reported them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly promptTokens: number
  readonly completionTokens: number
}

/**
 * What the model decides.
 *
 * @since 0.1.0
 * @category models
 */
export type Output =
  & (
    | {
      readonly _tag: "Reply"
      readonly text: string
      /**
       * The pieces a streamed run sends the text in (`thread.message.delta`), in order; joined, they
       * are `text`. Absent: the text in one piece.
       */
      readonly chunks?: ReadonlyArray<string> | undefined
    }
    | { readonly _tag: "ToolCalls"; readonly calls: ReadonlyArray<ToolCall> }
    | {
      readonly _tag: "Fail"
      readonly code: "server_error" | "rate_limit_exceeded" | "invalid_prompt"
      readonly message: string
    }
    | { readonly _tag: "Incomplete"; readonly reason: "max_completion_tokens" | "max_prompt_tokens" }
  )
  & {
    /** The upstream's counts for this turn; absent, the run estimates them from the text. */
    readonly usage?: Usage | undefined
  }

/**
 * One function call the model asks for.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCall {
  readonly name: string
  readonly arguments: string
  /**
   * The pieces a streamed run sends the arguments in (`thread.run.step.delta`); joined, they are
   * `arguments`. Absent: the arguments in one piece.
   */
  readonly chunks?: ReadonlyArray<string> | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Model extends Context.Tag("effect-assistants/server/Model")<Model, {
  readonly respond: (input: Input) => Effect.Effect<Output>
}>() {}

/**
 * A sample value of a JSON Schema: `const`, then `default`, then the first `enum` or `examples`
 * value, then by type (strings `"sample <property>"`, numbers the minimum or 1, booleans true,
 * arrays of `minItems` or one sample item, objects with every property); `anyOf`/`oneOf` take
 * their first branch.
 *
 * @since 0.1.0
 * @category sampling
 */
export const sample = (schema: unknown, name = "value", depth = 0, root: unknown = schema): unknown => {
  if (schema === null || typeof schema !== "object" || depth > 8) return null
  let s = schema as Record<string, any>
  if (typeof s.$ref === "string" && s.$ref.startsWith("#/")) {
    // local references, such as the `$defs` JSONSchema.make emits
    let target: any = root
    for (const key of s.$ref.slice(2).split("/")) target = target?.[key]
    if (target === undefined) return null
    s = target
  }
  if ("const" in s) return s.const
  if ("default" in s) return s.default
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]
  const branch = s.anyOf ?? s.oneOf ?? s.allOf
  if (Array.isArray(branch) && branch.length > 0) return sample(branch[0], name, depth + 1, root)
  const type = Array.isArray(s.type) ? s.type.find((t: unknown) => t !== "null") ?? "null" : s.type
  switch (type) {
    case "string":
      return `sample ${name}`
    case "integer":
      return typeof s.minimum === "number" ? Math.ceil(s.minimum) : 1
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 1
    case "boolean":
      return true
    case "null":
      return null
    case "array": {
      const n = typeof s.minItems === "number" && s.minItems > 0 ? s.minItems : 1
      return Array.from({ length: n }, () => sample(s.items ?? {}, name, depth + 1, root))
    }
    default: {
      const out: Record<string, unknown> = {}
      const properties = s.properties && typeof s.properties === "object" ? s.properties : {}
      for (const [key, value] of Object.entries(properties)) out[key] = sample(value, key, depth + 1, root)
      return out
    }
  }
}

/**
 * Text cut as the scripted model streams it: `"words"` into words, each with the whitespace after
 * it (leading whitespace stays with the first); `n` (a number) into pieces of `n` characters,
 * never inside a character made of two UTF-16 units. Joined, the pieces are the text; an empty
 * text has none.
 *
 * @since 0.1.0
 * @category streaming
 */
export const pieces = (text: string, by: "words" | number): Array<string> => {
  if (text === "") return []
  if (by === "words") return text.split(/(?<=\s)(?=\S)/)
  const out: Array<string> = []
  let piece = ""
  let n = 0
  for (const char of text) {
    piece += char
    if (++n === by) {
      out.push(piece)
      piece = ""
      n = 0
    }
  }
  if (piece !== "") out.push(piece)
  return out
}

/**
 * The pieces a streamed run sends an answer in: the model's own `chunks`, else the reply's words
 * and each call's arguments 8 characters at a time.
 *
 * @since 0.1.0
 * @category streaming
 */
export const streamPieces = (
  answer: { readonly text: string; readonly chunks?: ReadonlyArray<string> | undefined } | ToolCall
): ReadonlyArray<string> =>
  answer.chunks ?? ("text" in answer ? pieces(answer.text, "words") : pieces(answer.arguments, 8))

const textOf = (message: Message): string =>
  message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("")

const latestUserText = (messages: ReadonlyArray<Message>): string => {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === "user") return textOf(messages[i])
  }
  return ""
}

const chooseCalls = (input: Input, text: string): ReadonlyArray<FunctionSpec> => {
  const choice = input.toolChoice
  if (choice === "none" || input.functions.length === 0) return []
  if (choice !== null && typeof choice === "object" && choice.type === "function" && choice.function) {
    const named = choice.function.name
    return input.functions.filter((f) => f.name === named)
  }
  const mentioned = input.functions.filter((f) => text.includes(f.name))
  if (mentioned.length > 0) return mentioned
  return choice === "required" ? input.functions : []
}

/**
 * The deterministic scripted model described in the module comment: `[fail]` fails the run,
 * `[incomplete]` ends it incomplete, the function tools named in the latest user message are
 * called in round 0 (and again in round 1 when the message contains `[rounds:2]`), and otherwise
 * it replies.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scripted: Model["Type"] = {
  respond: (input) =>
    Effect.sync((): Output => {
      const text = latestUserText(input.messages)
      if (text.includes("[fail]")) {
        return { _tag: "Fail", code: "server_error", message: "The scripted model was asked to fail." }
      }
      if (text.includes("[incomplete]")) {
        return { _tag: "Incomplete", reason: "max_completion_tokens" }
      }
      if (input.round === 0 || (input.round === 1 && text.includes("[rounds:2]"))) {
        const calls = chooseCalls(input, text)
        if (calls.length > 0) {
          return {
            _tag: "ToolCalls",
            calls: calls.map((f) => ({
              name: f.name,
              arguments: JSON.stringify(sample(f.parameters ?? { type: "object" }))
            }))
          }
        }
      }
      if (input.toolOutputs.length > 0) {
        return { _tag: "Reply", text: input.toolOutputs.map((o) => `${o.name} returned ${o.output}`).join("; ") }
      }
      return { _tag: "Reply", text: `You said: ${text}` }
    })
}

/**
 * The scripted model as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerScripted: Layer.Layer<Model> = Layer.succeed(Model, scripted)
