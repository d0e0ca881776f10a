/**
 * Validates what passes between our server and a model upstream against the vendored upstream
 * contracts (server/test/contract: Chat Completions and Responses, pruned from the official
 * OpenAPI document; see /work/shared/openapi/SOURCE-upstream.md).
 */
import Ajv2020 from "ajv/dist/2020.js"
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

/** The violation of `value` against schema `name` of contract `contract`, if any. */
export const check = (contract: "chat" | "responses", name: string, value: unknown): string | undefined => {
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
