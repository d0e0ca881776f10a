/**
 * What the end-to-end tests of the real-model providers share: our server over a provider whose
 * upstream is a loopback fake, the official openai SDK as its client, and the small pieces of a
 * run (an assistant with its thread, an upstream error body, a function tool's schema).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, assert, beforeAll } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import OpenAI from "openai"
import { fastTimings } from "../../../test/utils/Harness.js"
import type { Model } from "../../src/Model.js"
import type * as Upstream from "../../src/models/Upstream.js"
import * as FakeUpstream from "./FakeUpstream.js"

const Fake = Context.GenericTag<FakeUpstream.Fake>("test/FakeUpstream")

/** The SDK client of our server and the fake upstream behind it, set in `beforeAll`. */
export interface Harness {
  openai: OpenAI
  fake: FakeUpstream.Fake
}

/**
 * Our server over a provider (`layer`) whose upstream is the fake, for the tests of one `describe`:
 * key `sk-upstream`, `gpt-4o` renamed `upstreamModel`, fast retries, then `options`.
 */
export const setup = (
  kind: "chat" | "responses" | "anthropic",
  layer: (options: Upstream.Options) => Layer.Layer<Model, never, HttpClient.HttpClient>,
  upstreamModel: string,
  options: Partial<Upstream.Options> = {}
): Harness => {
  const model = (baseUrl: string) =>
    layer({
      baseUrl,
      apiKey: Redacted.make("sk-upstream"),
      modelMap: { "gpt-4o": upstreamModel },
      retryBase: "5 millis",
      ...options
    })
  const env = Layer.unwrapEffect(Effect.map(Fake, (fake) =>
    AssistantsServer.layer({
      timings: { ...fastTimings, step: 0 },
      model: model(fake.url).pipe(Layer.provide(NodeHttpClient.layerUndici))
    }))).pipe(Layer.provideMerge(Layer.scoped(Fake, FakeUpstream.make(kind))))
  const runtime = ManagedRuntime.make(env)
  const state = {} as Harness
  beforeAll(async () => {
    const { url } = await runtime.runPromise(AssistantsServer.AssistantsServer)
    state.fake = await runtime.runPromise(Fake)
    state.openai = new OpenAI({ apiKey: "unused", baseURL: url, maxRetries: 0 })
  })
  afterAll(() => runtime.dispose())
  return state
}

/** An upstream error body, the same in both APIs. */
export const error = (message: string, type = "server_error") => ({
  error: { message, type, param: null, code: null }
})

/** A Chat Completions answer (not streamed): `message` with the finish reason and token counts. */
export const completion = (message: object, finish: string, prompt = 10, out = 3) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "llama3.2",
  choices: [{
    index: 0,
    message: { role: "assistant", refusal: null, ...message },
    finish_reason: finish,
    logprobs: null
  }],
  usage: { prompt_tokens: prompt, completion_tokens: out, total_tokens: prompt + out }
})

/** A function tool's parameters. */
export const weather = {
  type: "object",
  properties: { city: { type: "string", description: "a city" }, unit: { enum: ["c", "f"] } },
  required: ["city", "unit"],
  additionalProperties: false
}

export const poll = { pollIntervalMs: 5 }

/** An assistant ("Be brief.") and a thread whose one user message is `text`. */
export const newThread = async (
  openai: OpenAI,
  text: string,
  assistant: Partial<OpenAI.Beta.AssistantCreateParams> = {}
) => {
  const a = await openai.beta.assistants.create({ model: "gpt-4o", instructions: "Be brief.", ...assistant })
  const thread = await openai.beta.threads.create({ messages: [{ role: "user", content: text }] })
  return { assistant: a, thread }
}

/**
 * One run of a new thread ("hi") polled to its end with the upstream answering `replies`; with the
 * number of upstream requests made before it.
 */
export const runWith = async ({ fake, openai }: Harness, ...replies: ReadonlyArray<FakeUpstream.Reply>) => {
  fake.script(...replies)
  const { assistant, thread } = await newThread(openai, "hi")
  const before = fake.requests.length
  const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll)
  return { run, before }
}

/**
 * A run cancelled while the upstream streams (`reply` must hang): waits until the upstream is
 * streaming, cancels, and waits for the upstream to see its connection close. The run as polled
 * to its end, with its thread.
 */
export const cancelWhileStreaming = async ({ fake, openai }: Harness, reply: FakeUpstream.Reply) => {
  fake.script(reply)
  const { assistant, thread } = await newThread(openai, "think")
  const before = fake.requests.length
  const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })
  for (let i = 0; i < 500 && fake.requests.length === before; i++) await new Promise((r) => setTimeout(r, 5))
  const upstream = fake.requests[before]
  await Effect.runPromise(Deferred.await(upstream.streaming))
  await openai.beta.threads.runs.cancel(run.id, { thread_id: thread.id })
  await Effect.runPromise(Deferred.await(upstream.closed).pipe(Effect.timeout("2 seconds")))
  const ended = await openai.beta.threads.runs.poll(run.id, { thread_id: thread.id }, poll)
  return { ended, thread }
}

