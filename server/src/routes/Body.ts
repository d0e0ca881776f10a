/**
 * Reading a request body within the size limit. A declared `Content-Length` above the limit is
 * refused before a byte is read; a chunked body is counted as it streams and refused as soon as it
 * passes the limit, so an oversized body is never held in memory.
 *
 * After a refusal the rest of the body is read and thrown away for a short while (the "lingering
 * close" of HTTP servers): closing a socket that still has unread data makes the kernel send a
 * reset, which can destroy the 413 response before the client reads it. When the body ends in that
 * time, the connection stays usable; otherwise it is closed.
 *
 * @since 0.1.0
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { IncomingMessage, type ServerResponse } from "node:http"
import { ApiError, invalid } from "../ApiError.js"
import { CurrentLimits } from "../Limits.js"

/**
 * How long a refused body is still read and thrown away once the 413 was sent.
 *
 * @since 0.1.0
 * @category constants
 */
export const lingerMillis = 2_000

/**
 * 413 in the API's envelope.
 *
 * @since 0.1.0
 * @category errors
 */
export const tooLarge = (maxBytes: number) =>
  new ApiError({
    status: 413,
    message: `The request body is too large: at most ${maxBytes} bytes are accepted.`,
    type: "invalid_request_error",
    param: null,
    code: "request_too_large"
  })

const unreadable = invalid("The request body could not be read.", null)

/** Reads and discards what is left of `req`, then closes the connection unless the body ended. */
const linger = (req: IncomingMessage, res: ServerResponse | undefined) => {
  if (req.readableEnded) return
  let timer: ReturnType<typeof setTimeout> | undefined
  const close = () => req.socket?.destroy()
  const start = () => {
    timer = setTimeout(close, lingerMillis)
    timer.unref()
  }
  req.on("data", () => {})
  req.once("end", () => clearTimeout(timer))
  req.once("close", () => clearTimeout(timer))
  // the time counts from when the response was sent, not from when it was decided
  if (res === undefined || res.writableFinished) start()
  else res.once("finish", start).once("close", () => timer === undefined && close())
  req.resume()
}

const readNode = (req: IncomingMessage, res: ServerResponse | undefined, maxBytes: number) =>
  Effect.async<string, ApiError>((resume) => {
    if (req.readableEnded) return resume(Effect.succeed(""))
    const chunks: Array<Buffer> = []
    let size = 0
    const cleanup = () => {
      req.off("data", onData)
      req.off("end", onEnd)
      req.off("error", onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) {
        chunks.push(chunk)
        return
      }
      cleanup()
      chunks.length = 0
      linger(req, res)
      resume(Effect.fail(tooLarge(maxBytes)))
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks, size).toString("utf8")))
    }
    const onError = () => {
      cleanup()
      resume(Effect.fail(unreadable))
    }
    req.on("data", onData)
    req.once("end", onEnd)
    req.once("error", onError)
    return Effect.sync(cleanup)
  })

/** Any other server's request: the platform's body stream, counted. */
const readStream = (request: HttpServerRequest.HttpServerRequest, maxBytes: number) =>
  Effect.gen(function*() {
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* Stream.runForEachWhile(request.stream, (chunk) =>
      Effect.sync(() => {
        size += chunk.length
        if (size > maxBytes) return false
        chunks.push(chunk)
        return true
      })).pipe(Effect.mapError(() => unreadable))
    if (size > maxBytes) return yield* Effect.fail(tooLarge(maxBytes))
    return Buffer.concat(chunks, size).toString("utf8")
  })

/**
 * The body of the current request as text, or 413 when it is larger than `maxBodyBytes` of the
 * current limits.
 *
 * @since 0.1.0
 * @category reading
 */
export const text: Effect.Effect<string, ApiError, HttpServerRequest.HttpServerRequest> = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const { maxBodyBytes } = yield* CurrentLimits
  const source = request.source
  const node = source instanceof IncomingMessage ? source : undefined
  const response = node ? NodeHttpServerRequest.toServerResponse(request) : undefined
  const declared = request.headers["content-length"]
  if (declared !== undefined && Number(declared) > maxBodyBytes) {
    if (node) linger(node, response)
    return yield* Effect.fail(tooLarge(maxBodyBytes))
  }
  return node ? yield* readNode(node, response, maxBodyBytes) : yield* readStream(request, maxBodyBytes)
})
