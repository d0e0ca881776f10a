/**
 * The depth scan against the parsed value's depth, for any JSON text (strings with brackets,
 * quotes and escapes included), and against texts far deeper than any stack.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import * as JsonDepth from "../src/JsonDepth.js"

/** The depth of a parsed value, recursively: the definition the scan must agree with. */
const depthOf = (value: unknown): number =>
  value !== null && typeof value === "object"
    ? 1 + Math.max(0, ...Object.values(value as object).map(depthOf))
    : 0

const tricky = fc.constantFrom("[", "]", "{", "}", "\"", "\\", "\\\"[", "\",\"", "a\"b{", "\u2028")

describe("JsonDepth.deeperThan", () => {
  it.prop(
    "agrees with the depth of the parsed value, at every limit",
    [fc.jsonValue({ maxDepth: 8, stringUnit: fc.oneof(fc.string({ maxLength: 1 }), tricky) }), fc.nat(10)],
    ([value, max]) => {
      const text = JSON.stringify(value)
      const found = JsonDepth.deeperThan(text, max)
      assert.strictEqual(found === undefined, depthOf(value) <= max, text)
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "the path it reports leads, in the parsed value, to the first container past the limit",
    [fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 6 })],
    ([value, max]) => {
      const path = JsonDepth.deeperThan(JSON.stringify(value), max)
      if (path === undefined) return
      assert.strictEqual(path.length, max)
      let at: any = value
      for (const step of path) at = at[step]
      // the path runs through the `max` open containers to the one that would be one too many
      assert.isTrue(at !== null && typeof at === "object")
    },
    { fastCheck: { numRuns: 500 } }
  )

  it("a million levels: scanned without recursion", () => {
    const text = `{"tools":[{"function":{"parameters":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}}]}`
    const path = JsonDepth.deeperThan(text, 64)
    assert.deepStrictEqual(path?.slice(0, 4), ["tools", 0, "function", "parameters"])
    assert.strictEqual(JsonDepth.paramOf(path!), "tools[0].function.parameters")
  })

  it("paramOf: cut at the first free-form value, else the top-level field", () => {
    assert.strictEqual(JsonDepth.paramOf(["metadata", "k", 0]), "metadata")
    assert.strictEqual(JsonDepth.paramOf(["messages", 2, "metadata", "a"]), "messages[2].metadata")
    assert.strictEqual(
      JsonDepth.paramOf(["response_format", "json_schema", "schema", "properties"]),
      "response_format.json_schema.schema"
    )
    assert.strictEqual(JsonDepth.paramOf(["content", 0, "text", "x"]), "content")
    assert.strictEqual(JsonDepth.paramOf([]), null)
    assert.strictEqual(JsonDepth.paramOf([0, 1]), null)
  })
})
