/**
 * Tracing: one span per API call, named after it, a child of the caller's span, with the method,
 * the path template, the status and the request id; the request carries that span's trace context
 * (`traceparent`) to a loopback server that records it; no second span from the platform; the API
 * key in no span; the tracer or propagation turned off by the user is honoured.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientPlatform from "@effect/platform/HttpClient"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import type * as Http from "node:http"
import { AssistantsClient, type AssistantsConfig, AssistantsLive, Runs, Threads } from "../src/index.js"
import * as Tracing from "../src/layers/internal/tracing.js"
import * as NodeTransport from "../src/layers/NodeTransport.js"
import * as fx from "./utils/fixtures.js"
import { type Seen, server } from "./utils/loopback.js"
import { recordingTracer } from "./utils/tracing.js"

const secret = "sk-TRACE-SECRET-0123456789abcdef"

/** Everything a span recorded, as text: its name, attributes, links, events and how it ended. */
const recorded = (span: Tracer.Span) => {
  const native = span as Tracer.Span & { events?: ReadonlyArray<unknown> }
  return JSON.stringify({
    name: span.name,
    attributes: [...span.attributes.entries()].map(([k, v]) => [k, String(v)]),
    links: span.links.map((l) => [...Object.entries(l.attributes)]),
    events: native.events ?? [],
    // a failed call's error, as a tracer exporting the span would show it
    status: span.status._tag !== "Ended"
      ? "open"
      : span.status.exit._tag === "Success"
      ? "success"
      : [Cause.pretty(span.status.exit.cause), [...Cause.failures(span.status.exit.cause)]]
  }, (_, value) => typeof value === "bigint" ? String(value) : value)
}

const w3c = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/

const json = (response: Http.ServerResponse, status: number, body: unknown, requestId: string) =>
  response.writeHead(status, { "content-type": "application/json", "x-request-id": requestId }).end(
    JSON.stringify(body)
  )

const transports = [
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["NodeTransport", NodeTransport.layer]
] as const

