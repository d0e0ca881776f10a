/**
 * What the embedded server adds to a model's turns (issue 19): the server package's dist/ over a
 * real-model provider, against a fake upstream that answers at once, so that what is left is the
 * server's own work.
 *
 * Three processes' worth of roles in two processes: the server (the provider's layer over
 * `NodeHttpClient.layerUndici`, as the bin runs it, with no scripted pauses) in a child process of
 * its own, so that its CPU is only its own; the client (plain `node:http`, kept alive) and the fake
 * upstream (plain `node:http`, canned answers written in one piece) in this one.
 *
 * Per provider (Chat Completions, Responses, Anthropic):
 * - runs with one tool round, streamed (create with a function tool and `tool_choice: required`:
 *   the upstream answers with a call; submit the output: the upstream answers with text): the
 *   server's CPU per run (its process's CPU over the batch, divided by the runs), and each turn's
 *   wall time (the request to the end of its stream) less the upstream's own time for the same
 *   request (the very body the server sent, replayed to the fake directly): the time added per turn;
 * - text runs, streamed (createThreadAndRun): the time from the request to the first
 *   `thread.message.delta`, less the time from a direct request to the upstream to its first
 *   byte: the time added to the first token.
 *
 * Beside them, `scripted`: the same runs over the scripted model (no upstream, no HTTP client),
 * which separates what a provider costs from what the rest of the server costs.
 *
 * `serverModels()` returns the rows; run alone (`npx tsx bench/serverModels.ts [--runs N]`) it
 * prints them as its last line. Build first (`npm run build`): the server is its dist/.
 */
import { spawn } from "node:child_process"
import { Agent, createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"

/** The providers measured; `scripted` is the server without an upstream. */
export type Provider = "openai-chat" | "openai-responses" | "anthropic" | "scripted"

const providers: ReadonlyArray<Provider> = ["scripted", "openai-chat", "openai-responses", "anthropic"]

// ---------------------------------------------------------------------------------------------
// the fake upstream: canned answers, chosen by what the request holds

const sse = (events: ReadonlyArray<unknown>, done = false) =>
  events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + (done ? "data: [DONE]\n\n" : "")

const words = "The weather in Paris is sunny, 21 degrees, with a light breeze from the west today.".split(" ")
  .map((w, i) => (i === 0 ? w : ` ${w}`))
const args = ["{\"city\":", "\"Paris\",", "\"unit\":\"c\"}"]

const chat = () => {
  const chunk = (delta: object, finish: string | null = null) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish }]
  })
  const usage = {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [],
    usage: {
      prompt_tokens: 20,
      completion_tokens: 9,
      total_tokens: 29
    }
  }
  return {
    call: sse([
      chunk({
        role: "assistant",
        tool_calls: [{ index: 0, id: "up_1", type: "function", function: { name: "weather", arguments: "" } }]
      }),
      ...args.map((a) => chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
      chunk({}, "tool_calls"),
      usage
    ], true),
    text: sse([
      chunk({ role: "assistant", content: "" }),
      ...words.map((w) => chunk({ content: w })),
      chunk({}, "stop"),
      usage
    ], true),
    answered: (body: string) => body.includes("\"role\":\"tool\"") || !body.includes("\"tools\"")
  }
}

const responses = () => {
  const usage = {
    input_tokens: 20,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: 9,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 29
  }
  const response = (status: string, output: ReadonlyArray<object>) => ({
    id: "resp_1",
    object: "response",
    created_at: 1,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    model: "m",
    tools: [],
    output,
    parallel_tool_calls: true,
    metadata: {},
    tool_choice: "auto",
    temperature: 1,
    top_p: 1,
    usage
  })
  const call = {
    id: "fc_1",
    type: "function_call",
    call_id: "up_1",
    name: "weather",
    arguments: args.join(""),
    status: "completed"
  }
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: words.join(""), annotations: [] }]
  }
  let n = 0
  const seq = <A extends object>(e: A) => ({ ...e, sequence_number: n++ })
  return {
    call: sse([
      seq({ type: "response.created", response: response("in_progress", []) }),
      seq({
        type: "response.output_item.added",
        output_index: 0,
        item: { ...call, arguments: "", status: "in_progress" }
      }),
      ...args.map((delta) =>
        seq({ type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 0, delta })
      ),
      seq({ type: "response.output_item.done", output_index: 0, item: call }),
      seq({ type: "response.completed", response: response("completed", [call]) })
    ]),
    text: sse([
      seq({ type: "response.created", response: response("in_progress", []) }),
      ...words.map((delta) =>
        seq({ type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta })
      ),
      seq({ type: "response.completed", response: response("completed", [message]) })
    ]),
    answered: (body: string) => body.includes("\"function_call_output\"") || !body.includes("\"tools\"")
  }
}

