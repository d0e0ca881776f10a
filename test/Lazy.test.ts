import { assert, describe, it } from "@effect/vitest"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import * as esbuild from "esbuild"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import * as Package from "../src/index.js"
import { checkedEffectVersions } from "../src/schema/internal/effectVersions.js"
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

  it("new, calls and subclasses answer as the class does", () => {
    class Point extends Schema.Class<Point>("Point")({ x: Schema.Number }) {
      get double() {
        return this.x * 2
      }
    }
    const P = lazy(() => Point)
    const p = new P({ x: 2 })
    assert.instanceOf(p, Point)
    assert.instanceOf(p, P)
    assert.strictEqual(p.double, 4)
    assert.strictEqual(p.constructor, Point)
    assert.throws(() => new P({ x: "2" as unknown as number }))
    // a class called without `new` throws, the stand-in too
    assert.throws(() => (P as unknown as (u: unknown) => unknown)({ x: 1 }))
    class Labelled extends P {
      get label() {
        return `(${this.x})`
      }
    }
    const l = new Labelled({ x: 3 })
    assert.instanceOf(l, Labelled)
    assert.instanceOf(l, Point)
    assert.strictEqual(l.label, "(3)")
    assert.strictEqual(l.double, 6)
    // decoding makes instances of the class
    assert.instanceOf(Schema.decodeUnknownSync(P)({ x: 1 }), Point)
  })

  it("a struct rebuilt from a stand-in's fields decodes as the stand-in", () => {
    const S = lazy(Point)
    // a new `Struct` is a new AST, for stand-ins and built schemas alike; what it decodes is the same
    assert.notStrictEqual(Schema.Struct(Point().fields).ast, Point().ast)
    const input = { x: 1, y_: 2 }
    assert.deepStrictEqual(Schema.decodeUnknownSync(Schema.Struct(S.fields))(input), Schema.decodeUnknownSync(S)(input))
  })

  it("a bundler drops the schemas a program does not reach (the call sites are pure)", async () => {
    const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url))
    const result = await esbuild.build({
      stdin: {
        contents: `import { Usage } from ${JSON.stringify(src("schema/Common.ts"))}
import { knownStatuses } from ${JSON.stringify(src("schema/Run.ts"))}
console.log(Usage, knownStatuses)`,
        resolveDir: fileURLToPath(new URL(".", import.meta.url)),
        loader: "ts"
      },
      bundle: true,
      minify: true,
      write: false,
      format: "esm",
      platform: "neutral",
      external: ["effect", "effect/*"],
      logLevel: "silent"
    })
    const text = result.outputFiles[0].text
    assert.include(text, "prompt_tokens")
    // the request schemas' own strings: present only if their schemas were kept
    for (const kept of ["CreateRunParams", "metadata has at most 16 keys", "thread.run.step", "max_prompt_tokens"]) {
      assert.notInclude(text, kept)
    }
  })

  it("was checked against the installed effect", () => {
    // the stand-in answers as a schema class because of how those classes are built; a release
    // outside the checked range must be checked again with this file, then the range widened
    const { version } = createRequire(import.meta.url)("effect/package.json") as { version: string }
    const n = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number)
    const cmp = (a: string, b: string) => {
      const [x, y] = [n(a), n(b)]
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]
    }
    assert.isTrue(
      cmp(version, checkedEffectVersions.from) >= 0 && cmp(version, checkedEffectVersions.below) < 0,
      `effect ${version} is outside [${checkedEffectVersions.from}, ${checkedEffectVersions.below})`
    )
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
