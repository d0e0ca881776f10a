import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"

// apart from Lazy.test.ts because the mock below holds for the whole file.
// It counts the schemas built through the constructors the schema modules use for objects and
// collections; what a module builds at import shows up here before anything reads it
const built = vi.hoisted(() => ({ count: 0 }))

vi.mock("effect/Schema", async (importOriginal) => {
  const Schema = await importOriginal<typeof import("effect/Schema")>()
  const counted = <F extends (...args: Array<any>) => any>(f: F): F =>
    ((...args: Array<any>) => {
      built.count++
      return f(...args)
    }) as F
  return {
    ...Schema,
    Struct: counted(Schema.Struct),
    Union: counted(Schema.Union),
    Record: counted(Schema.Record),
    Array: counted(Schema.Array)
  }
})

describe("schemas built on first use", () => {
  it("importing every schema module builds no object, union, record or array schema", async () => {
    // AnyObject imports every object kind's module, and those the rest
    const { AnyObject } = await import("../src/schema/AnyObject.js")
    await import("../src/schema/Common.js")
    // the stream's events are not reached from AnyObject; their data are the objects above
    const { AssistantStreamEvent } = await import("../src/schema/StreamEvent.js")
    assert.strictEqual(built.count, 0)
    // the first read builds the schema and what it is made of
    assert.isDefined(AnyObject.ast)
    assert.isAbove(built.count, 50)
    const objects = built.count
    assert.isDefined(AssistantStreamEvent.ast)
    assert.isAbove(built.count, objects)
  })

  it("importing the whole client builds no schema but the error classes' fields", async () => {
    // fresh modules, as a program that imports the root first
    vi.resetModules()
    built.count = 0
    // the error classes are built at import (they are classes); everything else waits for a call
    await import("../src/errors/AssistantsError.js")
    const errors = built.count
    await import("../src/index.js")
    assert.strictEqual(built.count, errors)
    // the stream's error event's schema, which a module-level parser used to build at import
    const { ErrorData } = await import("../src/schema/StreamEvent.js")
    assert.isDefined(ErrorData.ast)
    assert.isAbove(built.count, errors)
  })
})
