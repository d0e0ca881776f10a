/**
 * One interface over every client the benchmark compares, each used as its users use it.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { AssistantsClient, AssistantsLive, AssistantStream, Messages, Runs } from "effect-assistants"
import * as NodeTransport from "effect-assistants/node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { Agent, request } from "node:http"
import OpenAI from "openai"
import * as Undici from "undici"
import { callId, now } from "./fixtures.js"

export interface Adapter {
  readonly name: string
  readonly getRun: () => Promise<unknown>
  readonly listMessages: () => Promise<unknown>
  /** Pages through a thread's runs; returns how many it saw. */
  readonly listAllRuns: (thread: string, limit: number) => Promise<number>
  /** Creates a run and polls it to completion; returns its id and when (`now()`) the caller saw it done. */
  readonly createAndPoll: (thread: string, intervalMs: number | undefined) => Promise<{ id: string; seenMs: number }>
  /**
   * Streamed clients only. A streamed run with a tool round: the create's stream to
   * `requires_action`, the outputs submitted, that stream to the final run; returns when
   * (`now()`) the caller held the final run.
   */
  readonly streamToolRound?: () => Promise<number>
  /** Creates a run with `stream: true` and folds its events to the final run (as `createAndPoll`). */
  readonly createAndStream?: (thread: string) => Promise<{ id: string; seenMs: number }>
  /** Folds one long stream (`thread_streambig_<n>`) to its final run; returns the text's length. */
  readonly streamLong?: (thread: string) => Promise<number>
  readonly close: () => Promise<void>
}

const toolThread = "thread_streamtool"
const output = JSON.stringify({ temperature: 18, unit: "c" })

const thread = "thread_bench000000000000001"
const runId = "run_bench0000000000000000"
const assistantId = "asst_bench0000000000000001"

const effectAdapter = (
  name: string,
  baseUrl: string,
  http: Layer.Layer<HttpClient.HttpClient>,
  tracer = true
): Adapter => {
  // the services and the client they share (the streamed calls need the client itself, which
  // `AssistantsLive.layer` does not expose)
  const live = AssistantsLive.services.pipe(
    Layer.provideMerge(AssistantsClient.layer({ baseUrl, apiKey: Redacted.make("sk-bench") })),
    Layer.provide(http)
  )
  // the runtime keeps the fiber refs its layer set: with the tracer off, no span and no traceparent
  const runtime = ManagedRuntime.make(tracer ? live : Layer.merge(live, Layer.setTracerEnabled(false)))
  const finalRun = <E, R>(events: Parameters<typeof AssistantStream.accumulate<E, R>>[0]) =>
    Effect.flatMap(AssistantStream.accumulate(events), (snapshot) => snapshot.run)
  return {
    name,
    getRun: () => runtime.runPromise(Runs.get({ threadId: thread, runId })),
    listMessages: () => runtime.runPromise(Messages.list({ threadId: thread })),
    listAllRuns: (t, limit) => runtime.runPromise(Stream.runCount(Runs.listAll({ threadId: t, limit }))),
    createAndPoll: (t, intervalMs) =>
      runtime.runPromise(
        Effect.map(
          Runs.createAndPoll({
            threadId: t,
            assistantId,
            ...(intervalMs !== undefined ? { interval: `${intervalMs} millis` } : {})
          }),
          (run) => ({ id: run.id, seenMs: now() })
        )
      ),
    streamToolRound: () =>
      runtime.runPromise(Effect.gen(function*() {
        const first = yield* finalRun(Runs.createStream({ threadId: toolThread, assistantId }))
        if (first.status !== "requires_action") throw new Error(first.status)
        const last = yield* finalRun(Runs.submitToolOutputsStream({
          threadId: toolThread,
          runId: first.id,
          toolOutputs: [{ toolCallId: callId, output }]
        }))
        const seenMs = now()
        if (last.status !== "completed") throw new Error(last.status)
        return seenMs
      })),
    createAndStream: (t) =>
      runtime.runPromise(
        Effect.map(finalRun(Runs.createStream({ threadId: t, assistantId })), (run) => ({ id: run.id, seenMs: now() }))
      ),
    streamLong: (t) =>
      runtime.runPromise(Effect.gen(function*() {
        const snapshot = yield* AssistantStream.accumulate(Runs.createStream({ threadId: t, assistantId }))
        const content = snapshot.messages[0]?.content[0]
        if (Option.isNone(snapshot.run) || content?.type !== "text") throw new Error("no text")
        return content.text.value.length
      })),
    close: () => runtime.dispose()
  }
}

