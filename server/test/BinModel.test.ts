/**
 * The compiled bin's model flags: bad combinations exit at start with one clear line, and
 * `--model-provider openai-chat` / `openai-responses` / `anthropic` run a run against a loopback
 * fake upstream (the model renamed by `--model-map`, the key sent upstream and never printed).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as Bin from "./utils/bin.js"
import * as FakeUpstream from "./utils/FakeUpstream.js"
import { completion } from "./utils/ProviderHarness.js"

const clean = { MODEL_PROVIDER: "", MODEL_BASE_URL: "", MODEL_API_KEY: "", ASSISTANTS_API_KEY: "" }

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.promise(() =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [Bin.path, "--port", "0", ...Bin.argsOf(args)], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...clean, ...env }
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d) => (stdout += d))
      child.stderr.on("data", (d) => (stderr += d))
      child.on("exit", (code) => resolve({ code, stdout, stderr }))
    })
  )

const api = (url: string) => (path: string, body?: unknown) =>
  Effect.promise(() =>
    fetch(url + path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    }).then((r) => r.json() as Promise<any>)
  )

/** Runs a one-message thread to its end; the final run. */
const runOnce = (url: string) =>
  Effect.gen(function*() {
    const call = api(url)
    const assistant = yield* call("/assistants", { model: "gpt-4o" })
    let run = yield* call("/threads/runs", {
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "hi" }] }
    })
    for (let i = 0; i < 400 && !["completed", "failed", "incomplete"].includes(run.status); i++) {
      yield* Effect.sleep("10 millis")
      run = yield* call(`/threads/${run.thread_id}/runs/${run.id}`)
    }
    return run
  })

describe("effect-assistants-server --model-*", () => {
  it.live(
    "bad combinations exit 2 at start, the first line saying what is wrong",
    () =>
      Effect.gen(function*() {
        const cases: ReadonlyArray<[ReadonlyArray<string>, Record<string, string>, RegExp]> = [
          [["--model-provider", "openai-chat"], {}, /openai-chat needs --model-base-url/],
          [["--model-provider", "anthropic-x"], {}, /unknown model provider "anthropic-x"/],
          [[], { MODEL_PROVIDER: "nope" }, /unknown model provider "nope"/],
          [["--model-base-url", "http://127.0.0.1:1/v1"], {}, /--model-base-url needs --model-provider/],
          [["--model-provider", "openai-chat", "--model-base-url", "localhost"], {}, /needs an http\(s\) URL/],
          [
            ["--model-provider", "openai-chat", "--model-base-url", "http://127.0.0.1:1/v1", "--model-map", "x"],
            {},
            /FROM=TO/
          ],
          [["--model-provider", "openai-responses"], {}, /https:\/\/api\.openai\.com\/v1 needs --model-api-key/],
          [["--model-provider", "anthropic"], {}, /https:\/\/api\.anthropic\.com\/v1 needs --model-api-key/],
          [
            ["--model-provider", "openai-chat", "--model-base-url", "http://127.0.0.1:1/v1", "--model-timeout", "soon"],
            {},
            /time/
          ]
        ]
        const results = yield* Effect.forEach(cases, ([args, env]) => run(args, env), { concurrency: 4 })
        cases.forEach(([args, , expected], i) => {
          assert.strictEqual(results[i].code, 2, args.join(" "))
          assert.match(results[i].stderr.split("\n")[0], expected)
        })
      }),
    120_000
  )

  it.live("openai-chat: a run answered by the upstream, the model renamed, the key sent and never printed", () =>
    Effect.gen(function*() {
      const fake = yield* FakeUpstream.make("chat")
      fake.script({ _tag: "json", body: completion({ content: "Hello from upstream" }, "stop", 3, 3) })

      const child = yield* Bin.start([
        "--model-provider",
        "openai-chat",
        "--model-base-url",
        fake.url,
        "--model-map",
        "gpt-4o=llama3.2",
        "--model-timeout",
        "30s"
      ], { ...clean, MODEL_API_KEY: "sk-secret-upstream" })
      const done = yield* runOnce(child.url)
      assert.strictEqual(done.status, "completed", JSON.stringify(done.last_error))
      const messages = yield* api(child.url)(`/threads/${done.thread_id}/messages`)
      assert.strictEqual(messages.data[0].content[0].text.value, "Hello from upstream")
      assert.strictEqual(fake.requests[0].body.model, "llama3.2")
      assert.strictEqual(fake.requests[0].headers.authorization, "Bearer sk-secret-upstream")
      assert.notInclude(child.stdout() + child.stderr(), "sk-secret-upstream")
      assert.deepStrictEqual(fake.violations, [])
    }).pipe(Effect.scoped))

  it.live("openai-responses at a base URL of one's own, from the environment", () =>
    Effect.gen(function*() {
      const fake = yield* FakeUpstream.make("responses")
      fake.script({
        _tag: "json",
        status: 500,
        body: { error: { message: "upstream down", type: "server_error", param: null, code: null } }
      })
      const child = yield* Bin.start([], { ...clean, MODEL_PROVIDER: "openai-responses", MODEL_BASE_URL: fake.url })
      const done = yield* runOnce(child.url)
      assert.strictEqual(done.status, "failed")
      assert.deepStrictEqual(done.last_error, { code: "server_error", message: "upstream down" })
      assert.strictEqual(fake.requests[0].path, "/v1/responses")
      assert.isUndefined(fake.requests[0].headers.authorization)
    }).pipe(Effect.scoped))

  it.live("anthropic: a streamed run answered by the upstream, the key sent as x-api-key and never printed", () =>
    Effect.gen(function*() {
      const fake = yield* FakeUpstream.make("anthropic")
      const message = {
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [],
        model: "claude-sonnet-4-5",
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 }
      }
      fake.script({
        _tag: "sse",
        events: [
          { type: "message_start", message },
          { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
          { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello from Claude" } },
          { type: "content_block_stop", index: 0 },
          {
            type: "message_delta",
            delta: { stop_reason: "end_turn", stop_sequence: null },
            usage: { output_tokens: 3 }
          },
          { type: "message_stop" }
        ].map((data) => ({ event: data.type, data }))
      })
      const child = yield* Bin.start([
        "--model-provider",
        "anthropic",
        "--model-base-url",
        fake.url,
        "--model-map",
        "gpt-4o=claude-sonnet-4-5"
      ], { ...clean, MODEL_API_KEY: "sk-ant-secret" })
      const done = yield* runOnce(child.url)
      assert.strictEqual(done.status, "completed", JSON.stringify(done.last_error))
      const messages = yield* api(child.url)(`/threads/${done.thread_id}/messages`)
      assert.strictEqual(messages.data[0].content[0].text.value, "Hello from Claude")
      assert.strictEqual(fake.requests[0].path, "/v1/messages")
      assert.strictEqual(fake.requests[0].body.model, "claude-sonnet-4-5")
      assert.strictEqual(fake.requests[0].headers["x-api-key"], "sk-ant-secret")
      assert.isUndefined(fake.requests[0].headers.authorization)
      assert.notInclude(child.stdout() + child.stderr(), "sk-ant-secret")
      assert.deepStrictEqual(fake.violations, [])
    }).pipe(Effect.scoped))
})
