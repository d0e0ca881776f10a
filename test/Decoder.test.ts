import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { createRequire } from "node:module"
import { Message, Run, RunStep, Tool } from "../src/index.js"
import * as Decoder from "../src/schema/Decoder.js"
import { checkedEffectVersions } from "../src/schema/internal/effectVersions.js"
import { agree, agreeEncoding, agreement, choices, damage, hasProtoKey, schemas } from "./utils/decoderAgreement.js"
import * as fx from "./utils/fixtures.js"

agreement("the compiled decoder")

const parts = (version: string) => version.split(/[.-]/).slice(0, 3).map(Number)
const compare = (a: string, b: string) => {
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return 0
}

describe("the compiled decoder", () => {
  it("was checked against the installed effect", () => {
    // the compiled path relies on how ParseResult orders union members and applies key
    // renames: a release outside the checked range must be checked again (the agreement suite
    // above), then the range widened
    const { version } = createRequire(import.meta.url)("effect/package.json") as { version: string }
    assert.isTrue(
      compare(version, checkedEffectVersions.from) >= 0 && compare(version, checkedEffectVersions.below) < 0,
      `effect ${version} is outside [${checkedEffectVersions.from}, ${checkedEffectVersions.below})`
    )
  })

  it("leaves only the unknown-member catch-alls of every response schema to the standard decoder", () => {
    // an unknown member keeps its raw JSON through a transformation the compiler does not handle;
    // anything else handed to the standard decoder would decode at its speed, unnoticed by the
    // agreement suite
    const isUnknownMember = (ast: AST.AST) =>
      AST.isTransformation(ast) && AST.isTypeLiteral(ast.to) &&
      ast.to.propertySignatures.some((ps) =>
        ps.name === "type" && AST.isLiteral(ps.type) && ps.type.literal === "unknown"
      )
    for (const [name, schema] of schemas) {
      assert.isTrue(Decoder.isGenerated(schema.ast), name)
      for (const node of Decoder.leftToStandard(schema.ast)) {
        assert.isTrue(isUnknownMember(node), `${name}: ${String(node).slice(0, 200)}`)
      }
    }
    for (const union of [Message.ContentPart, Message.Annotation, Tool.Tool, RunStep.StepDetails]) {
      assert.isTrue(Decoder.isGenerated(union.ast), String(union))
    }
  })

  it("encodes every response schema on the compiled path but for the unknown-member catch-alls", () => {
    for (const [name, schema] of schemas) {
      assert.isTrue(Decoder.isGenerated(schema.ast, true), name)
      for (const node of Decoder.leftToStandard(schema.ast, true)) {
        assert.isTrue(
          AST.isTransformation(node) && AST.isTypeLiteral(node.to) &&
            node.to.propertySignatures.some((ps) =>
              ps.name === "type" && AST.isLiteral(ps.type) && ps.type.literal === "unknown"
            ),
          `${name}: ${String(node).slice(0, 200)}`
        )
      }
    }
  })

  for (const [name, schema] of schemas) {
    it.prop(
      `encodes generated ${name} values as the standard encoder does, valid and damaged`,
      [Arbitrary.make(schema), choices],
      ([value, steer]) => {
        // generated unknown members can carry raw JSON that does not encode: both reject those
        const agreed = agreeEncoding(schema, value)
        // a record key named `__proto__` is the standard path's (see Decoder's index signatures)
        if (!hasProtoKey(value)) assert.notStrictEqual(agreed, "declined", `declined a valid ${name}`)
        agreeEncoding(schema, damage(value, steer))
      },
      { fastCheck: { numRuns: 100 } }
    )
  }

  it("leaves a record key named __proto__ to the standard path, both ways: it never sets a prototype", () => {
    const S = Schema.Struct({ m: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
    // `JSON.parse` makes `__proto__` an own key, as a response body or a request's JSON would
    const input = JSON.parse("{\"m\":{\"a\":1,\"__proto__\":{\"polluted\":true}}}")
    assert.strictEqual(Decoder.compile(S.ast)(input), Decoder.DECLINE)
    assert.strictEqual(Decoder.compileEncoder(S.ast)(input), Decoder.DECLINE)
    // the same record without that key stays on the compiled path
    assert.strictEqual(Decoder.compile(S.ast)(JSON.parse("{\"m\":{\"a\":1}}")) === Decoder.DECLINE, false)
  })

  it("encodes through the compiled path with the standard encoder's results and errors", () => {
    const run = Schema.decodeUnknownSync(Run.Run)(fx.run)
    const encode = Decoder.encodeSync(Run.Run)
    assert.deepStrictEqual(encode(run), Schema.encodeSync(Run.Run)(run))
    assert.strictEqual(JSON.stringify(encode(run)), JSON.stringify(Schema.encodeSync(Run.Run)(run)))
    const bad = { ...run, usage: { ...run.usage!, totalTokens: 1.5 } }
    assert.throws(() => encode(bad), String(Either.getOrThrow(Either.flip(Schema.encodeEither(Run.Run)(bad)))))
  })

  it("decodes through the compiled path with the standard decoder's results and errors", () => {
    const decode = Decoder.decodeUnknown(Run.Run)
    const ok = decode(fx.run)
    assert.deepStrictEqual(ok, Schema.decodeUnknownEither(Run.Run)(fx.run))
    // a rejected body falls back to the standard decoder, so its error is the standard one
    const bad = { ...fx.run, status: 7 }
    const failed = Either.flip(decode(bad) as Either.Either<unknown, unknown>)
    const standard = Either.flip(Schema.decodeUnknownEither(Run.Run)(bad))
    assert.strictEqual(String(Either.getOrThrow(failed)), String(Either.getOrThrow(standard)))
  })

  // unions where more than one member accepts: the member ParseResult would pick must win
  const Overlapping = Schema.Union(
    Schema.Struct({ kind: Schema.Literal("a"), v: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("v_")) }),
    Schema.Struct({ v_: Schema.String }),
    Schema.Struct({ kind: Schema.Literal("a", "b"), w: Schema.optional(Schema.Number) }),
    Schema.Struct({ kind: Schema.Literal("b"), n: Schema.optionalWith(Schema.Number, { default: () => 0 }) }),
    Schema.Literal("a"),
    Schema.String
  )
  const inputs = FastCheck.oneof(
    FastCheck.record(
      {
        kind: FastCheck.constantFrom<unknown>("a", "b", "c", 1, null),
        v_: FastCheck.constantFrom<unknown>("x", 1),
        w: FastCheck.constantFrom<unknown>(1, "1"),
        n: FastCheck.constantFrom<unknown>(2, "2")
      },
      { requiredKeys: [] }
    ),
    FastCheck.constantFrom<unknown>("a", "b", 1, null, [], ["a"])
  )

  it.prop("picks the member the standard decoder picks where several accept", [inputs], ([input]) => {
    agree(Overlapping, input)
  })

  it("declines nothing valid in a union it compiles", () => {
    assert.isTrue(Decoder.isGenerated(Overlapping.ast))
    for (const input of [{ kind: "a", v_: "x" }, { v_: "x" }, { kind: "b" }, "a", "z"]) {
      assert.strictEqual(agree(Overlapping, input), "same", JSON.stringify(input))
    }
  })
})
