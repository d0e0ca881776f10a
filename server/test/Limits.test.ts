/**
 * What one request may carry, through the compiled bin: a body past the limit is refused with 413
 * whether it declares its length or streams it, and the process lives; JSON nested past the depth
 * limit, instructions, messages and message text past theirs are refused with a 400 naming the
 * parameter, and the lists that would have served them still answer.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as http from "node:http"
import * as Bin from "./utils/bin.js"

const beta = { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" }

const call = (url: string, path: string, init: { method?: string; body?: unknown } = {}) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: beta,
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) })
    })
    return { status: response.status, body: (await response.json()) as any }
  })

/**
 * Streams up to `total` bytes of a JSON-looking body in 64 KB chunks, generated as it goes, and
 * stops sending once the response arrives: chunked unless `declare` puts the total in
 * `Content-Length`.
 */
const stream = (url: string, total: number, declare: boolean) =>
  Effect.async<{ status: number; body: any; sent: number }, Error>((resume) => {
    const target = new URL(`${url}/threads`)
    const chunk = Buffer.alloc(64 * 1024, "a")
    let sent = 0
    let done = false
    const request = http.request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: "POST",
      headers: { ...beta, ...(declare ? { "content-length": String(total) } : {}) }
    })
    request.on("response", (response) => {
      done = true
      let text = ""
      response.setEncoding("utf8")
      response.on("data", (d) => (text += d))
      response.on("end", () => {
        request.destroy()
        resume(Effect.succeed({ status: response.statusCode ?? 0, body: JSON.parse(text), sent }))
      })
    })
    request.on("error", (error) => {
      if (!done) resume(Effect.fail(error))
    })
    const pump = () => {
      while (!done && sent < total) {
        const piece = sent === 0
          ? Buffer.from("{\"metadata\":\"")
          : chunk.subarray(0, Math.min(chunk.length, total - sent))
        sent += piece.length
        if (!request.write(piece)) return void request.once("drain", pump)
      }
      if (!done) request.end()
    }
    pump()
    return Effect.sync(() => request.destroy())
  })

/** A JSON schema nested `depth` objects deep, as text (`JSON.stringify` of it would overflow). */
const nested = (depth: number) =>
  "{\"type\":\"object\",\"properties\":{\"a\":".repeat(depth) + "{\"type\":\"string\"}" + "}}".repeat(depth)
/** Nested arrays as text: building them as objects would cost what we are testing against. */
const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

const mb = 1024 * 1024