const anthropic = () => {
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    content: [],
    model: "m",
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 20, output_tokens: 1 }
  }
  const end = (reason: string) => [
    { type: "message_delta", delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: 9 } },
    { type: "message_stop" }
  ]
  return {
    call: sse([
      { type: "message_start", message },
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: "toolu_1", name: "weather", input: {} }
      },
      ...args.map((partial_json) => ({
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json }
      })),
      { type: "content_block_stop", index: 0 },
      ...end("tool_use")
    ]),
    text: sse([
      { type: "message_start", message },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      ...words.map((text) => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })),
      { type: "content_block_stop", index: 0 },
      ...end("end_turn")
    ]),
    answered: (body: string) => body.includes("\"tool_result\"") || !body.includes("\"tools\"")
  }
}

// the scripted model sends nothing upstream: its fake is never asked
const answers = { "openai-chat": chat, "openai-responses": responses, anthropic, scripted: chat }

/** The fake upstream; it keeps the last request body of each kind, to replay directly. */
const startUpstream = (provider: Provider) =>
  new Promise<{ url: string; bodies: { call?: string; text?: string }; close: () => void }>((resolve) => {
    const canned = answers[provider]()
    const bodies: { call?: string; text?: string } = {}
    const server = createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8")
      req.on("data", (c: string) => (body += c))
      req.on("end", () => {
        const text = canned.answered(body)
        bodies[text ? "text" : "call"] = body
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.end(text ? canned.text : canned.call)
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        bodies,
        close: () => {
          server.closeAllConnections()
          server.close()
        }
      }))
  })

// ---------------------------------------------------------------------------------------------
// the server, in a child process: this file with --serve-models

const serve = async (provider: Provider, upstreamUrl: string) => {
  // imported here: the measuring process never loads the server
  const [models, NodeHttpClient, Effect, Layer] = await Promise.all([
    import("effect-assistants-server"),
    import("@effect/platform-node/NodeHttpClient"),
    import("effect/Effect"),
    import("effect/Layer")
  ])
  const { AssistantsServer } = models
  const options = { baseUrl: upstreamUrl }
  const model = provider === "scripted"
    ? models.Model.layerScripted
    : (provider === "openai-chat"
      ? models.ChatCompletions.layer(options)
      : provider === "anthropic"
      ? models.Anthropic.layer(options)
      : models.OpenAiResponses.layer(options)).pipe(Layer.provide(NodeHttpClient.layerUndici))
  const layer = AssistantsServer.layer({ timings: { queued: 0, step: 0 }, model })
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(layer)
    const { url } = yield* Effect.provide(AssistantsServer.AssistantsServer, context)
    process.on("message", (m) => {
      if (m === "cpu") {
        const { user, system } = process.cpuUsage()
        process.send!({ cpuUs: user + system })
      }
    })
    // a measuring process killed before its `finally` (a signal) leaves no server behind
    process.on("disconnect", () => process.exit(0))
    process.send!({ url })
    yield* Effect.never
  })))
}

const startServer = (provider: Provider, upstreamUrl: string) =>
  new Promise<{ url: string; cpuUs: () => Promise<number>; stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      "--serve-models",
      provider,
      upstreamUrl
    ], {
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    let pending: ((us: number) => void) | undefined
    child.on("message", (m: any) => {
      if (typeof m.url === "string") {
        resolve({
          url: m.url,
          cpuUs: () =>
            new Promise((r) => {
              pending = r
              child.send("cpu")
            }),
          stop: () => child.kill()
        })
      } else if (typeof m.cpuUs === "number" && pending) {
        const r = pending
        pending = undefined
        r(m.cpuUs)
      }
    })
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)))
  })

// ---------------------------------------------------------------------------------------------
// the client

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

/**
 * POSTs `body`; resolves at the end of the response with its text, the total time and the time
 * to the first chunk holding `first` (to the first byte when `first` is empty).
 */
const post = (url: string, body: string, first = "") =>
  new Promise<{ text: string; ms: number; firstMs: number }>((resolve, reject) => {
    const start = performance.now()
    let firstMs = -1
    let text = ""
    const req = request(url, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "openai-beta": "assistants=v2",
        "content-length": Buffer.byteLength(body)
      }
    }, (res) => {
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        text += chunk
        if (firstMs < 0 && (first === "" || text.includes(first))) firstMs = performance.now() - start
      })
      res.on(
        "end",
        () =>
          res.statusCode === 200
            ? resolve({ text, ms: performance.now() - start, firstMs })
            : reject(new Error(`${res.statusCode} ${text}`))
      )
    })
    req.on("error", reject)
    req.end(body)
  })

/** The data of the stream's first event named `name`. */
const eventData = (stream: string, name: string): any => {
  const at = stream.indexOf(`event: ${name}\n`)
  if (at < 0) throw new Error(`no ${name} in the stream`)
  const line = stream.slice(at).split("\n")[1]
  return JSON.parse(line.slice("data: ".length))
}

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
// no upstream (the scripted model): 0
const p = (xs: ReadonlyArray<number>, q: number) =>
  xs.length === 0 ? 0 : +quantile([...xs].sort((a, b) => a - b), q).toFixed(3)

