/**
 * What is particular to the node:http transport: connection reuse, interruption, request bodies of
 * every kind, every response accessor, TLS and transport failures. The client's behaviour over it
 * (every operation, faults, deadlines) runs in integration/Server and reliability/Faults, once per
 * transport. Servers here are raw node:http / node:https on loopback; nothing sleeps.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"
import { Assistants, AssistantsLive, RetryPolicy } from "../src/index.js"
import * as NodeTransport from "../src/layers/NodeTransport.js"
import { deadlineSuite } from "./utils/deadlines.js"
import { eventually, type Seen, server, tls } from "./utils/loopback.js"

const json = (response: Http.ServerResponse, body: unknown, headers: Http.OutgoingHttpHeaders = {}) =>
  response.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))

const echo = (seen: Seen, response: Http.ServerResponse) =>
  json(response, {
    method: seen.method,
    url: seen.url,
    contentType: seen.headers["content-type"] ?? null,
    body: seen.body.toString("utf8")
  })

describe("NodeTransport", () => {
  it.scoped("keeps one connection alive across sequential calls, and closes it with the layer", () =>
    Effect.gen(function*() {
      const { closed, connections, url } = yield* server(echo)
      const scope = yield* Effect.scope
      const context = yield* Layer.buildWithScope(NodeTransport.layer, scope)
      const client = yield* Effect.provide(HttpClient.HttpClient, context)
      for (let i = 0; i < 20; i++) {
        const body = yield* Effect.flatMap(client.get(`${url}/v1/things/${i}?q=${i}`), (r) => r.json)
        assert.deepStrictEqual(body, { method: "GET", url: `/v1/things/${i}?q=${i}`, contentType: null, body: "" })
      }
      assert.strictEqual(connections(), 1)
      yield* Effect.scoped(Effect.gen(function*() {
        const inner = yield* Layer.build(NodeTransport.layer)
        yield* Effect.flatMap(
          Effect.provide(HttpClient.HttpClient, inner),
          (c) => Effect.flatMap(c.get(url), (r) => r.text)
        )
      }))
      // the inner layer's agent was destroyed with its scope; the outer one's connection lives on
      yield* eventually(() => connections() === 2 && closed() === 1)
    }))

  it.scoped("interrupting a call destroys its request", () =>
    Effect.gen(function*() {
      const arrived = yield* Deferred.make<void>()
      let hung: Http.ServerResponse | undefined
      const { closed, url } = yield* server((_, response) => {
        hung = response
        Deferred.unsafeDone(arrived, Effect.void)
      })
      const client = NodeTransport.make({ httpAgent: new Http.Agent({ keepAlive: true }) })
      const fiber = yield* Effect.fork(Effect.flatMap(client.get(url), (r) => r.text))
      yield* Deferred.await(arrived)
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => closed() === 1)
      assert.isTrue(hung !== undefined && hung.destroyed)
    }))

  it.scoped("interrupting a body read destroys the response", () =>
    Effect.gen(function*() {
      const { closed, url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "text/plain" }).write("first part, and the rest never comes")
      })
      const client = NodeTransport.make({ httpAgent: new Http.Agent({ keepAlive: true }) })
      const response = yield* client.get(url)
      assert.strictEqual(response.status, 200)
      const fiber = yield* Effect.fork(response.text)
      // let the read start (an interrupt before its first step would never reach the request)
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => closed() === 1)
    }))

  it.scoped("interrupting a streamed body while the server sends nothing more ends at once and closes it", () =>
    Effect.gen(function*() {
      const { closed, url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" }).write("data: first\n\n")
      })
      const client = NodeTransport.make({ httpAgent: new Http.Agent({ keepAlive: true }) })
      const response = yield* client.get(url)
      const first = yield* Deferred.make<string>()
      const fiber = yield* Effect.fork(
        Stream.runForEach(response.stream, (chunk) => Deferred.succeed(first, Buffer.from(chunk).toString("utf8")))
      )
      // the first chunk is in: the stream now waits on the socket for a next one that never comes
      assert.strictEqual(yield* Deferred.await(first), "data: first\n\n")
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => closed() === 1)
    }))

  it.scoped("a body streamed to its end leaves its connection to the next call", () =>
    Effect.gen(function*() {
      const { closed, connections, url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" }).end("data: whole\n\n")
      })
      const client = NodeTransport.make({ httpAgent: new Http.Agent({ keepAlive: true }) })
      for (let i = 0; i < 3; i++) {
        const chunks = yield* Stream.runCollect((yield* client.get(url)).stream)
        assert.strictEqual(Chunk.join(Chunk.map(chunks, (c) => Buffer.from(c).toString("utf8")), ""), "data: whole\n\n")
      }
      assert.deepStrictEqual([connections(), closed()], [1, 0])
    }))

  it.scoped("request bodies: JSON, text, bytes, a stream, form data and raw values", () =>
    Effect.gen(function*() {
      const { url } = yield* server(echo)
      const client = NodeTransport.make()
      const send = (request: HttpClientRequest.HttpClientRequest) =>
        Effect.flatMap(client.execute(request), (r) => r.json) as Effect.Effect<any, unknown>
      const post = HttpClientRequest.post(`${url}/in`)

      const viaJson = yield* send(yield* HttpClientRequest.bodyJson(post, { a: [1, "é"] }))
      assert.deepStrictEqual([viaJson.contentType, JSON.parse(viaJson.body)], ["application/json", { a: [1, "é"] }])
      const viaText = yield* send(HttpClientRequest.bodyText(post, "plain é"))
      assert.deepStrictEqual([viaText.contentType, viaText.body], ["text/plain", "plain é"])
      const viaBytes = yield* send(HttpClientRequest.bodyUint8Array(post, new TextEncoder().encode("bytes")))
      assert.deepStrictEqual([viaBytes.contentType, viaBytes.body], ["application/octet-stream", "bytes"])
      const viaStream = yield* send(HttpClientRequest.bodyStream(
        post,
        Stream.map(Stream.range(1, 500), (i) => new TextEncoder().encode(`${i},`)),
        { contentType: "text/csv" }
      ))
      assert.strictEqual(viaStream.contentType, "text/csv")
      assert.strictEqual(viaStream.body, Array.from({ length: 500 }, (_, i) => `${i + 1},`).join(""))
      const form = new FormData()
      form.append("purpose", "assistants")
      form.append("file", new Blob(["hello"], { type: "text/plain" }), "hello.txt")
      const viaForm = yield* send(HttpClientRequest.bodyFormData(post, form))
      assert.match(viaForm.contentType, /^multipart\/form-data; boundary=/)
      assert.include(viaForm.body, "name=\"purpose\"\r\n\r\nassistants")
      assert.include(viaForm.body, "filename=\"hello.txt\"")
      const viaRaw = yield* send(
        HttpClientRequest.setBody(
          post,
          { ...HttpClientRequest.bodyText(post, "x").body, _tag: "Raw", body: "raw text" } as any
        )
      )
      assert.strictEqual(viaRaw.body, "raw text")
      const unsupported = yield* Effect.flip(
        client.execute(
          HttpClientRequest.setBody(
            post,
            { ...HttpClientRequest.bodyText(post, "x").body, _tag: "Raw", body: 42 } as any
          )
        )
      )
      assert.strictEqual(unsupported._tag === "RequestError" && unsupported.reason, "Encode")
    }))

  it.scoped("every response accessor", () =>
    Effect.gen(function*() {
      const { url } = yield* server((seen, response) => {
        switch (seen.url) {
          case "/bom":
            return response.writeHead(200, { "content-type": "text/plain" }).end(Buffer.from("\ufeffsans BOM", "utf8"))
          case "/empty":
            return response.writeHead(200, { "content-type": "application/json" }).end()
          case "/params":
            return response.writeHead(200, { "set-cookie": ["a=1; Path=/", "b=2"] }).end("x=1&y=%C3%A9")
          case "/form":
            return response.writeHead(200, { "content-type": "application/x-www-form-urlencoded" }).end("k=v")
          default:
            return response.writeHead(200, { "content-type": "application/octet-stream", "x-many": ["1", "2"] }).end(
              Buffer.alloc(200_000, 7)
            )
        }
      })
      const client = NodeTransport.make()
      const get = (path: string) => client.get(`${url}${path}`)

      assert.strictEqual(yield* Effect.flatMap(get("/bom"), (r) => r.text), "sans BOM")
      assert.strictEqual(yield* Effect.flatMap(get("/empty"), (r) => r.json), null)
      const params = yield* get("/params")
      assert.deepStrictEqual(yield* params.urlParamsBody, [["x", "1"], ["y", "é"]])
      assert.deepStrictEqual(Object.keys(params.cookies.cookies), ["a", "b"])
      assert.deepStrictEqual(params.remoteAddress, Option.some("127.0.0.1"))
      const form = yield* Effect.flatMap(get("/form"), (r) => r.formData)
      assert.strictEqual(form.get("k"), "v")

      const streamed = yield* get("/bytes")
      assert.strictEqual(streamed.headers["x-many"], "1, 2")
      const chunks = yield* Stream.runCollect(streamed.stream)
      assert.strictEqual(Chunk.reduce(chunks, 0, (n, c) => n + c.length), 200_000)
      // the body went to the stream: reading it again is an error, not a wait
      const again = yield* Effect.flip(streamed.text)
      assert.strictEqual(again.reason, "Decode")

      const buffered = yield* get("/bytes")
      const bytes = new Uint8Array(yield* buffered.arrayBuffer)
      assert.strictEqual(bytes.length, 200_000)
      assert.strictEqual(bytes[199_999], 7)
      // a body already read is still there for the other accessors and for a stream
      assert.strictEqual((yield* buffered.text).length, 200_000)
      const restreamed = yield* Stream.runCollect(buffered.stream)
      assert.strictEqual(Chunk.reduce(restreamed, 0, (n, c) => n + c.length), 200_000)
      assert.deepStrictEqual((buffered.toJSON() as { status: number }).status, 200)
    }))

  it.scoped("https through an agent that trusts the server's certificate", () =>
    Effect.gen(function*() {
      const { url } = yield* server(echo, { secure: true })
      const trusting = NodeTransport.make({ httpsAgent: new Https.Agent({ ca: tls.cert, keepAlive: true }) })
      const body = yield* Effect.flatMap(trusting.get(`${url}/secure`), (r) => r.json)
      assert.deepStrictEqual(body, { method: "GET", url: "/secure", contentType: null, body: "" })
      // the default agents do not trust a self-signed certificate
      const refused = yield* Effect.flip(NodeTransport.make().get(`${url}/secure`))
      assert.strictEqual(refused._tag === "RequestError" && refused.reason, "Transport")
    }))

  it.effect("an unsupported protocol is an InvalidUrl error; nothing is sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(NodeTransport.make().get("ftp://127.0.0.1/x"))
      assert.strictEqual(error._tag === "RequestError" && error.reason, "InvalidUrl")
    }))

  it.scoped("through the client: a refused connection is a ConnectionError that was not sent", () =>
    Effect.gen(function*() {
      // a port that was just free: listen, note it, close
      const port = yield* Effect.async<number>((resume) => {
        const s = Http.createServer().listen(0, "127.0.0.1", () => {
          const { port } = s.address() as AddressInfo
          s.close(() => resume(Effect.succeed(port)))
        })
      })
      const layer = AssistantsLive.layer({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        apiKey: Redacted.make("sk-x"),
        retry: RetryPolicy.none
      }).pipe(
        Layer.provide(NodeTransport.layer)
      )
      const error = yield* Effect.flip(Effect.provide(Assistants.list(), layer))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.strictEqual(error._tag === "ConnectionError" && error.outcome, "not-sent")
    }))
})

deadlineSuite("the client's deadline and interruption")
