/**
 * `kill -9` of the server (the compiled bin, a real child process) during a burst of 500 concurrent
 * message creates, on SQLite and on PostgreSQL: restarted on the same database, every create that
 * was answered 2xx is there, as it was answered, and no message exists twice. A SQLite file is
 * free again as soon as its killed owner is gone.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Agent, request } from "node:http"
import { join } from "node:path"
import * as Bin from "../utils/bin.js"
import { freshPgUrl, pgSkipped, tempDir } from "./databases.js"

interface Answer {
  readonly status: number
  readonly body: any
}

const send = (agent: Agent, method: string, url: string, body?: unknown) =>
  new Promise<Answer>((resolve, reject) => {
    const req = request(url, {
      method,
      agent,
      headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" }
    }, (response) => {
      let text = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => (text += chunk))
      response.on(
        "end",
        () => resolve({ status: response.statusCode ?? 0, body: text === "" ? null : JSON.parse(text) })
      )
      response.on("error", reject)
    })
    req.on("error", reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })

/** Every message of a thread, oldest first, page after page. */
const allMessages = (agent: Agent, url: string, threadId: string) =>
  Effect.promise(async () => {
    const out: Array<any> = []
    let after: string | undefined
    for (;;) {
      const page = await send(
        agent,
        "GET",
        `${url}/threads/${threadId}/messages?limit=100&order=asc${after ? `&after=${after}` : ""}`
      )
      if (page.status !== 200) throw new Error(`list: ${page.status} ${JSON.stringify(page.body)}`)
      out.push(...page.body.data)
      if (!page.body.has_more) return out
      after = page.body.last_id
    }
  })

const burst = 500
/** The kill comes once this many creates were answered, with the rest still in flight. */
const killAfter = 100

/**
 * Starts the bin with `args`, sends the burst, kills it with SIGKILL once `killAfter` creates were
 * answered, restarts it with the same `args`, and checks the thread.
 */
const killDuringBurst = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const agent = new Agent({ keepAlive: true, maxSockets: burst })
    yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
    const first = yield* Bin.start(args)
    const thread = yield* Effect.promise(() => send(agent, "POST", `${first.url}/threads`, {}))
    assert.strictEqual(thread.status, 200)
    const threadId: string = thread.body.id

    const acknowledged = new Map<string, string>()
    let answered = 0
    let refused = 0
    let reachedKillPoint!: () => void
    const killPoint = new Promise<void>((resolve) => (reachedKillPoint = resolve))
    const creates = Array.from({ length: burst }, (_, i) =>
      send(agent, "POST", `${first.url}/threads/${threadId}/messages`, { role: "user", content: `burst ${i}` }).then(
        (answer) => {
          if (answer.status >= 200 && answer.status < 300) {
            acknowledged.set(answer.body.id, answer.body.content[0].text.value)
            if (++answered === killAfter) {
              reachedKillPoint()
            }
          } else {
            refused++
          }
        },
        // cut by the kill: the client cannot know whether it was kept, so either way is right
        () =>
          undefined
      ))
    yield* Effect.promise(() =>
      killPoint
    )
    first.process.kill("SIGKILL")
    yield* Effect.promise(() => Promise.all(creates))
    const exit = yield* Bin.exit(first)
    assert.strictEqual(exit.signal, "SIGKILL")
    assert.strictEqual(refused, 0)
    assert.isAtLeast(acknowledged.size, killAfter)
    // the kill cut the burst: creates were still in flight
    assert.isBelow(acknowledged.size, burst)

    const second = yield* Bin.start(args)
    const messages = yield* allMessages(agent, second.url, threadId)
    const byId = new Map(messages.map((m) => [m.id, m.content[0].text.value as string]))
    for (const [id, text] of acknowledged) assert.strictEqual(byId.get(id), text, `acknowledged ${id} is kept`)
    assert.strictEqual(byId.size, messages.length, "no id twice")
    const texts = messages.map((m) => m.content[0].text.value as string)
    assert.strictEqual(new Set(texts).size, texts.length, "no create kept twice")
    for (const text of texts) assert.match(text, /^burst \d+$/)
    assert.isAtMost(messages.length, burst)
  }).pipe(Effect.scoped)

describe("kill -9 during a burst of 500 concurrent message creates", () => {
  it.live(
    "SQLite: every acknowledged create is kept, none twice, and the file is free at once",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* killDuringBurst(["--db", join(dir, "burst.db")])
      }).pipe(Effect.scoped),
    120_000
  )

  it.live.skipIf(pgSkipped !== undefined)(
    `PostgreSQL: every acknowledged create is kept, none twice${pgSkipped ? ` (skipped: ${pgSkipped})` : ""}`,
    () =>
      Effect.gen(function*() {
        const url = yield* freshPgUrl
        yield* killDuringBurst(["--database-url", url])
      }).pipe(Effect.scoped),
    120_000
  )
})