layer(Bin.layer(["--max-messages", "5", "--max-message-chars", "1000"]), { excludeTestServices: true })(
  "the bin under oversized input",
  (it) => {
    it.effect(
      "a streamed (chunked) 600 MB body: 413 before the limit is much passed, and the process lives",
      () =>
        Effect.gen(function*() {
          const bin = yield* Bin.Bin
          const result = yield* stream(bin.url, 600 * mb, false)
          assert.strictEqual(result.status, 413)
          assert.deepStrictEqual(result.body.error, {
            message: `The request body is too large: at most ${4 * mb} bytes are accepted.`,
            type: "invalid_request_error",
            param: null,
            code: "request_too_large"
          })
          // refused while streaming: far less than the whole body was sent before the answer
          assert.isBelow(result.sent, 100 * mb)
          assert.isTrue(bin.alive())
          assert.strictEqual((yield* call(bin.url, "/assistants")).status, 200)
        }),
      120_000
    )

    it.effect(
      "a declared Content-Length of 600 MB: 413 before the body is read, and the process lives",
      () =>
        Effect.gen(function*() {
          const bin = yield* Bin.Bin
          const result = yield* stream(bin.url, 600 * mb, true)
          assert.strictEqual(result.status, 413)
          assert.strictEqual(result.body.error.code, "request_too_large")
          assert.isBelow(result.sent, 100 * mb)
          assert.isTrue(bin.alive())
          assert.strictEqual((yield* call(bin.url, "/assistants")).status, 200)
        }),
      120_000
    )

    it.effect("a body just under the limit is read; a refused one leaves the connection usable", () =>
      Effect.gen(function*() {
        const bin = yield* Bin.Bin
        // 4 MB of metadata value: read, then refused by the schema (a 400 that names the param)
        const big = { metadata: { k: "v".repeat(4 * mb - 100) } }
        const read = yield* call(bin.url, "/threads", { body: big })
        assert.strictEqual(read.status, 400)
        assert.strictEqual(read.body.error.param, "metadata.k")
        const refused = yield* call(bin.url, "/threads", { body: { metadata: { k: "v".repeat(4 * mb) } } })
        assert.strictEqual(refused.status, 413)
        assert.strictEqual((yield* call(bin.url, "/threads", { body: {} })).status, 200)
      }))

    it.effect("10,000-deep function parameters: 400 naming the parameter, and the list still answers", () =>
      Effect.gen(function*() {
        const bin = yield* Bin.Bin
        const tool = (depth: number) => `{"type":"function","function":{"name":"f","parameters":${nested(depth)}}}`
        const refused = yield* call(bin.url, "/assistants", { body: `{"model":"m","tools":[${tool(10_000)}]}` })
        assert.strictEqual(refused.status, 400)
        assert.strictEqual(refused.body.error.param, "tools[0].function.parameters")
        assert.strictEqual(refused.body.error.type, "invalid_request_error")
        const list = yield* call(bin.url, "/assistants?order=asc")
        assert.strictEqual(list.status, 200)
        // at the limit it is stored and served: the body, tools, the tool, function, then 60 levels
        assert.strictEqual(
          (yield* call(bin.url, "/assistants", { body: `{"model":"m","tools":[${tool(30)}]}` })).status,
          400
        )
        const stored = yield* call(bin.url, "/assistants", { body: `{"model":"m","tools":[${tool(29)}]}` })
        assert.strictEqual(stored.status, 200, JSON.stringify(stored.body))
        assert.strictEqual((yield* call(bin.url, `/assistants/${stored.body.id}`)).status, 200)
        assert.strictEqual((yield* call(bin.url, "/assistants")).status, 200)
      }))

    it.effect("deep JSON anywhere: 400 naming where, never a 500", () =>
      Effect.gen(function*() {
        const bin = yield* Bin.Bin
        const thread = (yield* call(bin.url, "/threads", { body: {} })).body.id as string
        const assistant = (yield* call(bin.url, "/assistants", { body: { model: "m" } })).body.id as string
        const deep = deepArray(100_000)
        const cases: Array<[string, string, string | null]> = [
          ["/threads", `{"metadata":{"k":${deep}}}`, "metadata"],
          [`/threads/${thread}/messages`, `{"role":"user","content":${deep}}`, "content"],
          [`/threads/${thread}/messages`, `{"role":"user","content":"x","metadata":${deep}}`, "metadata"],
          ["/threads", `{"messages":[{"role":"user","content":"x","metadata":{"a":${deep}}}]}`, "messages[0].metadata"],
          [
            `/threads/${thread}/runs`,
            `{"assistant_id":"${assistant}","tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`,
            "tools[0].function.parameters"
          ],
          [
            "/assistants",
            `{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"n","schema":${deep}}}}`,
            "response_format.json_schema.schema"
          ],
          ["/assistants", deep, null]
        ]
        for (const [path, body, param] of cases) {
          const response = yield* call(bin.url, path, { body })
          assert.strictEqual(response.status, 400, `${path} ${param}`)
          assert.strictEqual(response.body.error.param, param, `${path}: ${response.body.error.message}`)
        }
        assert.strictEqual((yield* call(bin.url, `/threads/${thread}/runs`)).status, 200)
        assert.strictEqual((yield* call(bin.url, `/threads/${thread}/messages`)).status, 200)
      }))

    it.effect("instructions, message text and message counts past their limits: 400 naming the parameter", () =>
      Effect.gen(function*() {
        const bin = yield* Bin.Bin
        const thread = (yield* call(bin.url, "/threads", { body: {} })).body.id as string
        const assistant = (yield* call(bin.url, "/assistants", { body: { model: "m" } })).body.id as string
        const message = (content: unknown) => ({ role: "user", content })
        const six = Array.from({ length: 6 }, () => message("x"))
        const cases: Array<[string, unknown, string]> = [
          ["/assistants", { model: "m", instructions: "x".repeat(256_001) }, "instructions"],
          [`/threads/${thread}/runs`, { assistant_id: assistant, instructions: "x".repeat(256_001) }, "instructions"],
          [
            `/threads/${thread}/runs`,
            { assistant_id: assistant, additional_instructions: "x".repeat(256_001) },
            "additional_instructions"
          ],
          [`/threads/${thread}/runs`, { assistant_id: assistant, additional_messages: six }, "additional_messages"],
          [
            `/threads/${thread}/runs`,
            { assistant_id: assistant, additional_messages: [message("x".repeat(1001))] },
            "additional_messages[0].content"
          ],
          ["/threads", { messages: six }, "messages"],
          ["/threads/runs", { assistant_id: assistant, thread: { messages: six } }, "thread.messages"],
          [`/threads/${thread}/messages`, message("x".repeat(1001)), "content"],
          [
            `/threads/${thread}/messages`,
            message([{ type: "text", text: "x".repeat(600) }, { type: "text", text: "y".repeat(401) }]),
            "content"
          ],
          [
            "/assistants",
            { model: "m", tools: Array.from({ length: 129 }, () => ({ type: "code_interpreter" })) },
            "tools"
          ],
          [
            `/threads/${thread}/runs`,
            { assistant_id: assistant, tools: Array.from({ length: 21 }, () => ({ type: "code_interpreter" })) },
            "tools"
          ],
          [
            "/threads",
            { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) },
            "metadata"
          ]
        ]
        for (const [path, body, param] of cases) {
          const response = yield* call(bin.url, path, { body })
          assert.strictEqual(response.status, 400, `${path} ${param}: ${JSON.stringify(response.body)}`)
          assert.strictEqual(response.body.error.param, param, `${path}: ${response.body.error.message}`)
        }
        // at the limits: accepted
        assert.strictEqual((yield* call(bin.url, "/threads", { body: { messages: six.slice(1) } })).status, 200)
        const longest = yield* call(bin.url, `/threads/${thread}/messages`, { body: message("x".repeat(1000)) })
        assert.strictEqual(longest.status, 200)
        assert.strictEqual((yield* call(bin.url, `/threads/${thread}/runs`)).status, 200)
      }))
  }
)
