/**
 * A tracer for tests: the default one, keeping every span it starts.
 */
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"

/** The default tracer, keeping every span it starts. */
export const recordingTracer = Effect.map(Effect.tracer, (base) => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (...args) => {
      const span = base.span(...args)
      spans.push(span)
      return span
    },
    context: base.context
  })
  return { spans, tracer }
})
