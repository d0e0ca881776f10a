/**
 * Function tools declared once: a name, a description, an effect Schema for the arguments and a
 * handler. The definition sent to the API is derived from the schema (`JSONSchema.make`), and the
 * model's `arguments` string is decoded with the same schema before the handler sees it.
 *
 * This module also re-exports the tool schemas (`Tool.Tool`, `Tool.ToolChoice`,
 * `Tool.ToolResources`, ...).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { FunctionTool } from "../schema/Tool.js"
import { errorOutput } from "./internal/toolOutput.js"

/**
 * The tool schemas (`Tool.Tool`, `Tool.FunctionTool`, `Tool.ToolChoice`, ...).
 *
 * @since 0.1.0
 */
export * from "../schema/Tool.js"

/**
 * The schemas of the resources tools read (`Tool.ToolResources`, `Tool.ToolResourcesParam`).
 *
 * @since 0.1.0
 */
export * from "../schema/ToolResources.js"

/**
 * A declared function tool.
 *
 * @since 0.1.0
 * @category models
 */
export interface Handler<in out A, out E = never, out R = never> {
  readonly name: string
  readonly description?: string | undefined
  /** The definition to send in `tools` when creating an assistant or run. */
  readonly definition: FunctionTool
  /**
   * Decodes the model's arguments and runs the handler. Arguments that do not decode give an
   * error output (a plain string) at once, so the loop answers the model instead of crashing.
   */
  readonly call: (argumentsJson: string) => Effect.Effect<string, E, R> | string
  /** @internal */
  readonly _A?: (_: A) => void
}

/**
 * Any declared tool.
 *
 * @since 0.1.0
 * @category models
 */
export type Any = Handler<any, any, any>

/**
 * Declares a function tool. The handler's result is sent as the output: a string as is, anything
 * else as JSON.
 *
 * @example
 * ```ts
 * import { Tool } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 * import * as Schema from "effect/Schema"
 *
 * // the definition sent to the API is derived from the schema; the model's arguments are decoded
 * // with it before the handler sees them
 * const weather = Tool.make({
 *   name: "get_weather",
 *   description: "Current weather in a city",
 *   parameters: Schema.Struct({ city: Schema.String, unit: Schema.optional(Schema.Literal("c", "f")) }),
 *   handler: ({ city, unit }) => Effect.succeed({ city, temperature: 21, unit: unit ?? "c" })
 * })
 *
 * console.log(weather.definition.function.parameters)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I, E = never, R = never>(options: {
  readonly name: string
  readonly description?: string | undefined
  readonly parameters: Schema.Schema<A, I, never>
  readonly handler: (args: A) => Effect.Effect<unknown, E, R>
  /** Sets `strict` on the definition (structured outputs). */
  readonly strict?: boolean | undefined
}): Handler<A, E, R> => {
  const { $schema: _, ...parameters } = JSONSchema.make(options.parameters) as unknown as Record<string, unknown>
  const decode = Schema.decodeUnknownEither(options.parameters)
  return {
    name: options.name,
    description: options.description,
    definition: {
      type: "function",
      function: {
        name: options.name,
        ...(options.description !== undefined ? { description: options.description } : {}),
        parameters,
        ...(options.strict !== undefined ? { strict: options.strict } : {})
      }
    },
    call: (argumentsJson) => {
      let json: unknown
      try {
        json = argumentsJson.trim() === "" ? {} : JSON.parse(argumentsJson)
      } catch {
        return errorOutput(`the arguments of ${options.name} are not valid JSON`)
      }
      const args = decode(json)
      if (args._tag === "Left") {
        return errorOutput(
          `invalid arguments for ${options.name}: ${ParseResult.TreeFormatter.formatErrorSync(args.left)}`
        )
      }
      return Effect.map(
        options.handler(args.right),
        (out) => (typeof out === "string" ? out : JSON.stringify(out) ?? "")
      )
    }
  }
}
