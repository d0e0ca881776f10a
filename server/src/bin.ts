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
 * Runs go to the scripted model unless `--model-provider` (or `MODEL_PROVIDER`) names a real one:
 * `openai-chat` (any Chat Completions endpoint, `--model-base-url` required),
 * `openai-responses` (OpenAI's Responses API, or a server at `--model-base-url` that speaks it) or
 * `anthropic` (Anthropic's Messages API, or a server at `--model-base-url` that speaks it).
 * A bad combination exits with code 2 and one line saying what is wrong.
 *
 * Data goes to `./effect-assistants.db` (SQLite) unless `--db PATH` names another file,
 * `--database-url` (or `DATABASE_URL`) a PostgreSQL database, or `--memory` keeps nothing; the ready
 * line says which. A database that cannot be opened, reached or migrated is one line on stderr and
 * exit code 1.
 *
 * `--cluster` makes the process one runner of a cluster on the PostgreSQL database of
 * `--database-url`: start several, each with its own `--runner-host`/`--runner-port` (the address
 * the other runners reach it at), and any of them serves the whole API (see the README's
 * deployment section). `@effect/cluster`'s `ShardingConfig` environment variables (`HOST`, `PORT`,
 * `SHARD_LOCK_EXPIRATION`, ...) are read too; the flags win over them.
 *
 * @since 0.1.0
 */
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { readFileSync } from "node:fs"
import { AssistantsServer, defaultMaxConnections, layer, type Options } from "./AssistantsServer.js"
import type * as Graceful from "./Graceful.js"
import * as Limits from "./Limits.js"
import * as Upstream from "./models/Upstream.js"
import type { Timings } from "./RunEngine.js"
import * as RunWorkflow from "./RunWorkflow.js"
import * as Store from "./Store.js"
import { describe as describePg } from "./store/Pg.js"

const help = `usage: effect-assistants-server [flags]

  --port N                  port to listen on; 0 picks a free one (default 4010)
  --host H                  address to listen on (default 127.0.0.1)
  --api-key K               accept bearer token K; repeat for several keys
  --api-key-file F          accept each non-empty line of file F as a key (# starts a comment)
                            (also: the ASSISTANTS_API_KEY environment variable, comma-separated)
  --db PATH                 keep the data in the SQLite file PATH (default ./effect-assistants.db)
  --database-url URL        keep the data in PostgreSQL, e.g. postgres://user@127.0.0.1:5432/db
                            (also: DATABASE_URL)
  --memory                  keep the data in memory: nothing survives the process
  --cluster                 run as one runner of a cluster on the database of --database-url
  --runner-host H           with --cluster: the address other runners reach this one at (default localhost;
                            also: HOST)
  --runner-port N           with --cluster: the port other runners reach this one at (default 34431; also: PORT)
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
  --model-provider P        scripted (default), openai-responses, openai-chat or anthropic (also: MODEL_PROVIDER)
  --model-base-url URL      the upstream, e.g. http://127.0.0.1:11434/v1 (also: MODEL_BASE_URL); needed by
                            openai-chat; openai-responses defaults to https://api.openai.com/v1, anthropic to
                            https://api.anthropic.com/v1
  --model-api-key KEY       the upstream's key, sent as a bearer token (anthropic: as x-api-key)
                            (also: MODEL_API_KEY); never printed
  --model-map FROM=TO       send model FROM upstream as TO; repeat for several
  --model-timeout T         longest upstream request, e.g. 120s, 10m (default 10m)
  -h, --help                this text`

const usage =
  "usage: effect-assistants-server [--port N] [--host H] [--api-key K]... [--db PATH | --database-url URL | --memory] [--cluster] (--help lists every flag)"

/**
 * Where the data goes: the default file unless a flag (or `DATABASE_URL`) says otherwise.
 */
const defaultDb = "./effect-assistants.db"

interface Storage {
  readonly database?: Options<Store.StoreError>["database"]
  readonly cluster?: Options<Store.StoreError>["cluster"]
  /** For the ready line. */
  readonly where: string
}

const storage = (
  db: string | undefined,
  databaseUrl: string | undefined,
  memory: boolean,
  cluster: boolean
): Storage => {
  if (cluster && databaseUrl === undefined) {
    throw new UsageError(`--cluster needs --database-url (or DATABASE_URL): the runners share one PostgreSQL database`)
  }
  if (memory) return { where: "in memory: nothing is kept" }
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new UsageError(`--database-url needs a postgres:// URL, e.g. postgres://user@127.0.0.1:5432/assistants`)
    }
    const database = Store.layerPg({ url: databaseUrl })
    return cluster
      ? { cluster: { database }, where: `in ${describePg(databaseUrl)}` }
      : { database, where: `in ${describePg(databaseUrl)}` }
  }
  const filename = db ?? defaultDb
  return { database: Store.layerSqlite({ filename }), where: `in ${filename}` }
}

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
  let provider = env.MODEL_PROVIDER || "scripted"
  let baseUrl = env.MODEL_BASE_URL || undefined
  let modelKey = env.MODEL_API_KEY || undefined
  const modelMap: Array<string> = []
  let modelTimeout: Duration.Duration | undefined
  const storageFlags: Array<string> = []
  let db: string | undefined
  let databaseUrl: string | undefined
  let memory = false
  let cluster = false
  let runnerHost: string | undefined
  let runnerPort: number | undefined
  const providerFlags: Array<string> = []
  const time = (value: string, flag: string) => {
    const match = /^(\d+)\s*(ms|s|m)?$/.exec(value)
    if (match === null) throw new UsageError(`${flag} needs a time such as 10s or 500ms`)
    return Duration.millis(Number(match[1]) * (match[2] === "ms" ? 1 : match[2] === "m" ? 60_000 : 1000))
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
    const integer = (min = 0, max = Number.MAX_SAFE_INTEGER) => {
      const n = Number(value)
      if (value === undefined || !/^\d+$/.test(value) || n < min || n > max) {
        throw new UsageError(
          max === Number.MAX_SAFE_INTEGER
            ? `${flag} needs an integer of at least ${min}`
            : `${flag} needs an integer from ${min} to ${max}`
        )
      }
      i++
      return n
    }
    switch (flag) {
      case "--port":
        port = integer(0, 65535)
        break
      case "--host":
        host = text()
        break
      case "--db":
        db = text()
        storageFlags.push(flag)
        break
      case "--database-url":
        databaseUrl = text()
        storageFlags.push(flag)
        break
      case "--memory":
        memory = true
        storageFlags.push(flag)
        break
      case "--cluster":
        cluster = true
        break
      case "--runner-host":
        runnerHost = text()
        break
      case "--runner-port":
        runnerPort = integer(1, 65535)
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
      case "--model-provider":
        provider = text()
        break
      case "--model-base-url":
        baseUrl = text()
        providerFlags.push(flag)
        break
      case "--model-api-key":
        modelKey = text()
        providerFlags.push(flag)
        break
      case "--model-map":
        modelMap.push(text())
        providerFlags.push(flag)
        break
      case "--model-timeout":
        modelTimeout = time(text(), flag)
        providerFlags.push(flag)
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
  const model = modelLayer({ provider, baseUrl, modelKey, modelMap, modelTimeout, providerFlags })
  if (model !== undefined) {
    // a real model sets the pace: no scripted pauses unless asked for
    timings.queued ??= Duration.zero
    timings.step ??= Duration.zero
  }
  if (storageFlags.length > 1) {
    throw new UsageError(`${storageFlags[0]} and ${storageFlags[1]}: give one of --db, --database-url and --memory`)
  }
  // the environment's database counts only when no flag chose
  if (storageFlags.length === 0 && env.DATABASE_URL) databaseUrl = env.DATABASE_URL
  if (!cluster && (runnerHost !== undefined || runnerPort !== undefined)) {
    throw new UsageError(`${runnerHost !== undefined ? "--runner-host" : "--runner-port"} needs --cluster`)
  }
  if (cluster && (db !== undefined || memory)) {
    throw new UsageError(`--cluster keeps the data in PostgreSQL: give --database-url, not ${storageFlags[0]}`)
  }
  const { cluster: clustered, database, where } = storage(db, databaseUrl, memory, cluster)
  // the flags over ShardingConfig's environment, so that the ready line names the address in use
  const address = cluster ? runnerAddress(env, runnerHost, runnerPort) : undefined
  const options: Options<Store.StoreError> & { readonly where: string } = {
    where: address === undefined
      ? where
      : `${where}, runner ${RunWorkflow.runnerName({ runnerAddress: Option.some(address) })}`,
    ...(database !== undefined ? { database } : {}),
    ...(clustered !== undefined ? { cluster: clustered } : {}),
    ...(address !== undefined ? { shardingConfig: { runnerAddress: Option.some(address) } } : {}),
    port,
    host,
    apiKeys,
    timings,
    ...(model !== undefined ? { model } : {}),
    limits,
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    ...(shutdownTimeout !== undefined ? { shutdownTimeout } : {}),
    keepAliveGrace
  }
  return options
}

const runnerAddress = (env: NodeJS.ProcessEnv, host: string | undefined, port: number | undefined) => {
  const provider = ConfigProvider.fromMap(
    new Map(Object.entries(env).flatMap(([key, value]) => (value === undefined ? [] : [[key, value]])))
  ).pipe(ConfigProvider.constantCase)
  const config = Effect.runSync(Effect.either(Effect.withConfigProvider(ShardingConfig.config, provider)))
  if (Either.isLeft(config)) throw new UsageError(`the cluster's environment: ${config.left}`)
  const fromEnv = Option.getOrElse(
    Option.orElse(config.right.runnerAddress, () => ShardingConfig.defaults.runnerAddress),
    () => RunnerAddress.make("localhost", 34431)
  )
  return RunnerAddress.make(host ?? fromEnv.host, port ?? fromEnv.port)
}

const modelLayer = (o: {
  readonly provider: string
  readonly baseUrl: string | undefined
  readonly modelKey: string | undefined
  readonly modelMap: ReadonlyArray<string>
  readonly modelTimeout: Duration.Duration | undefined
  readonly providerFlags: ReadonlyArray<string>
}) => {
  if (o.provider === "scripted") {
    if (o.providerFlags.length > 0) {
      throw new UsageError(`${o.providerFlags[0]} needs --model-provider openai-responses, openai-chat or anthropic`)
    }
    return undefined
  }
  if (o.provider !== "openai-responses" && o.provider !== "openai-chat" && o.provider !== "anthropic") {
    throw new UsageError(
      `unknown model provider "${o.provider}": use scripted, openai-responses, openai-chat or anthropic`
    )
  }
  const map = Upstream.parseModelMap(o.modelMap)
  if (map === undefined) throw new UsageError(`--model-map needs FROM=TO, e.g. gpt-4o=llama3.2`)
  if (o.baseUrl !== undefined && !/^https?:\/\/[^/]/.test(o.baseUrl)) {
    throw new UsageError(`--model-base-url needs an http(s) URL, e.g. http://127.0.0.1:11434/v1`)
  }
  const baseUrl = o.baseUrl ??
    (o.provider === "openai-responses"
      ? Upstream.openAiBaseUrl
      : o.provider === "anthropic"
      ? anthropicBaseUrl
      : undefined)
  if (baseUrl === undefined) {
    throw new UsageError(`--model-provider openai-chat needs --model-base-url (or MODEL_BASE_URL)`)
  }
  if (
    o.modelKey === undefined && (baseUrl.startsWith(Upstream.openAiBaseUrl) || baseUrl.startsWith(anthropicBaseUrl))
  ) {
    throw new UsageError(`${baseUrl} needs --model-api-key (or MODEL_API_KEY)`)
  }
  const options: Upstream.Options = {
    baseUrl,
    modelMap: map,
    ...(o.modelKey !== undefined ? { apiKey: Redacted.make(o.modelKey) } : {}),
    ...(o.modelTimeout !== undefined ? { timeout: o.modelTimeout } : {})
  }
  // loaded only when chosen: the Responses and Anthropic clients' generated schemas are large
  const layer = Layer.unwrapEffect(Effect.promise(() =>
    o.provider === "openai-chat"
      ? import("./models/ChatCompletions.js").then((m) => m.layer(options))
      : o.provider === "anthropic"
      ? import("./models/Anthropic.js").then((m) => m.layer(options))
      : import("./models/OpenAiResponses.js").then((m) => m.layer(options))
  ))
  // undici's own client rather than `fetch` over it: less of the server's CPU per model turn
  // (bench/README.md, "The server's turns")
  return layer.pipe(Layer.provide(NodeHttpClient.layerUndici))
}

// Anthropic.defaultBaseUrl, named here so that the provider's module loads only when chosen
const anthropicBaseUrl = "https://api.anthropic.com/v1"

const loopback = (host: string) =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)

let options: Options<Store.StoreError> & { readonly where: string }
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
      Console.log(`effect-assistants server listening on ${url} (data ${options.where})`)
    ))
)

const onStopped = (stats: Graceful.Stats) =>
  Console.log(
    `effect-assistants server stopped: ${stats.requests} requests read, ${stats.answered} answered, ${stats.forced} connections closed by the shutdown timeout`
  )

/** A database the server cannot open, reach or migrate: the failures that stop it at start. */
const isDatabaseError = (e: unknown): e is { readonly _tag: string; readonly message: string } => {
  const tag = (e as { readonly _tag?: unknown } | null)?._tag
  return tag === "StoreError" || tag === "SqlError" || tag === "MigrationError" || tag === "RunnerError"
}

NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provide(layer({ ...options, onStopped })))).pipe(
    // one line and exit code 1, never a half-started server
    Effect.catchIf(isDatabaseError, (e) =>
      Effect.zipRight(
        Console.error(`effect-assistants-server: ${e.message}`),
        Effect.sync(() => process.exit(1))
      ))
  )
)
