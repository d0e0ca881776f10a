/**
 * Graceful shutdown of the compiled bin, with real child processes: on SIGTERM (or SIGINT) it stops
 * accepting, answers what it read with `Connection: close`, closes idle keep-alive connections at
 * once, destroys what is left after `--shutdown-timeout`, and exits 0. The bin's stop line counts
 * the requests it read and answered, so a test can prove that none was dropped.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as http from "node:http"
import * as net from "node:net"
import * as Bin from "./utils/bin.js"

const stopLine = /stopped: (\d+) requests read, (\d+) answered, (\d+) connections closed by the shutdown timeout/

const stopped = (bin: Bin.Child) => {
  const match = stopLine.exec(bin.stdout())
  assert.isNotNull(match, bin.stdout())
  return { read: Number(match![1]), answered: Number(match![2]), forced: Number(match![3]) }
}

/** Sends `signal` and waits for the exit; the time is from the signal to the exit. */
const stop = (bin: Bin.Child, signal: NodeJS.Signals = "SIGTERM") =>
  Effect.promise(async () => {
    const start = performance.now()
    bin.process.kill(signal)
    const exit = await bin.exited
    return { ...exit, millis: performance.now() - start }
  })

/** A raw connection, for requests the test sends byte by byte. */
const connect = (port: number) =>
  Effect.async<
    { socket: net.Socket; received: () => string; closed: Promise<void>; wait: (s: string) => Promise<void> }
  >(
    (resume) => {
      const socket = net.connect(port, "127.0.0.1")
      let received = ""
      const waiters: Array<() => void> = []
      socket.setEncoding("utf8")
      socket.on("data", (d) => {
        received += d
        for (const w of waiters.splice(0)) w()
      })
      socket.on("error", () => {})
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()))
      const wait = (s: string) =>
        new Promise<void>((resolve, reject) => {
          const check = () => (received.includes(s) ? resolve() : waiters.push(check))
          void closed.then(
            () => (received.includes(s) ? resolve() : reject(new Error(`closed before ${s}: ${received}`)))
          )
          check()
        })
      socket.once("connect", () => resume(Effect.succeed({ socket, received: () => received, closed, wait })))
    }
  )

const head = (body: string, extra = "") =>
  `POST /v1/threads HTTP/1.1\r\nHost: 127.0.0.1\r\nOpenAI-Beta: assistants=v2\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n${extra}\r\n`

