import { assert, describe, it } from "@effect/vitest"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import * as Package from "../src/index.js"
import { lazy } from "../src/schema/internal/lazy.js"
import * as fx from "./utils/fixtures.js"

const Point = () =>
  Schema.Struct({ x: Schema.Number, y: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("y_")) })

describe("lazy", () => {
  it("builds nothing until the schema is read, then builds it once", () => {
    let builds = 0
    const S = lazy(() => {
      builds++
      return Point()
    })
    const Outer = lazy(() => Schema.Struct({ point: S }))
    assert.strictEqual(builds, 0)
    const decode = Schema.decodeUnknownSync(Outer)
    assert.strictEqual(builds, 1)
    assert.deepStrictEqual(decode({ point: { x: 1, y_: 2 } }), { point: { x: 1, y: 2 } })
    assert.strictEqual(S.ast, S.ast)
    assert.deepStrictEqual(Object.keys(S.fields), ["x", "y"])
    assert.strictEqual(builds, 1)
  })

  it("answers as the schema it stands for", () => {
    const real = Point()
    const S = lazy(Point)
    assert.isTrue(Schema.isSchema(S))
    assert.strictEqual(typeof S, "function")
    assert.strictEqual(String(S), String(real))
    assert.deepStrictEqual(JSONSchema.make(S), JSONSchema.make(real))
    assert.deepStrictEqual(Reflect.ownKeys(S), Reflect.ownKeys(real))
    assert.deepStrictEqual(Object.keys(S), Object.keys(real))
    // a schema class extends the class of its AST, as the built one does
    assert.strictEqual(Object.getPrototypeOf(S).ast, S.ast)
    assert.strictEqual(Object.getPrototypeOf(real).ast, real.ast)
    // the class's non-configurable `prototype` is reported, as configurable (the one answer a proxy may give)
    const prototype = Object.getOwnPropertyDescriptor(S, "prototype")
    assert.strictEqual(prototype?.value, S.prototype)
    assert.isTrue(prototype?.configurable)
    assert.isTrue("ast" in S && "fields" in S && !("nope" in S))
    // what the schema's own methods build is a plain schema
    assert.deepStrictEqual(S.make({ x: 1, y: 2 }), { x: 1, y: 2 })
    assert.deepStrictEqual(Schema.decodeUnknownSync(S.pipe(Schema.pick("x")))({ x: 1, y_: 2 }), { x: 1 })
    assert.strictEqual(String(S.annotations({ identifier: "Point" })), "Point")
  })

  it("every schema the package exports reads, decodes and derives as a schema", () => {
    let schemas = 0
    for (const [name, module] of Object.entries(Package)) {
      for (const [key, value] of Object.entries(module)) {
        if (!Schema.isSchema(value)) continue
        const schema = value as Schema.Schema<unknown, unknown>
        schemas++
        const label = `${name}.${key}`
        assert.strictEqual(typeof schema, "function", label)
        assert.strictEqual(schema.ast, schema.ast, label)
        assert.notStrictEqual(Object.getPrototypeOf(schema), Function.prototype, label)
        assert.doesNotThrow(() => Schema.decodeUnknownEither(schema)(undefined), label)
        assert.doesNotThrow(() => Schema.Array(schema), label)
        for (const own of Reflect.ownKeys(schema)) {
          const descriptor = Object.getOwnPropertyDescriptor(schema, own)
          assert.isDefined(descriptor, `${label}.${String(own)}`)
        }
      }
    }
    assert.isAbove(schemas, 50)
    // and the objects decode as before
    assert.strictEqual(Schema.decodeUnknownSync(Package.Run.Run)(fx.run).id, fx.run.id)
    assert.deepStrictEqual(
      Schema.decodeUnknownSync(Schema.Struct(Package.Run.Run.fields))(fx.run),
      Schema.decodeUnknownSync(Package.Run.Run)(fx.run)
    )
  })
})
