/**
 * Validates response bodies against the official Assistants v2 contract (vendored, structure
 * only, in test/contract), with one documented overlay: list pages' `first_id` and `last_id` may
 * be null (an empty page has neither; the contract types them as non-null strings).
 */
import Ajv2020 from "ajv/dist/2020.js"
import { readFileSync } from "node:fs"
import { parse } from "yaml"

interface Contract {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >
  components: { schemas: Record<string, any> }
}

const contract = parse(
  readFileSync(new URL("../contract/assistants-v2.contract.yaml", import.meta.url), "utf8")
) as Contract

// the overlay
for (const [name, schema] of Object.entries(contract.components.schemas)) {
  if (/^List\w+Response$/.test(name) && schema.properties?.first_id) {
    schema.properties.first_id = { type: ["string", "null"] }
    schema.properties.last_id = { type: ["string", "null"] }
  }
}

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: false })
ajv.addFormat("unixtime", true)
ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:/i)
ajv.addSchema({ $id: "contract", components: contract.components })

const routes = Object.entries(contract.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, operation]) => {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`)
    const schema = operation.responses["200"]?.content?.["application/json"]?.schema as { $ref?: string } | undefined
    const validate = schema?.$ref ? ajv.compile({ $ref: `contract${schema.$ref}` }) : undefined
    return { method: method.toUpperCase(), pattern, template, validate }
  })
  // a literal segment wins over a parameter: /threads/runs is not /threads/{thread_id}
).sort((a, b) => a.template.split("{").length - b.template.split("{").length)

const validateError = ajv.compile({ $ref: "contract#/components/schemas/ErrorResponse" })

/**
 * The contract violations of one response, if any; `path` is relative to the base URL (no /v1).
 */
export const check = (method: string, path: string, status: number, body: unknown): string | undefined => {
  if (status >= 400) {
    return validateError(body)
      ? undefined
      : `${method} ${path} ${status}: error body ${ajv.errorsText(validateError.errors)}`
  }
  const route = routes.find((r) => r.method === method && r.pattern.test(path))
  if (route === undefined) return `${method} ${path}: no such operation in the contract`
  if (route.validate === undefined) return `${method} ${route.template}: no response schema`
  return route.validate(body)
    ? undefined
    : `${method} ${path} ${status}: ${ajv.errorsText(route.validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`
}