describe("SIGTERM", () => {
  it.live(
    "busy keep-alive clients: every request read is answered, none lost, exit 0 within the timeout",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const bin = yield* Bin.start(["--shutdown-timeout", "5s", "--max-connections", "256"])
        const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
        let ok = 0
        let closing = 0
        const errors = new Map<string, number>()
        let signalled: (() => void) | undefined
        const enough = new Promise<void>((resolve) => (signalled = resolve))
        const one = (i: number) =>
          new Promise<boolean>((resolve) => {
            const post = i % 2 === 0
            const request = http.request({
              agent,
              host: "127.0.0.1",
              port: bin.port,
              path: post ? "/v1/threads" : "/v1/assistants?limit=5",
              method: post ? "POST" : "GET",
              headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" }
            }, (response) => {
              let text = ""
              response.setEncoding("utf8")
              response.on("data", (d) => (text += d))
              response.on("end", () => {
                // acknowledged: a whole 200 response with a whole body
                assert.strictEqual(response.statusCode, 200, text)
                JSON.parse(text)
                ok++
                if (response.headers.connection === "close") closing++
                if (ok === 1_000) signalled!()
                resolve(true)
              })
              response.on("error", (e) => {
                errors.set(`response ${e.message}`, (errors.get(`response ${e.message}`) ?? 0) + 1)
                resolve(false)
              })
            })
            request.on("error", (e: NodeJS.ErrnoException) => {
              // a request written on a keep-alive connection the server had served before, or on a new one
              const key = `${e.code ?? e.message}${request.reusedSocket ? " (kept-alive connection)" : ""}`
              errors.set(key, (errors.get(key) ?? 0) + 1)
              resolve(false)
            })
            request.end(post ? "{}" : undefined)
          })
        // 64 clients, each sending one request after another until the server is gone (bounded)
        const clients = Promise.all(Array.from({ length: 64 }, async (_, c) => {
          for (let i = c; i < 20_000; i++) if (!(yield_(await one(i)))) return
        }))
        function yield_(x: boolean) {
          return x
        }
        yield* Effect.promise(() => enough)
        const exit = yield* stop(bin)
        yield* Effect.promise(() => clients)
        agent.destroy()
        assert.deepStrictEqual([exit.code, exit.signal], [0, null])
        assert.isBelow(exit.millis, 5_000)
        const counts = stopped(bin)
        // every request the server read was answered in full, and every answer reached its client
        assert.strictEqual(counts.answered, counts.read)
        assert.strictEqual(counts.forced, 0)
        assert.strictEqual(ok, counts.answered, JSON.stringify([...errors]))
        // what failed was never read: no kept-alive connection was closed under its client's next
        // request (the audit's resets); new connections were refused, or reset when the listener
        // closed with them still in its accept queue
        for (const key of errors.keys()) assert.include(["ECONNREFUSED", "ECONNRESET"], key)
        console.log(
          JSON.stringify({
            acknowledged: ok,
            exitMillis: Math.round(exit.millis),
            withConnectionClose: closing,
            failed: Object.fromEntries(errors)
          })
        )
      })),
    60_000
  )

  it.live(
    "a request in flight is answered with Connection: close, then its connection closes",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const bin = yield* Bin.start(["--shutdown-timeout", "10s"])
        const connection = yield* connect(bin.port)
        // the server answers 100 Continue once it read the headers: the request is in flight
        connection.socket.write(head("{}", "Expect: 100-continue\r\n"))
        yield* Effect.promise(() => connection.wait("100 Continue"))
        bin.process.kill("SIGTERM")
        // the stop started (the listener is closed) before the body arrives
        yield* Effect.promise(() =>
          new Promise<void>((resolve) => {
            const probe = () =>
              net.connect(bin.port, "127.0.0.1").on("error", () => resolve()).on("connect", function(this: net.Socket) {
                this.destroy()
                setImmediate(probe)
              })
            probe()
          })
        )
        connection.socket.write("{}")
        yield* Effect.promise(() => connection.closed)
        const response = connection.received()
        assert.match(response, /HTTP\/1\.1 200 OK/)
        assert.match(response, /\r\nconnection: close\r\n/i)
        assert.match(response, /"object":"thread"/)
        const exit = yield* Bin.exit(bin)
        assert.deepStrictEqual([exit.code, exit.signal], [0, null])
        const counts = stopped(bin)
        assert.deepStrictEqual([counts.read, counts.answered, counts.forced], [1, 1, 0])
      })),
    30_000
  )

  it.live(
    "idle keep-alive connections are closed at once: the exit does not wait for the timeout",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const bin = yield* Bin.start(["--shutdown-timeout", "20s"])
        const connections = yield* Effect.all(Array.from({ length: 8 }, () => connect(bin.port)))
        for (const c of connections) {
          c.socket.write(head("{}") + "{}")
          yield* Effect.promise(() => c.wait("\"object\":\"thread\""))
        }
        const exit = yield* stop(bin)
        assert.deepStrictEqual([exit.code, exit.signal], [0, null])
        assert.isBelow(exit.millis, 5_000)
        for (const c of connections) {
          yield* Effect.promise(() => c.closed)
          assert.notMatch(c.received(), /connection: close/i)
        }
        assert.deepStrictEqual(stopped(bin), { read: 8, answered: 8, forced: 0 })
      })),
    30_000
  )

  it.live(
    "a request that never ends is cut off after --shutdown-timeout; the exit is still 0",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const bin = yield* Bin.start(["--shutdown-timeout", "500ms"])
        const connection = yield* connect(bin.port)
        connection.socket.write(head("{}", "Expect: 100-continue\r\n"))
        yield* Effect.promise(() => connection.wait("100 Continue"))
        const exit = yield* stop(bin)
        assert.deepStrictEqual([exit.code, exit.signal], [0, null])
        assert.isAbove(exit.millis, 400)
        assert.isBelow(exit.millis, 5_000)
        yield* Effect.promise(() => connection.closed)
        assert.deepStrictEqual(stopped(bin), { read: 1, answered: 0, forced: 1 })
      })),
    30_000
  )
})

describe("SIGINT", () => {
  it.live("stops the same way, exit 0", () =>
    Effect.scoped(Effect.gen(function*() {
      const bin = yield* Bin.start([])
      const response = yield* Effect.promise(() =>
        fetch(`${bin.url}/assistants`, { headers: { "OpenAI-Beta": "assistants=v2" } })
      )
      assert.strictEqual(response.status, 200)
      const exit = yield* stop(bin, "SIGINT")
      assert.deepStrictEqual([exit.code, exit.signal], [0, null])
      assert.match(bin.stdout(), stopLine)
    })), 30_000)
})
