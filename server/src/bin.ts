#!/usr/bin/env node
/**
 * Runs the embedded server standalone, as one process:
 *
 * ```sh
 * npx effect-assistants-server --port 4010 [--host 127.0.0.1] [--api-key K]... [--api-key-file F]
 * ```
 *
 * Prints `effect-assistants server listening on http://127.0.0.1:4010/v1` once it accepts
 * connections. With no key (`--api-key`, `--api-key-file` or `ASSISTANTS_API_KEY`), any bearer
 * token, or none, is accepted, and a warning is printed when the host is not a loopback address.
 * SIGTERM or SIGINT stop it gracefully (exit code 0). `--help` lists every flag.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { readFileSync } from "node:fs"
import { AssistantsServer, defaultMaxConnections, layer, type Options } from "./AssistantsServer.js"
import type * as Graceful from "./Graceful.js"
import * as Limits from "./Limits.js"
import type { Timings } from "./RunEngine.js"

const help = `usage: effect-assistants-server [flags]

  --port N                  port to listen on; 0 picks a free one (default 4010)
  --host H                  address to listen on (default 127.0.0.1)
  --api-key K               accept bearer token K; repeat for several keys
  --api-key-file F          accept each non-empty line of file F as a key (# starts a comment)
                            (also: the ASSISTANTS_API_KEY environment variable, comma-separated)
  --queued-ms N             time a run stays queued (default 250)
  --step-ms N               time of each step of the scripted model (default 400)
  --max-body SIZE           largest request body, e.g. 4mb, 512kb, 1000000 (default 4mb)
  --max-json-depth N        deepest nesting of a JSON body (default ${Limits.defaults.maxJsonDepth})
  --max-message-chars N     longest text of one message (default ${Limits.defaults.maxMessageChars})
  --max-messages N          most messages in one thread create or additional_messages (default ${Limits.defaults.maxMessagesPerRequest})
  --max-connections N       most connections open at once (default ${defaultMaxConnections})
  --shutdown-timeout T      on SIGTERM/SIGINT, how long requests in flight may take, e.g. 10s, 500ms (default 10s)
  --keep-alive-grace T      on SIGTERM/SIGINT, how long a connection busy that recently may send its next request
                            (answered with Connection: close) before it is closed as idle (default 1s)
  -h, --help                this text`

const usage = "usage: effect-assistants-server [--port N] [--host H] [--api-key K]... (--help lists every flag)"

class UsageError extends Error {}

const sizeUnits: Record<string, number> = { "": 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

const parse = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const apiKeys: Array<string> = []
  const keyFiles: Array<string> = []
  let port = 4010
  let host = "127.0.0.1"
  const timings: { -readonly [K in keyof Timings]?: Timings[K] } = {}
  const limits: { -readonly [K in keyof Limits.Limits]?: number } = {}
  let maxConnections: number | undefined
  let shutdownTimeout: Duration.Duration | undefined
  let keepAliveGrace = Duration.seconds(1)
  const time = (value: string, flag: string) => {
    const match = /^(\d+)\s*(ms|s)?$/.exec(value)
    if (match === null) throw new UsageError(`${flag} needs a time such as 10s or 500ms`)
    return Duration.millis(Number(match[1]) * (match[2] === "ms" ? 1 : 1000))
  }
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]
    if (flag === "--help" || flag === "-h") return "help" as const
    const value = args[i + 1]
    const text = () => {
      if (value === undefined) throw new UsageError(`${flag} needs a value`)
      i++
      return value
    }
    const integer = (min = 0) => {
      const n = Number(value)
      if (value === undefined || !/^\d+$/.test(value) || n < min) {
        throw new UsageError(`${flag} needs an integer of at least ${min}`)
      }
      i++
      return n
    }
    switch (flag) {
      case "--port":
        port = integer()
        break
      case "--host":
        host = text()
        break
      case "--api-key":
        apiKeys.push(text())
        break
      case "--api-key-file":
        keyFiles.push(text())
        break
      case "--queued-ms":
        timings.queued = Duration.millis(integer())
        break
      case "--step-ms":
        timings.step = Duration.millis(integer())
        break
      case "--max-body": {
        const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(text())
        if (match === null || Number(match[1]) < 1) throw new UsageError(`--max-body needs a size such as 4mb`)
        limits.maxBodyBytes = Number(match[1]) * sizeUnits[(match[2] ?? "").toLowerCase()]
        break
      }
      case "--max-json-depth":
        limits.maxJsonDepth = integer(2)
        break
      case "--max-message-chars":
        limits.maxMessageChars = integer(1)
        break
      case "--max-messages":
        limits.maxMessagesPerRequest = integer(1)
        break
      case "--max-connections":
        maxConnections = integer(1)
        break
      case "--shutdown-timeout":
        shutdownTimeout = time(text(), flag)
        break
      case "--keep-alive-grace":
        keepAliveGrace = time(text(), flag)
        break
      default:
        throw new UsageError(`unknown flag ${flag}`)
    }
  }
  for (const file of keyFiles) {
    let content: string
    try {
      content = readFileSync(file, "utf8")
    } catch (e) {
      throw new UsageError(`--api-key-file ${file}: ${(e as Error).message}`)
    }
    const keys = content.split(/\r?\n/).map((line) => line.trim()).filter((line) =>
      line !== "" && !line.startsWith("#")
    )
    if (keys.length === 0) throw new UsageError(`--api-key-file ${file} holds no key`)
    apiKeys.push(...keys)
  }
  for (const key of (env.ASSISTANTS_API_KEY ?? "").split(",")) {
    if (key.trim() !== "") apiKeys.push(key.trim())
  }
  const options: Options = {
    port,
    host,
    apiKeys,
    timings,
    limits,
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    ...(shutdownTimeout !== undefined ? { shutdownTimeout } : {}),
    keepAliveGrace
  }
  return options
}

const loopback = (host: string) =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)

let options: Options
try {
  const parsed = parse(process.argv.slice(2), process.env)
  if (parsed === "help") {
    console.log(help)
    process.exit(0)
  }
  options = parsed
} catch (e) {
  if (!(e instanceof UsageError)) throw e
  console.error(`${e.message}\n${usage}`)
  process.exit(2)
}

const announce = Layer.effectDiscard(
  Effect.flatMap(AssistantsServer, ({ host, url }) =>
    Effect.zipRight(
      options.apiKeys?.length === 0 && !loopback(host)
        ? Console.error(
          `warning: listening on ${host} with no API key: anyone who can reach the port can use the server (set --api-key, --api-key-file or ASSISTANTS_API_KEY)`
        )
        : Effect.void,
      Console.log(`effect-assistants server listening on ${url}`)
    ))
)

const onStopped = (stats: Graceful.Stats) =>
  Console.log(
    `effect-assistants server stopped: ${stats.requests} requests read, ${stats.answered} answered, ${stats.forced} connections closed by the shutdown timeout`
  )

NodeRuntime.runMain(Layer.launch(announce.pipe(Layer.provide(layer({ ...options, onStopped })))))
