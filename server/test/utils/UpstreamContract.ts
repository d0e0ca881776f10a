/**
 * Validates what passes between our server and a model upstream against the vendored upstream
 * contracts (server/test/contract: Chat Completions and Responses, pruned from the official
 * OpenAPI document; see /work/shared/openapi/SOURCE-upstream.md), and, for Anthropic, of which no
 * contract is vendored, against the schemas `@effect/ai-anthropic` generated from Anthropic's own
 * OpenAPI document (its public `Generated` and `AnthropicClient` modules).
 */
import * as AnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import * as Generated from "@effect/ai-anthropic/Generated"
import Ajv2020 from "ajv/dist/2020.js"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { parse } from "yaml"

const load = (file: string) =>
  parse(readFileSync(new URL(`../contract/${file}`, import.meta.url), "utf8")) as {
    readonly components: { readonly schemas: Record<string, unknown> }
  }

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: false })
ajv.addFormat("unixtime", true)
ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:/i)
ajv.addSchema({ $id: "chat", components: load("chat-completions.contract.yaml").components })
ajv.addSchema({ $id: "responses", components: load("responses.contract.yaml").components })

const validators = new Map<string, ReturnType<typeof ajv.compile>>()

const anthropic: Record<string, { schema: Schema.Schema<any, any>; fields?: ReadonlyArray<string> }> = {
  // a request with a field Anthropic does not know is rejected there ("Extra inputs are not
  // permitted"): so here too, at the top level (deeper, `input_schema` is the user's own JSON
  // Schema, of which the generated schema names only `type`, `properties` and `required`)
  BetaCreateMessageParams: {
    schema: Generated.BetaCreateMessageParams,
    fields: Object.keys(Generated.BetaCreateMessageParams.fields)
  },
  BetaMessage: { schema: Generated.BetaMessage },
  BetaErrorResponse: { schema: Generated.BetaErrorResponse },
  MessageStreamEvent: { schema: AnthropicClient.MessageStreamEvent }
}

const checkAnthropic = (name: string, value: unknown): string | undefined => {
  const entry = anthropic[name]
  if (entry === undefined) return `${name}: no such Anthropic schema`
  const extra = entry.fields !== undefined && value !== null && typeof value === "object"
    ? Object.keys(value).filter((key) => !entry.fields!.includes(key))
    : []
  if (extra.length > 0) return `${name}: fields Anthropic does not know: ${extra.join(", ")}`
  const result = Schema.decodeUnknownEither(entry.schema, { errors: "all" })(value)
  return Either.isRight(result)
    ? undefined
    : `${name}: ${ParseResult.TreeFormatter.formatErrorSync(result.left)} in ${JSON.stringify(value).slice(0, 400)}`
}

/** The violation of `value` against schema `name` of contract `contract`, if any. */
export const check = (
  contract: "chat" | "responses" | "anthropic",
  name: string,
  value: unknown
): string | undefined => {
  if (contract === "anthropic") return checkAnthropic(name, value)
  const key = `${contract}#/components/schemas/${name}`
  let validate = validators.get(key)
  if (validate === undefined) {
    validate = ajv.compile({ $ref: key })
    validators.set(key, validate)
  }
  return validate(value)
    ? undefined
    : `${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 400)}`
}
