/**
 * Validates the events of a streamed run against the official stream contract (vendored,
 * structure only, in test/contract): `x-event-names` gives the schema of each event's `data`.
 * `done` carries the text `[DONE]`, not JSON.
 */
import Ajv2020 from "ajv/dist/2020.js"
import { readFileSync } from "node:fs"
import { parse } from "yaml"

interface Contract {
  readonly components: { readonly schemas: Record<string, unknown> }
  readonly "x-event-names": ReadonlyArray<{ readonly event: string; readonly data: { readonly $ref?: string } }>
}

const contract = parse(
  readFileSync(new URL("../contract/assistants-v2-stream.contract.yaml", import.meta.url), "utf8")
) as Contract

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: false })
ajv.addFormat("unixtime", true)
ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:/i)
ajv.addSchema({ $id: "stream", components: contract.components })

/** The 25 event names the contract lists. */
export const eventNames = contract["x-event-names"].map((e) => e.event)

const validators = new Map(
  contract["x-event-names"].flatMap((e) =>
    e.data.$ref === undefined ? [] : [[e.event, ajv.compile({ $ref: `stream${e.data.$ref}` })] as const]
  )
)

/** The contract violation of one event (its wire name and its raw `data` text), if any. */
export const check = (event: string, data: string): string | undefined => {
  if (event === "done") return data === "[DONE]" ? undefined : `done: data is ${JSON.stringify(data)}, not [DONE]`
  const validate = validators.get(event)
  if (validate === undefined) return `${event}: not an event of the contract`
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch {
    return `${event}: data is not JSON`
  }
  return validate(json) ? undefined : `${event}: ${ajv.errorsText(validate.errors)} in ${data.slice(0, 300)}`
}