describe("traceparent", () => {
  it.effect("is the platform's W3C encoding of the span, sampled or not, its parent's trace or a new one", () =>
    Effect.gen(function*() {
      const root = yield* Effect.makeSpan("root")
      const child = yield* Effect.makeSpan("child", { parent: root })
      // the default tracer samples every span: one a sampling tracer left out
      const unsampled: Tracer.Span = { ...(yield* Effect.makeSpan("unsampled")), sampled: false }
      for (const span of [root, child, unsampled]) {
        assert.strictEqual(Tracing.traceparent(span), HttpTraceContext.toHeaders(span).traceparent)
        assert.match(Tracing.traceparent(span), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      }
      assert.isTrue(Tracing.traceparent(unsampled).endsWith("-00"))
      assert.strictEqual(Tracing.traceparent(child).split("-")[1], root.traceId)
    }))
})

describe.each(transports)("tracing over %s", (_, transport) => {
  /** A loopback server answering from `reply`, recording every request, and the services over it. */
  const setup = (
    reply: (seen: Seen, response: Http.ServerResponse, index: number) => void,
    options: AssistantsConfig.Options = {}
  ) =>
    Effect.gen(function*() {
      const requests: Array<Seen> = []
      const { url } = yield* server((seen, response) => {
        requests.push(seen)
        reply(seen, response, requests.length - 1)
      })
      const context = yield* Layer.build(
        Layer.provideMerge(
          AssistantsLive.services,
          AssistantsClient.layer({ baseUrl: `${url}/v1`, apiKey: Redacted.make(secret), ...options })
        ).pipe(Layer.provide(transport as Layer.Layer<HttpClient.HttpClient>))
      )
      return { context, requests, url }
    })

  it.live("a call inside the caller's span: one child span, its traceparent on the wire", () =>
    Effect.scoped(Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const { context, requests } = yield* setup((_, response) => json(response, 200, fx.run, "req_trace_1"))
      const caller = yield* Effect.gen(function*() {
        const caller = yield* Effect.currentSpan
        yield* Runs.get({ threadId: "thread_abc", runId: "run_abc" })
        return caller
      }).pipe(Effect.withSpan("user.operation"), Effect.provide(context), Effect.withTracer(tracer))

      assert.deepStrictEqual(spans.map((s) => s.name), ["user.operation", "Runs.get"])
      const span = spans[1]
      assert.strictEqual(span.kind, "client")
      assert.strictEqual(span.traceId, caller.traceId)
      assert.strictEqual(span.parent._tag === "Some" && span.parent.value.spanId, caller.spanId)
      assert.deepStrictEqual(Object.fromEntries(span.attributes), {
        "http.request.method": "GET",
        "url.template": "/threads/{thread_id}/runs/{run_id}",
        "http.response.status_code": 200,
        "http.response.header.x-request-id": "req_trace_1"
      })
      assert.strictEqual(span.status._tag, "Ended")

      assert.strictEqual(requests.length, 1)
      const match = w3c.exec(String(requests[0].headers["traceparent"]))
      assert.isNotNull(match)
      assert.strictEqual(match![1], caller.traceId)
      assert.strictEqual(match![2], span.spanId)
      for (const s of spans) assert.notInclude(recorded(s), secret)
    })))

  it.live("a retried call is one span; the last answer's status and request id, the resend count, the error", () =>
    Effect.scoped(Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const { context, requests } = yield* setup(
        (_, response, i) =>
          i === 0
            ? json(response, 500, { error: { message: "boom", type: "server_error" } }, "req_500")
            : json(response, 404, { error: { message: "No thread", type: "invalid_request_error" } }, "req_404"),
        { retry: Schedule.recurs(3), authHeader: "api-key" }
      )
      const error = yield* Effect.flip(
        Threads.get({ threadId: "thread_gone" }).pipe(Effect.provide(context), Effect.withTracer(tracer))
      )
      assert.strictEqual(error._tag, "NotFoundError")
      assert.strictEqual(requests.length, 2)
      assert.deepStrictEqual(spans.map((s) => s.name), ["Threads.get"])
      const span = spans[0]
      assert.deepStrictEqual(Object.fromEntries(span.attributes), {
        "http.request.method": "GET",
        "url.template": "/threads/{thread_id}",
        "http.response.status_code": 404,
        "http.response.header.x-request-id": "req_404",
        "http.request.resend_count": 1
      })
      assert.isTrue(span.status._tag === "Ended" && span.status.exit._tag === "Failure")
      // both attempts carried the same trace context: the one span's
      const parents = requests.map((r) => w3c.exec(String(r.headers["traceparent"]))?.[2])
      assert.deepStrictEqual(parents, [span.spanId, span.spanId])
      // the key went out under its header, and into no span
      assert.strictEqual(requests[0].headers["api-key"], secret)
      assert.notInclude(recorded(span), secret)
    })))

  it.live("a streamed call's span lasts until its scope closes, and its request carries it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const { context, requests } = yield* setup((_, response) => {
        response.writeHead(200, { "content-type": "text/event-stream", "x-request-id": "req_sse" })
        response.end("event: done\ndata: [DONE]\n\n")
      })
      const client = Context.get(context, AssistantsClient.AssistantsClient)
      const text = yield* Effect.scoped(Effect.gen(function*() {
        const response = yield* client.stream({ name: "Runs.createStream", method: "POST", path: "/threads/t_1/runs" })
        assert.strictEqual(spans[0].status._tag, "Started")
        return yield* response.text
      })).pipe(Effect.withTracer(tracer))
      assert.strictEqual(text, "event: done\ndata: [DONE]\n\n")
      assert.deepStrictEqual(spans.map((s) => s.name), ["Runs.createStream"])
      assert.strictEqual(spans[0].status._tag, "Ended")
      assert.strictEqual(spans[0].attributes.get("url.template"), "/threads/{thread_id}/runs")
      assert.strictEqual(spans[0].attributes.get("http.response.header.x-request-id"), "req_sse")
      assert.strictEqual(w3c.exec(String(requests[0].headers["traceparent"]))?.[2], spans[0].spanId)
    })))

  it.live("with the tracer off: no span and no trace context; with propagation off: a span, no trace context", () =>
    Effect.scoped(Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const { context, requests } = yield* setup((_, response) => json(response, 200, fx.thread, "req_t"))
      const get = Threads.get({ threadId: "thread_1" }).pipe(Effect.provide(context), Effect.withTracer(tracer))
      yield* Effect.withTracerEnabled(get, false)
      assert.deepStrictEqual(spans, [])
      assert.isUndefined(requests[0].headers["traceparent"])
      yield* Effect.locally(get, HttpClientPlatform.currentTracerPropagation, false)
      assert.deepStrictEqual(spans.map((s) => s.name), ["Threads.get"])
      assert.isUndefined(requests[1].headers["traceparent"])
      assert.isUndefined(requests[1].headers["b3"])
    })))
})
