/**
 * One contract for every store (memory, SQLite, PostgreSQL): each `Store` operation, every
 * pagination case over a thread (all limits, orders and cursors, against the memory store's
 * `paginate`), the `run_id` filter, filters read in batches, transactions, concurrent writers and
 * deletes. Each test gets a fresh, empty store.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Ids from "../../src/Ids.js"
import { activeRun, type PageQuery, paginate, Store } from "../../src/Store.js"
import { kinds } from "./databases.js"
import { assistant, message, run, step, thread } from "./fixtures.js"

/** Every query over `ids`: each limit, order and cursor (none, or any id), alone or together. */
const queries = (ids: ReadonlyArray<string>): Array<PageQuery> => {
  const cursors = [undefined, ...ids]
  const out: Array<PageQuery> = []
  for (const limit of [1, 2, 3, ids.length, ids.length + 1]) {
    for (const order of ["asc", "desc"] as const) {
      for (const after of cursors) {
        for (const before of cursors) out.push({ limit, order, after, before })
      }
    }
  }
  return out
}

const ids = (rows: ReadonlyArray<{ readonly id: string }>) => rows.map((r) => r.id)

for (const kind of kinds) {
  describe.skipIf(kind.skipped !== undefined)(
    `Store contract: ${kind.name}${kind.skipped ? ` (skipped: ${kind.skipped})` : ""}`,
    () => {
      const test = (name: string, body: Effect.Effect<void, unknown, Store>) =>
        it.live(name, () => Effect.provide(body, kind.layer), 60_000)

      test(
        "put then get gives the object back whole, JSON fields and key order included",
        Effect.gen(function*() {
          const store = yield* Store
          const a = assistant()
          yield* store.assistants.put(a)
          const got = yield* store.assistants.get(a.id)
          assert.deepStrictEqual(got, a)
          assert.strictEqual(JSON.stringify(got), JSON.stringify(a))
          assert.strictEqual(yield* store.assistants.get(Ids.make("asst")), undefined)
        })
      )

      test(
        "a put of an existing id replaces the object, without moving it in its lists",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          const first = message(t.id, "one")
          const second = message(t.id, "two")
          yield* store.messages.put(first)
          yield* store.messages.put(second)
          const edited = { ...first, metadata: { edited: "yes" } }
          yield* store.messages.put(edited)
          assert.deepStrictEqual(yield* store.messages.get(first.id), edited)
          assert.deepStrictEqual(yield* store.messages.children({ index: "thread", key: t.id }), [edited, second])
        })
      )

      test(
        "delete removes one object and says whether it was there",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          yield* store.threads.put(t)
          assert.isTrue(yield* store.threads.delete(t.id))
          assert.isFalse(yield* store.threads.delete(t.id))
          assert.strictEqual(yield* store.threads.get(t.id), undefined)
        })
      )

      test(
        "children and deleteChildren act on one parent only, oldest first",
        Effect.gen(function*() {
          const store = yield* Store
          const [t1, t2] = [thread(), thread()]
          const a = assistant()
          const runs = [run(t1.id, a.id), run(t2.id, a.id), run(t1.id, a.id)]
          for (const r of runs) yield* store.runs.put(r)
          const steps = [step(runs[0], "msg_x"), step(runs[0], "msg_y"), step(runs[1], "msg_z")]
          for (const s of steps) yield* store.steps.put(s)
          assert.deepStrictEqual(yield* store.runs.children({ index: "thread", key: t1.id }), [runs[0], runs[2]])
          assert.strictEqual(yield* store.steps.deleteChildren({ index: "run", key: runs[0].id }), 2)
          assert.deepStrictEqual(yield* store.steps.children({ index: "run", key: runs[0].id }), [])
          assert.deepStrictEqual(yield* store.steps.children({ index: "run", key: runs[1].id }), [steps[2]])
          assert.strictEqual(yield* store.runs.deleteChildren({ index: "thread", key: t1.id }), 2)
          assert.deepStrictEqual(ids(yield* store.runs.all(() => true)), [runs[1].id])
        })
      )

      test(
        "all keeps what its filter keeps, oldest first",
        Effect.gen(function*() {
          const store = yield* Store
          const made = [assistant({ name: "a" }), assistant({ name: "b" }), assistant({ name: "a" })]
          for (const a of made) yield* store.assistants.put(a)
          assert.deepStrictEqual(yield* store.assistants.all((a) => a.name === "a"), [made[0], made[2]])
        })
      )

      test(
        "every page of a thread: each limit, order and cursor, as the API pages",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          const other = thread()
          const messages = Array.from({ length: 6 }, (_, i) => message(t.id, `m${i}`))
          for (const [i, m] of messages.entries()) {
            yield* store.messages.put(m)
            // another thread's messages interleave: they are never on this thread's pages
            if (i % 2 === 0) yield* store.messages.put(message(other.id, `o${i}`))
          }
          // a deleted message's id stays a valid cursor
          const deleted = message(t.id, "gone")
          yield* store.messages.put(deleted)
          yield* store.messages.delete(deleted.id)
          for (const query of queries([...ids(messages), deleted.id])) {
            const page = yield* store.messages.list(query, { index: "thread", key: t.id })
            assert.deepStrictEqual(page, paginate(messages, query), JSON.stringify(query))
          }
        })
      )

      test(
        "pages of a whole table (no scope)",
        Effect.gen(function*() {
          const store = yield* Store
          const made = Array.from({ length: 4 }, () => assistant())
          for (const a of made) yield* store.assistants.put(a)
          for (const query of queries(ids(made))) {
            assert.deepStrictEqual(yield* store.assistants.list(query), paginate(made, query), JSON.stringify(query))
          }
        })
      )

      test(
        "a run's messages, listed within the thread the path names (run_id)",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          const a = assistant()
          const r = run(t.id, a.id)
          const replies = [message(t.id, "r1", r.id), message(t.id, "r2", r.id)]
          yield* store.messages.put(message(t.id, "question"))
          for (const m of replies) yield* store.messages.put(m)
          const query: PageQuery = { limit: 20, order: "asc" }
          const inThread = yield* store.messages.list(query, { index: "run", key: r.id }, {
            also: { index: "thread", key: t.id }
          })
          assert.deepStrictEqual(inThread.data, replies)
          const elsewhere = yield* store.messages.list(query, { index: "run", key: r.id }, {
            also: { index: "thread", key: thread().id }
          })
          assert.deepStrictEqual(elsewhere, paginate([], query))
        })
      )

      test(
        "a filter the indexes cannot answer reads on until the page is full",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          const a = assistant()
          // the active run is older than 150 ended ones: past the first batches a store reads
          const active = run(t.id, a.id, "in_progress")
          yield* store.runs.put(active)
          const ended = Array.from({ length: 150 }, () => run(t.id, a.id, "completed"))
          for (const r of ended) yield* store.runs.put(r)
          const page = yield* store.runs.list({ limit: 1, order: "desc" }, { index: "thread", key: t.id }, {
            filter: (r) => r.status !== "completed"
          })
          assert.deepStrictEqual(ids(page.data), [active.id])
          assert.isFalse(page.hasMore)
          const completed = yield* store.runs.list({ limit: 100, order: "asc" }, { index: "thread", key: t.id }, {
            filter: (r) => r.status === "completed"
          })
          assert.deepStrictEqual(ids(completed.data), ids(ended.slice(0, 100)))
          assert.isTrue(completed.hasMore)
        })
      )

      test(
        "a transaction keeps all of its writes",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          const m = message(t.id, "hello")
          yield* store.transaction(Effect.zipRight(store.threads.put(t), store.messages.put(m)))
          assert.deepStrictEqual(yield* store.threads.get(t.id), t)
          assert.deepStrictEqual(yield* store.messages.get(m.id), m)
        })
      )

      if (kind.name !== "memory") {
        test(
          "a transaction that fails keeps none of its writes",
          Effect.gen(function*() {
            const store = yield* Store
            const t = thread()
            const failed = yield* store.transaction(
              Effect.zipRight(store.threads.put(t), Effect.fail("refused" as const))
            ).pipe(Effect.flip)
            assert.strictEqual(failed, "refused")
            assert.strictEqual(yield* store.threads.get(t.id), undefined)
          })
        )
      }

      test(
        "concurrent writers: 200 creates at once, each one there once, in id order",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          yield* store.threads.put(t)
          const messages = Array.from({ length: 200 }, (_, i) => message(t.id, `m${i}`))
          yield* Effect.forEach(messages, (m) => store.messages.put(m), { concurrency: "unbounded", discard: true })
          assert.deepStrictEqual(ids(yield* store.messages.children({ index: "thread", key: t.id })), ids(messages))
        })
      )

      test(
        "concurrent transactions: each thread with its message, none half written",
        Effect.gen(function*() {
          const store = yield* Store
          const pairs = Array.from({ length: 50 }, () => {
            const t = thread()
            return { t, m: message(t.id, "first") }
          })
          yield* Effect.forEach(
            pairs,
            ({ m, t }) => store.transaction(Effect.zipRight(store.threads.put(t), store.messages.put(m))),
            { concurrency: "unbounded", discard: true }
          )
          for (const { m, t } of pairs) {
            assert.deepStrictEqual(yield* store.threads.get(t.id), t)
            assert.deepStrictEqual(yield* store.messages.children({ index: "thread", key: t.id }), [m])
          }
        })
      )

      test(
        "a deleted assistant's runs keep its id",
        Effect.gen(function*() {
          const store = yield* Store
          const a = assistant()
          const t = thread()
          const r = run(t.id, a.id)
          yield* store.assistants.put(a)
          yield* store.runs.put(r)
          yield* store.assistants.delete(a.id)
          assert.strictEqual((yield* store.runs.get(r.id))?.assistantId, a.id)
        })
      )

      test(
        "a run is under its thread in the active index until it ends",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          const other = thread()
          const ended = run(t.id, "asst_x", "completed")
          const waiting = run(t.id, "asst_x", "requires_action")
          yield* Effect.forEach([ended, waiting, run(other.id, "asst_x", "in_progress")], store.runs.put)
          assert.strictEqual(yield* activeRun(store.runs, t.id), waiting.id)
          yield* store.runs.put({ ...waiting, status: "cancelled" })
          assert.strictEqual(yield* activeRun(store.runs, t.id), undefined)
          assert.deepStrictEqual(ids(yield* store.runs.children({ index: "thread", key: t.id })), [
            ended.id,
            waiting.id
          ])
          // a put that makes a run active again (not one the API makes) puts it back
          yield* store.runs.put({ ...ended, status: "queued" })
          assert.strictEqual(yield* activeRun(store.runs, t.id), ended.id)
        })
      )

      test(
        "addMessage writes only to a thread that exists and has no active run, and says why not",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          const first = message(t.id, "before the thread")
          assert.deepStrictEqual(yield* store.addMessage(first), { _tag: "NoThread" })
          assert.strictEqual(yield* store.messages.get(first.id), undefined)
          yield* store.threads.put(t)
          assert.deepStrictEqual(yield* store.addMessage(first), { _tag: "Added" })
          assert.deepStrictEqual(yield* store.messages.get(first.id), first)
          const r = run(t.id, "asst_x", "in_progress")
          yield* store.runs.put(r)
          const second = message(t.id, "during the run")
          assert.deepStrictEqual(yield* store.addMessage(second), { _tag: "ActiveRun", runId: r.id })
          assert.strictEqual(yield* store.messages.get(second.id), undefined)
          yield* store.runs.put({ ...r, status: "completed" })
          assert.deepStrictEqual(yield* store.addMessage(second), { _tag: "Added" })
          assert.deepStrictEqual(ids(yield* store.messages.children({ index: "thread", key: t.id })), [
            first.id,
            second.id
          ])
        })
      )

      test(
        "addMessage from many writers at once: each message there once, in id order",
        Effect.gen(function*() {
          const store = yield* Store
          const t = thread()
          yield* store.threads.put(t)
          const all = Array.from({ length: 100 }, (_, i) => message(t.id, `m${i}`))
          const outcomes = yield* Effect.forEach(all, store.addMessage, { concurrency: "unbounded" })
          assert.isTrue(outcomes.every((o) => o._tag === "Added"))
          assert.deepStrictEqual(ids(yield* store.messages.children({ index: "thread", key: t.id })), ids(all))
        })
      )
    }
  )
}