/**
 * A streamed run of a new thread ("hi") with extra instructions and sampling set, the upstream
 * answering as scripted: the text deltas the SDK saw, the run at its end, and the number of
 * upstream requests made before it.
 */
export const streamGreeting = async ({ fake, openai }: Harness) => {
  const { assistant, thread } = await newThread(openai, "hi")
  const before = fake.requests.length
  const stream = openai.beta.threads.runs.stream(thread.id, {
    assistant_id: assistant.id,
    additional_instructions: "Answer in English.",
    temperature: 0.5,
    top_p: 0.9
  })
  const deltas: Array<string> = []
  stream.on("textDelta", (d) => deltas.push(d.value ?? ""))
  const run = await stream.finalRun()
  return { before, deltas, run, thread }
}

/**
 * A streamed run whose upstream streams two parallel `weather` calls (Paris, then Oslo) and holds
 * the rest of its answer behind `latch`, opened when the SDK sees the first piece of arguments
 * as a `thread.run.step.delta`: the run gets past the latch only if the calls reach the client as
 * they arrive. `reply` builds the upstream's answer around the latch; its first call must stream
 * `{"city":"Paris",` before the latch. Checks what the SDK saw before the latch (the first call's
 * id and name, then that piece), that the pieces of each call join to the arguments of the run's
 * `required_action`, and that the upstream's traffic kept to its contract.
 */
export const callsStreamedLive = async (
  { fake, openai }: Harness,
  reply: (latch: Deferred.Deferred<void>) => FakeUpstream.Reply
) => {
  const latch = Effect.runSync(Deferred.make<void>())
  fake.script(reply(latch))
  const tool = { type: "function" as const, function: { name: "weather", parameters: weather, strict: true } }
  const { assistant, thread } = await newThread(openai, "weather in Paris and Oslo?", { tools: [tool] })
  const stream = openai.beta.threads.runs.stream(thread.id, {
    assistant_id: assistant.id,
    tool_choice: "required",
    parallel_tool_calls: true
  })
  const seen: Array<string> = []
  const pieces: Array<{ index: number; id?: string; name?: string; arguments: string; early: boolean }> = []
  stream.on("event", (e) => {
    seen.push(e.event)
    if (e.event !== "thread.run.step.delta" || e.data.delta.step_details?.type !== "tool_calls") return
    for (const call of e.data.delta.step_details.tool_calls ?? []) {
      if (call.type !== "function") continue
      const early = !Effect.runSync(Deferred.isDone(latch))
      const args = call.function?.arguments ?? ""
      pieces.push({
        index: call.index,
        ...(call.id !== undefined ? { id: call.id } : {}),
        ...(call.function?.name != null ? { name: call.function.name } : {}),
        arguments: args,
        early
      })
      if (args !== "") Deferred.unsafeDone(latch, Effect.void)
    }
  })
  // bounded: without live pieces the latch never opens and the upstream never finishes
  let timer: ReturnType<typeof setTimeout> | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no call piece reached the client before the upstream finished")), 10_000)
  })
  const run = await Promise.race([stream.finalRun(), bound]).finally(() => clearTimeout(timer))
  assert.strictEqual(run.status, "requires_action")
  const calls = run.required_action!.submit_tool_outputs.tool_calls
  assert.deepStrictEqual(calls.map((c) => JSON.parse(c.function.arguments)), [
    { city: "Paris", unit: "c" },
    { city: "Oslo", unit: "c" }
  ])
  assert.deepStrictEqual(pieces.filter((p) => p.early).map(({ early: _, ...p }) => p), [
    { index: 0, id: calls[0].id, name: "weather", arguments: "" },
    { index: 0, arguments: "{\"city\":\"Paris\"," }
  ])
  calls.forEach((call, index) => {
    const own = pieces.filter((p) => p.index === index)
    assert.deepStrictEqual([own[0].id, own[0].name], [call.id, "weather"])
    assert.strictEqual(own.map((p) => p.arguments).join(""), call.function.arguments)
  })
  // the step opens before its first delta; the run asks for the calls after the last one
  const firstDelta = seen.indexOf("thread.run.step.delta")
  assert.isAbove(firstDelta, seen.indexOf("thread.run.step.in_progress"))
  assert.isAbove(seen.indexOf("thread.run.requires_action"), seen.lastIndexOf("thread.run.step.delta"))
  assert.deepStrictEqual(fake.violations, [])
}

/**
 * A run of a thread whose user message holds text, an image by URL (detail `low`) and an image
 * by file id, the upstream answering `reply`: the run at its end and the upstream's view of that
 * message (the last of the request's messages or input items).
 */
export const runWithImages = async ({ fake, openai }: Harness, reply: FakeUpstream.Reply) => {
  fake.script(reply)
  const { assistant, thread } = await newThread(openai, "hello")
  await openai.beta.threads.messages.create(thread.id, {
    role: "user",
    content: [
      { type: "text", text: "What is on" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
      { type: "text", text: "and here?" },
      { type: "image_file", image_file: { file_id: "file-cat" } }
    ]
  })
  const before = fake.requests.length
  const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll)
  const sent = fake.requests[before].body
  const messages = sent.messages ?? sent.input
  return { run, sent, first: messages[messages.length - 2], last: messages[messages.length - 1] }
}
