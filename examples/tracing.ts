/**
 * Tracing: every API call is one span named after it (`Threads.create`), a child of whatever span
 * the caller is in, and its request carries the trace context (`traceparent`). A tracer that
 * records spans stands in here for an OpenTelemetry exporter (`@effect/opentelemetry`). The
 * embedded server runs in this process, so its `http.server` spans are recorded too, each under
 * the call that reached it.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Assistants, AssistantsLive, Messages, Threads } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/** Effect's own tracer, keeping every span it starts. */
const recorded: Array<Tracer.Span> = []
const RecordingTracer = Layer.unwrapEffect(Effect.map(Effect.tracer, (tracer) =>
  Layer.setTracer(Tracer.make({
    span: (...args) => {
      const span = tracer.span(...args)
      recorded.push(span)
      return span
    },
    context: (f, fiber) => tracer.context(f, fiber)
  }))))

const program = Effect.gen(function*() {
  const assistant = yield* Assistants.create({ model: "gpt-4o", name: "Tracing example" })
  const thread = yield* Threads.create({ messages: [{ role: "user", content: "Hello" }] })
  yield* Messages.list({ threadId: thread.id })
  yield* Threads.delete({ threadId: thread.id })
  yield* Assistants.delete({ assistantId: assistant.id })
}).pipe(Effect.withSpan("onboarding", { attributes: { team: "docs" } }))

/** Prints each span under its parent, with its duration and a few attributes. */
const printTree = Effect.suspend(() => {
  const shown = ["team", "http.request.method", "url.template", "http.route", "http.response.status_code"]
  const lines: Array<string> = []
  const print = (span: Tracer.Span, depth: number): void => {
    const ms = span.status._tag === "Ended" ? Number(span.status.endTime - span.status.startTime) / 1e6 : NaN
    const attributes = shown.filter((key) => span.attributes.has(key))
      .map((key) => `${key}=${String(span.attributes.get(key))}`)
    lines.push(`${"  ".repeat(depth)}${span.name} ${ms.toFixed(1)} ms ${attributes.join(" ")}`)
    recorded.filter((child) => Option.exists(child.parent, (parent) => parent.spanId === span.spanId))
      .forEach((child) => print(child, depth + 1))
  }
  const ids = new Set(recorded.map((span) => span.spanId))
  recorded.filter((span) => Option.match(span.parent, { onNone: () => true, onSome: (p) => !ids.has(p.spanId) }))
    .forEach((root) => print(root, 0))
  return Console.log(lines.join("\n"))
})

const Live = Layer.unwrapEffect(
  Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
).pipe(Layer.provide(NodeTransport.layer))

NodeRuntime.runMain(
  program.pipe(
    Effect.provide(Live),
    Effect.provide(AssistantsServer.layer()),
    Effect.provide(RecordingTracer),
    Effect.zipRight(printTree)
  )
)
