/**
 * The examples are what the READMEs show: every TypeScript block of README.md and
 * server/README.md is one file of examples/, verbatim, and every program there runs against the
 * embedded server and prints what it promises (examples/*.test.ts run as part of the suite).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { cleanEnv, describeOutput, run } from "./utils/childProcess.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const examples = join(root, "examples")
const files = readdirSync(examples).filter((name) => name.endsWith(".ts")).sort()
const programs = files.filter((name) => !name.endsWith(".test.ts"))
const source = (name: string) => readFileSync(join(examples, name), "utf8")

/** What each program must print; a program without an entry fails the suite. */
const expected: Record<string, ReadonlyArray<string | RegExp>> = {
  "quickstart.ts": [
    /started the embedded server at http:\/\/127\.0\.0\.1:\d+\/v1/,
    "run status: in_progress -> requires_action",
    /tool call get_weather\(.*\) -> /,
    "run status: in_progress -> completed",
    /assistant: get_weather returned/,
    "deleted the thread and the assistant"
  ],
  "layers.ts": [
    /created asst_\w+ through AssistantsLive\.layer\n/,
    "listed 1 assistant(s) through AssistantsLive.layerConfig"
  ],
  "errors.ts": [
    /a missing assistant: NotFoundError 404 "No assistant found with id 'asst_missing'\." \(req_\w+\)/,
    "an id that is not one path segment: InvalidRequestError on assistantId, outcome not-sent",
    "a wrong API key: AuthenticationError 401",
    "a run that fails: RunFailedError server_error"
  ],
  "retries.ts": [
    "with the layer's policy: 10 of 10 reads succeeded",
    /without retries: [1-9]\d* of 10 failed \(InternalServerError\)/,
    /with a 100 ms timeout: TimeoutError/,
    /with a 5 s timeout: read thread_\w+/
  ],
  "pagination.ts": [
    "first page: 10 messages, hasMore true",
    "listAll: 25 messages, 10 per request",
    /ids of messages 7 and 17: msg_\w+, msg_\w+\n/
  ],
  "watch.ts": [
    /ms {2}hello: \(new\) -> (queued|in_progress)/,
    /ms {2}failing: in_progress -> failed/,
    `last statuses: {"hello":"completed","failing":"failed (server_error)"}`
  ],
  "tools.ts": [
    "get_weather(sample city, celsius)",
    "get_time(UTC)",
    `assistant: get_weather returned {"city":"sample city","unit":"celsius","temperature":21}; get_time returned 12:00 UTC`
  ],
  "streaming.ts": [
    "You said: Tell me a short story\n",
    "accumulated: run completed, 1 message(s), 1 step(s)",
    "tool loop: thread.run.created, thread.run.queued, thread.run.in_progress, thread.run.requires_action, " +
    "thread.run.queued, thread.run.in_progress, thread.run.completed",
    "streamed or polled: completed"
  ],
  "tracing.ts": [
    /^onboarding [\d.]+ ms team=docs$/m,
    /^ {2}Assistants\.create [\d.]+ ms http\.request\.method=POST url\.template=\/assistants http\.response\.status_code=200$/m,
    /^ {2}Messages\.list [\d.]+ ms http\.request\.method=GET url\.template=\/threads\/\{thread_id\}\/messages /m,
    // the server's span is a child of the call's: the trace context went over the wire
    /^ {4}http\.server DELETE [\d.]+ ms http\.request\.method=DELETE http\.route=\/v1\/assistants\/:assistant_id /m
  ]
}

/** The fenced TypeScript blocks of a markdown file, each with the line it starts on. */
const blocks = (markdown: string) =>
  [...markdown.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((match) => ({
    line: markdown.slice(0, match.index).split("\n").length,
    code: match[1]!
  }))

const readmes = ["README.md", "server/README.md"]

describe("README code blocks", () => {
  it("each is one file of examples/, verbatim", () => {
    for (const readme of readmes) {
      const found = blocks(readFileSync(join(root, readme), "utf8"))
      assert.isAbove(found.length, 0, `${readme} has no TypeScript block`)
      for (const { code, line } of found) {
        const match = files.find((name) => source(name) === code)
        assert.isDefined(match, `${readme}:${line}: this block is not a file of examples/ (verbatim, whole file)`)
      }
    }
  })

  it("every example but the quickstart (linked, npm start) is shown", () => {
    const shown = new Set(
      readmes.flatMap((readme) => blocks(readFileSync(join(root, readme), "utf8")).map(({ code }) => code))
    )
    const missing = files.filter((name) => name !== "quickstart.ts" && !shown.has(source(name)))
    assert.deepStrictEqual(missing, [])
  })
})

describe("examples", () => {
  it("every program has its expected output listed here", () => {
    assert.deepStrictEqual(programs, Object.keys(expected).sort())
  })

  const tsx = join(root, "node_modules", ".bin", "tsx")
  // two programs at a time: each is a node process with its own server, and more than the cores
  // only makes each one slower
  const slots = Effect.unsafeMakeSemaphore(2)
  describe.concurrent("run with tsx as a user would, against the embedded server", () => {
    for (const program of programs) {
      it.live(program, () =>
        Effect.gen(function*() {
          const command = ["--conditions=effect-assistants-source", join("examples", program)]
          const output = yield* slots.withPermits(1)(run(tsx, command, {
            cwd: root,
            env: cleanEnv(),
            timeout: "90 seconds"
          }))
          assert.strictEqual(output.code, 0, describeOutput(output))
          for (const line of expected[program] ?? []) {
            if (typeof line === "string") assert.include(output.stdout, line, describeOutput(output))
            else assert.match(output.stdout, line, describeOutput(output))
          }
        }), 300_000)
    }
  })
})
