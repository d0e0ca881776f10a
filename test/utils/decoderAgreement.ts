import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { isDeepStrictEqual } from "node:util"
import { AnyObject, Assistant, Common, Message, Run, RunStep, Thread } from "../../src/index.js"
import * as Decoder from "../../src/schema/Decoder.js"
import * as fx from "./fixtures.js"

/** The response schemas the agreement suite sweeps. */
export const schemas: ReadonlyArray<readonly [string, Schema.Schema<any, any>]> = [
  ["Assistant", Assistant.Assistant],
  ["Thread", Thread.Thread],
  ["Message", Message.Message],
  ["Run", Run.Run],
  ["RunStep", RunStep.RunStep],
  ["ListPage<Run>", Common.ListPage(Run.Run)],
  ["ListPage<Message>", Common.ListPage(Message.Message)],
  ["AssistantDeleted", Assistant.AssistantDeleted]
]

/**
 * The compiled path agrees with the standard decoder: the same value (and key order), or it
 * declines; it never accepts what the standard decoder rejects.
 */
export const agree = (schema: Schema.Schema<any, any>, input: unknown): "same" | "declined" | "rejected" => {
  const standard = Schema.decodeUnknownEither(schema)(input)
  const fast = Decoder.compile(schema.ast)(input)
  if (Either.isLeft(standard)) {
    assert.strictEqual(
      fast,
      Decoder.DECLINE,
      `accepted what the standard decoder rejects: ${JSON.stringify(input)?.slice(0, 300)}`
    )
    return "rejected"
  }
  if (fast === Decoder.DECLINE) return "declined"
  assert.isTrue(isDeepStrictEqual(fast, standard.right), `different values for ${JSON.stringify(input)?.slice(0, 300)}`)
  assert.strictEqual(JSON.stringify(fast), JSON.stringify(standard.right), "different key order")
  return "same"
}

/**
 * The compiled encoder agrees with the standard one: the same value (and key order), or it
 * declines; it never accepts what the standard encoder rejects.
 */
export const agreeEncoding = (schema: Schema.Schema<any, any>, value: unknown): "same" | "declined" | "rejected" => {
  const standard = Schema.encodeUnknownEither(schema)(value)
  const fast = Decoder.compileEncoder(schema.ast)(value)
  if (Either.isLeft(standard)) {
    assert.strictEqual(fast, Decoder.DECLINE, `accepted what the standard encoder rejects: ${String(standard.left)}`)
    return "rejected"
  }
  if (fast === Decoder.DECLINE) return "declined"
  assert.isTrue(
    isDeepStrictEqual(fast, standard.right),
    `different wire values for ${JSON.stringify(value)?.slice(0, 300)}`
  )
  assert.strictEqual(JSON.stringify(fast), JSON.stringify(standard.right), "different key order")
  return "same"
}

/** Whether an own key named `__proto__` is anywhere in `value`. */
export const hasProtoKey = (value: unknown): boolean =>
  value !== null && typeof value === "object" &&
  (Object.hasOwn(value, "__proto__") || Object.values(value).some(hasProtoKey))

/**
 * Damage to a wire body, steered by `choices` (numbers in [0, 1), consumed in turn), so that
 * fast-check shrinks a failing case to the fewest and simplest changes: a key dropped, a value
 * swapped for junk, an array cut or grown.
 */
export const damage = (value: unknown, choices: ReadonlyArray<number>): unknown => {
  let i = 0
  const next = () => choices[i++ % choices.length]
  const go = (value: unknown, depth: number): unknown => {
    if (depth > 12) return value
    if (Array.isArray(value)) {
      if (value.length === 0 || next() < 0.2) return next() < 0.5 ? "junk" : [...value, { type: "x" }]
      const at = Math.floor(next() * value.length)
      return value.map((v, j) => (j === at ? go(v, depth + 1) : v))
    }
    if (value !== null && typeof value === "object") {
      const keys = Object.keys(value)
      if (keys.length === 0) return { extra: 1 }
      const key = keys[Math.floor(next() * keys.length)]
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
      const r = next()
      if (r < 0.25) delete copy[key]
      else if (r < 0.45) copy[key] = [null, 1, 1.5, "s", true, {}, []][Math.floor(next() * 7)]
      else copy[key] = go(copy[key], depth + 1)
      return copy
    }
    return [null, 0, -1, 2.5, "", "other", false, {}][Math.floor(next() * 8)]
  }
  return go(value, 0)
}

export const choices = FastCheck.array(FastCheck.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
  minLength: 1,
  maxLength: 16
})

/**
 * The compiled path agrees with the standard decoder on the fixtures, the upstream examples, and
 * generated bodies, valid and damaged (properties: a failure shrinks to a small body).
 */
export const agreement = (title: string) =>
  describe(title, () => {
    it("agrees with the standard decoder on the fixtures and the upstream examples", () => {
      const { examples } = JSON.parse(
        readFileSync(new URL("../contract/doc-examples.json", import.meta.url), "utf8")
      ) as { examples: Record<string, unknown> }
      for (
        const body of [
          fx.assistant,
          fx.thread,
          fx.message,
          fx.run,
          fx.step,
          fx.page([fx.run]),
          ...Object.values(examples)
        ]
      ) {
        assert.strictEqual(agree(AnyObject.AnyObject, body), "same")
      }
    })

    for (const [name, schema] of schemas) {
      const encode = Schema.encodeEither(schema)
      it.prop(
        `agrees on generated ${name} bodies, valid and damaged`,
        [Arbitrary.make(schema), choices],
        ([value, steer]) => {
          // generated unknown members can carry raw JSON that does not encode back; skip those
          const encoded = encode(value)
          FastCheck.pre(Either.isRight(encoded))
          const wire = Either.getOrThrow(encoded)
          const agreed = agree(schema, wire)
          // a record key named `__proto__` is the standard path's (see Decoder's index signatures)
          if (!hasProtoKey(wire)) assert.strictEqual(agreed, "same", `declined a valid ${name}`)
          agree(schema, damage(wire, steer))
        },
        { fastCheck: { numRuns: 100 } }
      )
    }
  })
