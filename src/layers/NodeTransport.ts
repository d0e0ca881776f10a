/**
 * A keep-alive `node:http` / `node:https` transport: an `HttpClient` built with `HttpClient.make`,
 * exported as `effect-assistants/node`.
 *
 * Any `HttpClient` layer works with the client; this one exists for Node programs that care about
 * start-up and per-call cost. It loads nothing beyond Node's own `http` and `https` (no undici, no
 * `fetch`, whose first use costs about 120 ms on Node 20), keeps connections alive, and reads each
 * body in one buffer. Interrupting a call destroys its request, so its socket is never reused.
 * Request bodies: empty, bytes and text are written as they are; a `Stream` body is piped; a
 * `FormData` body is serialised through the platform's `Response` first (buffered, not streamed).
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import { Readable } from "node:stream"

/**
 * The agents requests go through. Without them, `make` uses Node's global agents (which keep
 * connections alive from Node 19 on).
 *
 * @since 0.1.0
 */
export interface Options {
  readonly httpAgent?: Http.Agent | undefined
  readonly httpsAgent?: Https.Agent | undefined
}

/**
 * An `HttpClient` over `node:http` / `node:https` with the given agents.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): HttpClient.HttpClient => {
  const httpAgent = options.httpAgent ?? Http.globalAgent
  const httpsAgent = options.httpsAgent ?? Https.globalAgent
  return HttpClient.make((request, url, signal) => {
    const secure = url.protocol === "https:"
    if (!secure && url.protocol !== "http:") {
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "InvalidUrl",
          description: `unsupported protocol ${url.protocol}`
        })
      )
    }
    const send = (body: Body) =>
      Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
        const req = (secure ? Https.request : Http.request)({
          protocol: url.protocol,
          // URL keeps an IPv6 host in brackets; node:http wants it bare
          hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: request.method,
          headers: body.headers === undefined ? request.headers : { ...request.headers, ...body.headers },
          agent: secure ? httpsAgent : httpAgent
        })
        const onAbort = () => req.destroy()
        signal.addEventListener("abort", onAbort, { once: true })
        const release = () => signal.removeEventListener("abort", onAbort)
        req.on("error", (cause) => {
          release()
          resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
        })
        req.on("response", (source) => resume(Effect.succeed(new NodeResponse(request, source, release))))
        if (body.readable !== undefined) {
          body.readable.on("error", (cause) => req.destroy(cause))
          body.readable.pipe(req)
        } else {
          req.end(body.bytes)
        }
        // no canceler: `signal` is aborted when the call is interrupted or its deadline passes
      })
    // most requests have no body or a JSON one: sent without a step to prepare it
    const body = request.body
    if (body._tag === "Empty") return send(noBody)
    if (body._tag === "Uint8Array") return send({ bytes: body.body })
    return Effect.flatMap(requestBody(request), send)
  })
}

/**
 * The transport over keep-alive agents of its own, destroyed when the layer's scope closes.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => ({
        httpAgent: new Http.Agent({ keepAlive: true }),
        httpsAgent: new Https.Agent({ keepAlive: true })
      })),
      (agents) =>
        Effect.sync(() => {
          agents.httpAgent.destroy()
          agents.httpsAgent.destroy()
        })
    ),
    make
  )
)

/**
 * The transport over agents the caller owns (or Node's global agents).
 *
 * @since 0.1.0
 */
export const layerWith = (options: Options): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, make(options))

type Reader = (failure: unknown, body: Buffer | undefined) => void

interface Body {
  readonly bytes?: string | Uint8Array | undefined
  readonly readable?: Readable | undefined
  readonly headers?: Record<string, string>
}

const noBody: Body = {}

const requestBody = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<Body, HttpClientError.RequestError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(noBody)
    case "Uint8Array":
      return Effect.succeed({ bytes: body.body })
    case "Stream":
      return Effect.map(
        Stream.toReadableStreamEffect(body.stream),
        (web) => ({ readable: Readable.fromWeb(web as any) })
      )
    case "FormData":
      // the platform's Response picks the multipart boundary and writes the parts
      return Effect.tryPromise({
        try: async () => {
          const response = new Response(body.formData)
          return {
            bytes: new Uint8Array(await response.arrayBuffer()),
            headers: { "content-type": response.headers.get("content-type")! }
          }
        },
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause })
      })
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string" || raw instanceof Uint8Array) return Effect.succeed({ bytes: raw })
      if (raw instanceof ArrayBuffer) return Effect.succeed({ bytes: new Uint8Array(raw) })
      if (raw instanceof Readable) return Effect.succeed({ readable: raw })
      if (raw instanceof ReadableStream) return Effect.succeed({ readable: Readable.fromWeb(raw as any) })
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Encode",
          description: "unsupported raw body (expected string, bytes or a stream)"
        })
      )
    }
  }
}