const openaiAdapter = (baseUrl: string): Adapter => {
  const client = new OpenAI({ apiKey: "sk-bench", baseURL: baseUrl })
  return {
    name: "openai",
    getRun: () => client.beta.threads.runs.retrieve(runId, { thread_id: thread }),
    listMessages: () => client.beta.threads.messages.list(thread),
    listAllRuns: async (t, limit) => {
      let n = 0
      for await (const _ of client.beta.threads.runs.list(t, { limit })) n++
      return n
    },
    createAndPoll: async (t, intervalMs) => {
      const run = await client.beta.threads.runs.createAndPoll(
        t,
        { assistant_id: assistantId },
        intervalMs !== undefined ? { pollIntervalMs: intervalMs } : {}
      )
      return { id: run.id, seenMs: now() }
    },
    streamToolRound: async () => {
      const first = await client.beta.threads.runs.stream(toolThread, { assistant_id: assistantId }).finalRun()
      if (first.status !== "requires_action") throw new Error(first.status)
      const last = await client.beta.threads.runs.submitToolOutputsStream(first.id, {
        thread_id: toolThread,
        tool_outputs: [{ tool_call_id: callId, output }]
      }).finalRun()
      const seenMs = now()
      if (last.status !== "completed") throw new Error(last.status)
      return seenMs
    },
    createAndStream: async (t) => {
      const run = await client.beta.threads.runs.stream(t, { assistant_id: assistantId }).finalRun()
      return { id: run.id, seenMs: now() }
    },
    streamLong: async (t) => {
      const stream = client.beta.threads.runs.stream(t, { assistant_id: assistantId })
      await stream.finalRun()
      const [message] = await stream.finalMessages()
      const content = message?.content[0]
      if (content?.type !== "text") throw new Error("no text")
      return content.text.value.length
    },
    close: async () => {}
  }
}

const headers = { authorization: "Bearer sk-bench", "openai-beta": "assistants=v2", accept: "application/json" }

/** One request of a raw client: the parsed body and the server's poll hint, if any. */
type Call = (method: string, path: string, body?: string) => Promise<{ json: any; hint: number | undefined }>

/** A raw client from its one request function: JSON.parse, no validation, no retries. */
const rawAdapter = (name: string, call: Call, close: () => Promise<void> = async () => {}): Adapter => ({
  name,
  getRun: () => call("GET", `/threads/${thread}/runs/${runId}`).then((r) => r.json),
  listMessages: () => call("GET", `/threads/${thread}/messages`).then((r) => r.json),
  listAllRuns: async (t, limit) => {
    let n = 0
    let after: string | null = null
    for (;;) {
      const { json }: { json: any } = await call(
        "GET",
        `/threads/${t}/runs?limit=${limit}${after ? `&after=${after}` : ""}`
      )
      n += json.data.length
      if (!json.has_more) return n
      after = json.last_id
    }
  },
  createAndPoll: async (t, intervalMs) => {
    const created = await call("POST", `/threads/${t}/runs`, JSON.stringify({ assistant_id: assistantId }))
    let run = created.json
    let hint = created.hint ?? 5000
    while (run.status !== "completed") {
      await new Promise((r) => setTimeout(r, intervalMs ?? hint))
      const next = await call("GET", `/threads/${t}/runs/${run.id}`)
      run = next.json
      hint = next.hint ?? 5000
    }
    return { id: run.id, seenMs: now() }
  },
  close
})

const hintOf = (value: string | ReadonlyArray<string> | null | undefined) =>
  typeof value === "string" ? Number(value) : undefined

const requestHeaders = (
  body: string | undefined
) => (body ? { ...headers, "content-type": "application/json" } : headers)

