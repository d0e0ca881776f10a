/**
 * Retries and per-call overrides. The server below answers half the reads of `/assistants` with
 * a 503 and delays every read of a thread by 300 ms; the layer's policy retries the 503s, and
 * single calls change the policy, the timeout or the headers for themselves alone.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Assistants, AssistantsClient, AssistantsLive, RetryPolicy, Threads } from "effect-assistants"
import { AssistantsServer, type Faults } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"

const faultPlan: Faults.Plan = {
  seed: 7,
  rules: [
    { method: "GET", path: /^\/assistants$/, probability: 0.5, fault: { _tag: "Status", status: 503 } },
    { method: "GET", path: /^\/threads\/[^/]+$/, probability: 1, fault: { _tag: "Latency", millis: 300 } }
  ]
}

const program = Effect.gen(function*() {
  const server = yield* AssistantsServer.AssistantsServer
  const tenReads = Effect.forEach(Array.from({ length: 10 }), () => Effect.either(Assistants.list({ limit: 1 })))

  // the layer's policy: up to 5 retries from 20 ms, so every read gets through
  const retried = yield* tenReads
  yield* Console.log(`with the layer's policy: ${retried.filter(Either.isRight).length} of 10 reads succeeded`)

  // the same reads with retries off for them alone: each 503 surfaces as InternalServerError
  const once = yield* tenReads.pipe(AssistantsClient.withRetry(RetryPolicy.none))
  const failed = once.filter(Either.isLeft).map((e) => e.left._tag)
  yield* Console.log(`without retries: ${failed.length} of 10 failed (${[...new Set(failed)].join(", ")})`)
  yield* Console.log(`faults injected so far: ${JSON.stringify(server.faultStats()?.injected)}`)

  // a per-call timeout (per attempt) and extra headers
  const thread = yield* Threads.create({})
  const slow = Threads.get({ threadId: thread.id }).pipe(AssistantsClient.withHeaders({ "x-example": "retries" }))
  const timedOut = yield* slow.pipe(
    AssistantsClient.withTimeout("100 millis"),
    AssistantsClient.withRetry(RetryPolicy.none),
    Effect.flip
  )
  yield* Console.log(`with a 100 ms timeout: ${timedOut._tag} (${timedOut.message})`)
  const read = yield* slow.pipe(AssistantsClient.withTimeout("5 seconds"))
  yield* Console.log(`with a 5 s timeout: read ${read.id}`)
})

const Live = Layer.unwrapEffect(
  Effect.map(
    AssistantsServer.AssistantsServer,
    ({ url }) =>
      AssistantsLive.layer({ baseUrl: url, retry: RetryPolicy.exponential({ retries: 5, base: "20 millis" }) })
  )
).pipe(Layer.provide(NodeTransport.layer))

NodeRuntime.runMain(program.pipe(Effect.provide(Live), Effect.provide(AssistantsServer.layer({ faultPlan }))))
