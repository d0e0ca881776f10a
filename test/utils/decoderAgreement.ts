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

/** The compiled path agrees with the standard decoder: same value, or it declines. */
const agree = (schema: Schema.Schema<any, any>, input: unknown) => {
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

/** Random damage to a wire body: a key dropped, a value swapped for junk, a type changed. */
const mutate = (value: unknown, rng: () => number): unknown => {
  if (Array.isArray(value)) {
    if (value.length === 0 || rng() < 0.2) return rng() < 0.5 ? "junk" : [...value, { type: "x" }]
    const i = Math.floor(rng() * value.length)
    return value.map((v, j) => (j === i ? mutate(v, rng) : v))
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value)
    if (keys.length === 0) return { extra: 1 }
    const key = keys[Math.floor(rng() * keys.length)]
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    const r = rng()
    if (r < 0.25) delete copy[key]
    else if (r < 0.45) copy[key] = [null, 1, 1.5, "s", true, {}, []][Math.floor(rng() * 7)]
    else copy[key] = mutate(copy[key], rng)
    return copy
  }
  return [null, 0, -1, 2.5, "", "other", false, {}][Math.floor(rng() * 8)]
}

/**
 * The compiled path agrees with the standard decoder on the fixtures, the upstream examples, and
 * generated bodies, valid and damaged.
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
      it(`agrees on generated ${name} bodies, valid and damaged`, () => {
        const encode = Schema.encodeEither(schema)
        const values = FastCheck.sample(Arbitrary.make(schema), { numRuns: 150, seed: 11 })
        let seed = 1
        const rng = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
        const tally: Record<string, number> = {}
        let valid = 0
        for (const value of values) {
          // generated unknown members can carry raw JSON that does not encode back; skip those
          const encoded = encode(value)
          if (Either.isLeft(encoded)) continue
          valid++
          const wire = encoded.right
          const outcome = agree(schema, wire)
          assert.strictEqual(outcome, "same", `declined a valid ${name}`)
          for (let k = 0; k < 4; k++) {
            const o = agree(schema, mutate(wire, rng))
            tally[o] = (tally[o] ?? 0) + 1
          }
        }
        assert.isAbove(valid, 10)
        // the damage did reach both outcomes
        assert.isAbove(tally.rejected ?? 0, 0)
      })
    }
  })
