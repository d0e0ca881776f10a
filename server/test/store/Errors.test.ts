/**
 * A database failure reaches the caller as the API's 500 `server_error`, naming what failed, and
 * the server goes on answering.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Middleware from "../../src/routes/Middleware.js"
import { StoreError } from "../../src/Store.js"

const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/v1/full",
    Effect.fail(new StoreError({ message: "could not write to messages: database or disk is full (SQLITE_FULL)" }))
  ),
  HttpRouter.get("/v1/fine", HttpServerResponse.text("fine"))
)

const Server = Layer.unwrapEffect(
  Effect.map(HttpRouter.toHttpApp(router), (app) => HttpServer.serve(Middleware.make()(app)))
).pipe(Layer.provideMerge(NodeHttpServer.layerTest))

describe("routes over a failing database", () => {
  it.live("a StoreError is a 500 server_error that says what failed; the next request is served", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const headers = { "OpenAI-Beta": "assistants=v2" }
      const failed = yield* client.get("/v1/full", { headers })
      assert.strictEqual(failed.status, 500)
      assert.deepStrictEqual(yield* failed.json, {
        error: {
          message: "The server's database failed: could not write to messages: database or disk is full (SQLITE_FULL).",
          type: "server_error",
          param: null,
          code: null
        }
      })
      const fine = yield* client.get("/v1/fine", { headers })
      assert.strictEqual(yield* fine.text, "fine")
    }).pipe(Effect.provide(Server)))
})