/** fetch. */
const fetchAdapter = (baseUrl: string): Adapter =>
  rawAdapter("fetch", async (method, path, body) => {
    const response = await fetch(`${baseUrl}${path}`, { method, headers: requestHeaders(body), body: body ?? null })
    return { json: await response.json(), hint: hintOf(response.headers.get("openai-poll-after-ms")) }
  })

/** undici's own `request` with a keep-alive agent: the floor under `NodeHttpClient.layerUndici`. */
const undiciAdapter = (baseUrl: string): Adapter => {
  const url = new URL(baseUrl)
  const agent = new Undici.Agent()
  return rawAdapter(
    "undici",
    async (method, path, body) => {
      const response = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${path}`,
        method: method as "GET",
        headers: requestHeaders(body),
        body: body ?? null
      })
      return { json: JSON.parse(await response.body.text()), hint: hintOf(response.headers["openai-poll-after-ms"]) }
    },
    () => agent.close()
  )
}

/**
 * The platform's own client over `NodeHttpClient.layerUndici`, with no client of ours on it: one
 * request and `response.json`, run by a `ManagedRuntime` as ours are (the platform's span and
 * `traceparent` on, as its users get them). What any Effect program pays on that transport before
 * validating a byte: the floor under effect-undici.
 */
const platformUndiciAdapter = (baseUrl: string): Adapter => {
  const runtime = ManagedRuntime.make(NodeHttpClient.layerUndici)
  return rawAdapter(
    "platform-undici",
    (method, path, body) =>
      runtime.runPromise(Effect.flatMap(HttpClient.HttpClient, (client) =>
        Effect.flatMap(
          client.execute(
            HttpClientRequest.make(method as "GET")(`${baseUrl}${path}`, {
              headers,
              ...(body !== undefined ? { body: HttpBody.text(body, "application/json") } : {})
            })
          ),
          (response) =>
            Effect.map(response.json, (json) => ({ json, hint: hintOf(response.headers["openai-poll-after-ms"]) }))
        ))),
    () => runtime.dispose()
  )
}

/** node:http with a keep-alive agent: the floor. */
const nodeHttpAdapter = (baseUrl: string): Adapter => {
  const url = new URL(baseUrl)
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  return rawAdapter(
    "node:http",
    (method, path, body) =>
      new Promise((resolve, reject) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          method,
          path: `${url.pathname}${path}`,
          agent,
          headers: requestHeaders(body)
        }, (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (c) => chunks.push(c))
          res.on("end", () =>
            resolve({
              json: JSON.parse(Buffer.concat(chunks).toString("utf8")),
              hint: hintOf(res.headers["openai-poll-after-ms"])
            }))
          res.on("error", reject)
        })
        req.on("error", reject)
        req.end(body)
      }),
    async () => agent.destroy()
  )
}

export const names = [
  "effect-undici",
  "effect-fetch",
  "effect-node",
  "openai",
  "fetch",
  "undici",
  "node:http",
  "effect-undici-notrace",
  "effect-platform-node",
  "platform-undici"
] as const
export type Name = (typeof names)[number]

/** The clients that stream runs. */
export const streaming: ReadonlyArray<Name> = ["effect-undici", "effect-node", "openai"]

export const make = (name: Name, baseUrl: string): Adapter => {
  switch (name) {
    case "effect-undici":
      return effectAdapter(name, baseUrl, NodeHttpClient.layerUndici)
    case "effect-fetch":
      return effectAdapter(name, baseUrl, FetchHttpClient.layer)
    case "effect-node":
      return effectAdapter(name, baseUrl, NodeTransport.layer)
    case "effect-undici-notrace":
      return effectAdapter(name, baseUrl, NodeHttpClient.layerUndici, false)
    case "effect-platform-node":
      // the platform's own node:http client (issue 16, item 5), as its users provide it
      return effectAdapter(name, baseUrl, NodeHttpClient.layer)
    case "openai":
      return openaiAdapter(baseUrl)
    case "fetch":
      return fetchAdapter(baseUrl)
    case "undici":
      return undiciAdapter(baseUrl)
    case "platform-undici":
      return platformUndiciAdapter(baseUrl)
    case "node:http":
      return nodeHttpAdapter(baseUrl)
  }
}
