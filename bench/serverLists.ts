/**
 * What a page of messages costs through the embedded server as the store fills with other
 * threads' objects: `GET /v1/threads/:t/messages` (20 per page, first page and a page after a
 * cursor) with 100 and with 1,000,000 messages in other threads, the target thread holding 200.
 * Lists are indexed per thread, so the two should cost the same.
 *
 * Beside it, in process: one page computed the way lists were computed before the index (filter
 * every message of the store, then cut the page), for scale.
 *
 * Run by `npm run bench` (built, against the server package's dist/), or alone:
 * npx tsx bench/serverLists.ts [--requests N]
 */
import { AssistantsServer, Store } from "effect-assistants-server"
import type { Message } from "effect-assistants/Message"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Agent, request } from "node:http"

const requests = Number(process.argv[process.argv.indexOf("--requests") + 1]) || 3_000
const agent = new Agent({ keepAlive: true, maxSockets: 1 })

const get = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const start = performance.now()
    request(url, { agent, headers: { "OpenAI-Beta": "assistants=v2" } }, (response) => {
      response.resume()
      response.on("end", () =>
        response.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`${response.statusCode}`)))
    }).on("error", reject).end()
  })

const content = [{ type: "text" as const, text: { value: "hello there", annotations: [] } }]
// ids of the server's form (a prefix and 24 characters that order them), in creation order
let sequence = 0
const messageId = () => `msg_${(sequence++).toString(36).padStart(24, "0")}`
const message = (threadId: string): Message => ({
  id: messageId(),
  object: "thread.message",
  createdAt: 1_700_000_000,
  threadId,
  status: "completed",
  incompleteDetails: null,
  completedAt: 1_700_000_000,
  incompleteAt: null,
  role: "user",
  content,
  assistantId: null,
  runId: null,
  attachments: [],
  metadata: {}
})

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
const summary = (times: Array<number>) => {
  const sorted = [...times].sort((a, b) => a - b)
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  return { mean: +mean.toFixed(3), p50: +quantile(sorted, 0.5).toFixed(3), p95: +quantile(sorted, 0.95).toFixed(3) }
}

const measure = (others: number) =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(AssistantsServer.layer())
    const { url } = Effect.runSync(Effect.provide(AssistantsServer.AssistantsServer, context))
    const store = Effect.runSync(Effect.provide(Store.Store, context))
    // the other threads first (1,000 threads), then the target thread, so its messages are newest
    for (let i = 0; i < others; i++) yield* store.messages.put(message(`thread_other_${i % 1000}`))
    const target = "thread_target"
    yield* store.threads.put({ id: target, object: "thread", createdAt: 0, toolResources: null, metadata: {} })
    const mine: Array<Message> = []
    for (let i = 0; i < 200; i++) {
      const m = message(target)
      mine.push(m)
      yield* store.messages.put(m)
    }
    const first = `${url}/threads/${target}/messages?limit=20`
    const after = `${url}/threads/${target}/messages?limit=20&order=asc&after=${mine[100].id}`
    const run = (path: string) =>
      Effect.promise(async () => {
        for (let i = 0; i < 300; i++) await get(path)
        const times: Array<number> = []
        for (let i = 0; i < requests; i++) times.push(await get(path))
        return summary(times)
      })
    const firstPage = yield* run(first)
    const afterPage = yield* run(after)
    // the previous way, in process: every message of the store filtered, then the page cut
    const scans: Array<number> = []
    for (let i = 0; i < 20; i++) {
      const start = performance.now()
      const all = yield* store.messages.all((m) => m.threadId === target)
      Store.paginate(all, { limit: 20, order: "desc" })
      scans.push(performance.now() - start)
    }
    return { others, firstPage, afterPage, scanPageInProcess: summary(scans) }
  }))

const main = Effect.gen(function*() {
  const results = []
  for (const others of [100, 1_000_000]) {
    const result = yield* measure(others)
    console.log(JSON.stringify(result))
    results.push(result)
  }
  const [small, large] = results
  // the last line: what run.ts reads
  console.log(JSON.stringify({
    small,
    large,
    requestsPerCase: requests,
    firstPageRatio: +(large.firstPage.p50 / small.firstPage.p50).toFixed(2),
    afterPageRatio: +(large.afterPage.p50 / small.afterPage.p50).toFixed(2)
  }))
})

Effect.runPromise(main).then(() => agent.destroy(), (e) => {
  console.error(e)
  process.exit(1)
})
