import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { AnyObject } from "../src/index.js"

const { examples } = JSON.parse(
  readFileSync(new URL("./contract/doc-examples.json", import.meta.url), "utf8")
) as { examples: Record<string, unknown> }

describe("upstream documentation examples (real API shapes, some stale)", () => {
  const decode = Schema.decodeUnknownEither(AnyObject.AnyObject)
  for (const [name, body] of Object.entries(examples)) {
    it(`AnyObject decodes ${name}`, () => {
      const result = decode(body)
      assert.isTrue(Either.isRight(result), Either.isLeft(result) ? String(result.left) : "")
    })
  }
})