/**
 * The body's chunks, as the readable's own iterator gives them, except that ending the iteration
 * early (the stream interrupted or cut short) destroys the body at once. The readable's `return`
 * waits for the `next` in flight, so a stream interrupted while the server sends nothing more
 * would wait, uninterruptibly, for bytes that may never come, and its request would never be
 * aborted. A body destroyed before its end destroys its socket: the server sees it close. After
 * the body's end (`return` is called then too) its socket is back in the agent's pool, and the
 * destroy touches nothing else.
 */
const endsAtOnce = (source: Http.IncomingMessage): AsyncIterable<Uint8Array> => ({
  [Symbol.asyncIterator]: () => {
    const chunks: AsyncIterator<Uint8Array> = source[Symbol.asyncIterator]()
    return {
      next: () => chunks.next(),
      return: () => {
        source.destroy()
        return Promise.resolve({ done: true, value: undefined })
      }
    }
  }
})

class NodeResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined
  /** The whole body once read, or why it cannot be. */
  private body: Buffer | undefined
  private failure: unknown = undefined
  /** Readers waiting for the end of the body; `undefined` until a first reader starts reading. */
  private readers: Array<Reader> | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    private readonly source: Http.IncomingMessage,
    private readonly release: () => void
  ) {
    super()
  }

  get status(): number {
    return this.source.statusCode!
  }

  get headers(): Headers.Headers {
    return this.cachedHeaders ??= Headers.fromInput(this.source.headers)
  }

  get cookies(): Cookies.Cookies {
    const header = this.source.headers["set-cookie"]
    return this.cachedCookies ??= header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.source.socket?.remoteAddress)
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private settle(failure: unknown, body: Buffer | undefined): void {
    const readers = this.readers!
    this.readers = []
    this.failure = failure
    this.body = body
    for (const reader of readers) reader(failure, body)
  }

  /**
   * Hands `reader` the whole body, read once; an early close is a failure rather than a cut body
   * passed as whole. Callbacks, not a promise: a body read through `text` is one step of the
   * caller's fiber.
   */
  private read(reader: Reader): void {
    if (this.body !== undefined || this.failure !== undefined) return reader(this.failure, this.body)
    if (this.readers !== undefined) {
      this.readers.push(reader)
      return
    }
    this.readers = [reader]
    const source = this.source
    const chunks: Array<Buffer> = []
    source.on("data", (chunk: Buffer) => chunks.push(chunk))
    source.on("error", (cause) => {
      this.release()
      if (this.body === undefined && this.failure === undefined) this.settle(cause, undefined)
    })
    source.on("end", () => {
      this.release()
      if (this.failure === undefined) this.settle(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
    })
    source.on("close", () => {
      if (!source.complete && this.body === undefined && this.failure === undefined) {
        this.settle(new Error("the connection closed before the body ended"), undefined)
      }
    })
  }

  /** The body, as an effect that fails with a decode error. */
  private readWith<A>(f: (body: Buffer) => A): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.async((resume) =>
      this.read((failure, body) => {
        if (failure !== undefined) return resume(Effect.fail(this.decodeError(failure)))
        let value: A
        try {
          value = f(body!)
        } catch (cause) {
          return resume(Effect.fail(this.decodeError(cause)))
        }
        resume(Effect.succeed(value))
      })
    )
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.readWith((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    // as fetch's text(): UTF-8, a leading byte-order mark dropped
    return this.readWith((b) => b.toString("utf8", b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(
      this.text,
      (text) =>
        Effect.try({ try: () => text === "" ? null : JSON.parse(text), catch: (cause) => this.decodeError(cause) })
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(
      this.text,
      (text) =>
        Effect.try({
          try: () => UrlParams.fromInput(new URLSearchParams(text)),
          catch: (cause) => this.decodeError(cause)
        })
    )
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.arrayBuffer, (b) =>
      Effect.tryPromise({
        try: () =>
          new Response(new Uint8Array(b), {
            headers: { "content-type": this.source.headers["content-type"] ?? "" }
          }).formData(),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    if (this.readers !== undefined) return Stream.fromEffect(Effect.map(this.arrayBuffer, (b) => new Uint8Array(b)))
    // the body goes to the stream: a later text or json fails instead of waiting for an end already past
    this.readers = []
    this.failure = new Error("the body was already read as a stream")
    return Stream.ensuring(
      Stream.fromAsyncIterable(endsAtOnce(this.source), (cause) => this.decodeError(cause)),
      Effect.sync(this.release)
    )
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}
