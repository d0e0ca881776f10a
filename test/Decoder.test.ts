import { assert, describe, it } from "@effect/vitest"
import { Message, Tool } from "../src/index.js"
import * as Decoder from "../src/schema/Decoder.js"
import { agreement, schemas } from "./utils/decoderAgreement.js"

agreement("the compiled decoder")

describe("code generation", () => {
  it("gives every response schema a generated decoder", () => {
    for (const [name, schema] of schemas) {
      assert.isTrue(String(Decoder.compile(schema.ast)).startsWith("function(x){"), `${name} is not generated`)
    }
  })

  it("generates unions, with effect's own candidate order (ParseResult.getSearchTree)", () => {
    // without that function (a future effect), unions would fall back to the standard decoder
    for (const union of [Message.ContentPart, Message.Annotation, Tool.Tool]) {
      assert.include(String(Decoder.compile(union.ast)), "switch(String(x[\"type\"]))")
    }
  })
})
