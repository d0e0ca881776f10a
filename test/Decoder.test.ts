import { assert, describe, it } from "@effect/vitest"
import * as Decoder from "../src/schema/Decoder.js"
import { agreement, schemas } from "./utils/decoderAgreement.js"

agreement("the compiled decoder")

describe("code generation", () => {
  it("gives every response schema a generated decoder", () => {
    for (const [name, schema] of schemas) {
      assert.isTrue(String(Decoder.compile(schema.ast)).startsWith("function(x){"), `${name} is not generated`)
    }
  })
})
