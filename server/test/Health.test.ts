/**
 * `/healthz` and `/readyz` in process: answered without credentials or the beta header, and
 * `/readyz` fails once the process is stopping (the cluster's runners are in Cluster.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Effect from "effect/Effect"
import * as Health from "../src/routes/Health.js"

const get = (url: string, path: string) =>
  Effect.promise(async () => {
    const response = await fetch(new URL(path, url))
    return { status: response.status, body: await response.json() as Record<string, unknown> }
  })

describe("the probes", () => {
  it.live("answer without a key or the beta header, while /v1 asks for both", () =>
    Effect.gen(function*() {
      const { url } = yield* AssistantsServer.AssistantsServer
      assert.deepStrictEqual(yield* get(url, "/healthz"), { status: 200, body: { status: "ok" } })
      assert.deepStrictEqual(yield* get(url, "/readyz"), {
        status: 200,
        body: { status: "ready", checks: { events: true, serving: true } }
      })
      assert.strictEqual((yield* get(url, "/v1/assistants")).status, 401)
    }).pipe(Effect.provide(AssistantsServer.layer({ apiKeys: ["sk-probe"] }))))

  it.live("a stopping process is not ready, and says which check failed", () =>
    Effect.gen(function*() {
      const stopping = yield* Health.readiness({ stopping: Effect.succeed(true) })
      assert.deepStrictEqual(stopping, { ready: false, checks: { events: true, serving: false } })
      const serving = yield* Health.readiness({ stopping: Effect.succeed(false) })
      assert.deepStrictEqual(serving, { ready: true, checks: { events: true, serving: true } })
    }).pipe(Effect.provide(AssistantsServer.layer())))
})
