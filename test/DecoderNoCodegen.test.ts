// Where a content security policy forbids code from strings (Cloudflare Workers, some browsers),
// `new Function` throws an `EvalError`: the decoder must fall back to the standard one, once.
import { assert, beforeAll, describe, it } from "@effect/vitest"
import * as Decoder from "../src/schema/Decoder.js"
import { agreement, schemas } from "./utils/decoderAgreement.js"

let attempts = 0

beforeAll(() => {
  const original = globalThis.Function
  globalThis.Function = new Proxy(original, {
    construct() {
      attempts++
      throw new EvalError("Code generation from strings disallowed for this context")
    }
  })
  try {
    for (const [, schema] of schemas) Decoder.compile(schema.ast)
  } finally {
    globalThis.Function = original
  }
})

describe("without code generation", () => {
  it("tries once, then leaves every schema to the standard decoder", () => {
    assert.strictEqual(attempts, 1)
    for (const [name, schema] of schemas) {
      assert.isFalse(Decoder.isGenerated(schema.ast), `${name} was generated`)
    }
  })
})

agreement("the decoder without code generation")