const weather = {
  type: "function",
  function: {
    name: "weather",
    description: "The weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { enum: ["c", "f"] } },
      required: ["city", "unit"]
    }
  }
}

const measure = async (provider: Provider, runs: number, warmup: number) => {
  const upstream = await startUpstream(provider)
  const server = await startServer(provider, upstream.url)
  try {
    const api = (path: string, body: unknown, first = "") => post(server.url + path, JSON.stringify(body), first)
    const withTool = JSON.parse((await api("/assistants", { model: "gpt-4o", tools: [weather] })).text).id
    const plain = JSON.parse((await api("/assistants", { model: "gpt-4o" })).text).id

    const toolRound = async () => {
      const created = await api("/threads/runs", {
        assistant_id: withTool,
        thread: { messages: [{ role: "user", content: "The weather in Paris?" }] },
        tool_choice: "required",
        stream: true
      })
      const waiting = eventData(created.text, "thread.run.requires_action")
      const call = waiting.required_action.submit_tool_outputs.tool_calls[0]
      const submitted = await api(`/threads/${waiting.thread_id}/runs/${waiting.id}/submit_tool_outputs`, {
        tool_outputs: [{ tool_call_id: call.id, output: "21" }],
        stream: true
      })
      if (!submitted.text.includes("event: thread.run.completed")) {
        throw new Error(`run not completed: ${submitted.text.slice(-300)}`)
      }
      return [created.ms, submitted.ms]
    }
    const textRun = () =>
      api("/threads/runs", {
        assistant_id: plain,
        thread: { messages: [{ role: "user", content: "Hello" }] },
        stream: true
      }, "event: thread.message.delta")

    for (let i = 0; i < warmup; i++) await toolRound()
    const turns: Array<number> = []
    const before = await server.cpuUs()
    for (let i = 0; i < runs; i++) turns.push(...(await toolRound()))
    const cpuMsPerRun = (await server.cpuUs() - before) / 1000 / runs

    // the upstream's own time for the same requests, straight from this process
    const upstreamUrl = upstream.url +
      (provider === "openai-chat" ? "/chat/completions" : provider === "anthropic" ? "/messages" : "/responses")
    const direct: Array<number> = []
    const directFirst: Array<number> = []
    for (let i = 0; i < (provider === "scripted" ? 0 : warmup + runs); i++) {
      const a = await post(upstreamUrl, upstream.bodies.call!)
      const b = await post(upstreamUrl, upstream.bodies.text!)
      if (i >= warmup) direct.push(a.ms, b.ms)
    }

    for (let i = 0; i < warmup; i++) await textRun()
    const firsts: Array<number> = []
    for (let i = 0; i < runs; i++) firsts.push((await textRun()).firstMs)
    for (let i = 0; i < (provider === "scripted" ? 0 : warmup + runs); i++) {
      const r = await post(upstreamUrl, upstream.bodies.text!)
      if (i >= warmup) directFirst.push(r.firstMs)
    }
    return {
      cpuMsPerRun: +cpuMsPerRun.toFixed(3),
      turnP50Ms: p(turns, 0.5),
      upstreamTurnP50Ms: p(direct, 0.5),
      addedPerTurnP50Ms: +(p(turns, 0.5) - p(direct, 0.5)).toFixed(3),
      addedPerTurnP95Ms: +(p(turns, 0.95) - p(direct, 0.95)).toFixed(3),
      firstTokenP50Ms: p(firsts, 0.5),
      upstreamFirstByteP50Ms: p(directFirst, 0.5),
      addedToFirstTokenP50Ms: +(p(firsts, 0.5) - p(directFirst, 0.5)).toFixed(3)
    }
  } finally {
    server.stop()
    upstream.close()
  }
}

/**
 * The rows, by provider: the server's CPU per run with one tool round (ms), each turn's wall time
 * and the upstream's own for the same request (p50, ms) and their difference, the time added per
 * turn (p50 and p95); the time to the first streamed token, the upstream's time to its first byte,
 * and their difference, the time added to the first token (p50, ms).
 */
export const serverModels = async (
  options: { readonly runs?: number; readonly warmup?: number; readonly providers?: ReadonlyArray<Provider> } = {}
): Promise<Record<string, Record<string, number>>> => {
  const rows: Record<string, Record<string, number>> = {}
  for (const provider of options.providers ?? providers) {
    rows[provider] = await measure(provider, options.runs ?? 1_000, options.warmup ?? 200)
  }
  agent.destroy()
  return rows
}

const serveAt = process.argv.indexOf("--serve-models")
if (serveAt > 0) {
  serve(process.argv[serveAt + 1] as Provider, process.argv[serveAt + 2]).catch((e) => {
    console.error(e)
    process.exit(1)
  })
} else if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runsAt = process.argv.indexOf("--runs")
  serverModels(runsAt > 0 ? { runs: Number(process.argv[runsAt + 1]) } : {}).then((rows) => {
    // the last line: the rows
    console.log(JSON.stringify(rows))
  }, (e) => {
    console.error(e)
    process.exit(1)
  })
}
