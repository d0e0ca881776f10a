/**
 * The indexed lists of the memory store against the plain definition of a page (filter the
 * parent's objects, order them, cut at the cursors, take the limit), over any sequence of creates
 * and deletes and any query; and the cost of a page: its own size, whatever the store holds.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Ids from "../src/Ids.js"
import { makeTable, type Page, type PageQuery, paginateSorted } from "../src/Store.js"

interface Row {
  readonly id: string
  readonly parent: string
  readonly tag: number
}

/** The definition: what the API's docs say a page is. */
const reference = (rows: ReadonlyArray<Row>, query: PageQuery): Page<Row> => {
  const key = (id: string) => Ids.keyOf(id)!
  const asc = query.order === "asc"
  let ordered = asc ? [...rows] : [...rows].reverse()
  if (query.after !== undefined) {
    const p = key(query.after)
    ordered = ordered.filter((r) => (asc ? key(r.id) > p : key(r.id) < p))
  }
  if (query.before !== undefined) {
    const p = key(query.before)
    ordered = ordered.filter((r) => (asc ? key(r.id) < p : key(r.id) > p))
  }
  const data = query.before !== undefined && query.after === undefined
    ? ordered.slice(Math.max(0, ordered.length - query.limit))
    : ordered.slice(0, query.limit)
  return {
    object: "list",
    data,
    firstId: data[0]?.id ?? null,
    lastId: data[data.length - 1]?.id ?? null,
    hasMore: ordered.length > query.limit
  }
}

const operation = FastCheck.oneof(
  { arbitrary: FastCheck.record({ put: FastCheck.constantFrom("a", "b", "c"), tag: FastCheck.nat(3) }), weight: 3 },
  { arbitrary: FastCheck.record({ del: FastCheck.nat() }), weight: 1 }
)
const query = FastCheck.record({
  limit: FastCheck.integer({ min: 1, max: 6 }),
  order: FastCheck.constantFrom("asc" as const, "desc" as const),
  after: FastCheck.option(FastCheck.nat(), { nil: undefined }),
  before: FastCheck.option(FastCheck.nat(), { nil: undefined })
})

describe("Store.makeTable", () => {
  it.effect.prop(
    "a page of one parent is the definition's page, after any creates and deletes",
    [FastCheck.array(operation, { maxLength: 60 }), FastCheck.array(query, { minLength: 1, maxLength: 8 })],
    ([operations, queries]) =>
      Effect.gen(function*() {
        const table = makeTable<Row, "parent">({ parent: (r) => r.parent })
        const made: Array<Row> = []
        const live = new Map<string, Row>()
        for (const op of operations) {
          if ("put" in op) {
            const row = { id: Ids.make("msg"), parent: op.put, tag: op.tag }
            made.push(row)
            live.set(row.id, row)
            yield* table.put(row)
          } else if (made.length > 0) {
            const row = made[op.del % made.length]
            assert.strictEqual(yield* table.delete(row.id), live.delete(row.id))
          }
        }
        // cursors: any id made, deleted ones included
        const cursor = (n: number | undefined) =>
          n === undefined || made.length === 0 ? undefined : made[n % made.length].id
        for (const q of queries) {
          const pageQuery: PageQuery = {
            limit: q.limit,
            order: q.order,
            after: cursor(q.after),
            before: cursor(q.before)
          }
          for (const parent of ["a", "b", "c"]) {
            const rows = [...live.values()].filter((r) => r.parent === parent)
            assert.deepStrictEqual(
              yield* table.list(pageQuery, { index: "parent", key: parent }),
              reference(rows, pageQuery)
            )
            assert.deepStrictEqual(
              yield* table.list(pageQuery, { index: "parent", key: parent }, { filter: (r) => r.tag !== 0 }),
              reference(rows.filter((r) => r.tag !== 0), pageQuery)
            )
            assert.deepStrictEqual(yield* table.children({ index: "parent", key: parent }), rows)
          }
          assert.deepStrictEqual(yield* table.list(pageQuery), reference([...live.values()], pageQuery))
          assert.deepStrictEqual(yield* table.all(() => true), [...live.values()])
        }
      }),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect("a page reads its own size plus one, whatever the index holds around it", () =>
    Effect.sync(() => {
      const keys: Array<string> = []
      const ids: Array<string> = []
      for (let i = 0; i < 100_000; i++) {
        const id = Ids.make("msg")
        ids.push(id)
        keys.push(Ids.keyOf(id)!)
      }
      for (
        const query of [
          { limit: 20, order: "desc" },
          { limit: 20, order: "asc", after: ids[50_000] },
          { limit: 20, order: "desc", before: ids[10] },
          { limit: 20, order: "asc", after: ids[99_990] }
        ] as const
      ) {
        let reads = 0
        const page = paginateSorted(keys, (i) => (reads++, { id: ids[i] }), query)
        assert.isAtMost(reads, 21)
        assert.strictEqual(page.data.length, Math.min(20, reads))
      }
    }))

  it.effect("a parent changed by a put moves the object between the lists", () =>
    Effect.gen(function*() {
      const table = makeTable<Row, "parent">({ parent: (r) => r.parent })
      const row = { id: Ids.make("msg"), parent: "a", tag: 0 }
      yield* table.put(row)
      yield* table.put({ ...row, parent: "b" })
      assert.deepStrictEqual(yield* table.children({ index: "parent", key: "a" }), [])
      assert.deepStrictEqual((yield* table.children({ index: "parent", key: "b" })).map((r) => r.id), [row.id])
      yield* table.put(row)
      const page = yield* table.list({ limit: 5, order: "asc" }, { index: "parent", key: "a" })
      assert.deepStrictEqual(page.data, [row])
      assert.deepStrictEqual((yield* table.list({ limit: 5, order: "asc" }, { index: "parent", key: "b" })).data, [])
    }))
})

describe("Ids", () => {
  it.effect("lexical order is creation order, across the counter and the milliseconds", () =>
    Effect.sync(() => {
      const ids = Array.from({ length: 50_000 }, () => Ids.make("run"))
      for (let i = 1; i < ids.length; i++) assert.isTrue(Ids.keyOf(ids[i - 1])! < Ids.keyOf(ids[i])!, ids[i])
      assert.strictEqual(new Set(ids).size, ids.length)
      assert.match(ids[0], /^run_[0-9a-z]{24}$/)
    }))

  it.effect("keyOf: ours only", () =>
    Effect.sync(() => {
      assert.isDefined(Ids.keyOf(Ids.make("asst")))
      for (const id of ["asst_1", "asst_00000000setupAssistant1", "thread_", "_000000000000000000000000", "x"]) {
        assert.isUndefined(Ids.keyOf(id), id)
      }
    }))
})
