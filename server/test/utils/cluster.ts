/**
 * Runners of a cluster as real child processes of the compiled bin (`--cluster`), on a fresh
 * database of the PostgreSQL server `DATABASE_URL` names, with the cluster's intervals shortened
 * through `ShardingConfig`'s environment variables so that a failover takes seconds.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { createServer } from "node:net"
import * as Bin from "./bin.js"

/**
 * Shortened from `@effect/cluster`'s defaults (a shard lock expires after 35 s, messages are
 * polled every 10 s): a killed runner's shards move within a few seconds. The lock refresh keeps
 * two seconds: a refresh slower than its interval counts the runner's locks as lost (all its runs
 * are interrupted, to resume), which a loaded 2-core machine met often with one second.
 */
export const fastFailover: Record<string, string> = {
  SHARD_LOCK_EXPIRATION: "6 seconds",
  SHARD_LOCK_REFRESH_INTERVAL: "2 seconds",
  REFRESH_ASSIGNMENTS_INTERVAL: "1 second",
  ENTITY_MESSAGE_POLL_INTERVAL: "500 millis",
  RUNNER_HEALTH_CHECK_INTERVAL: "2 seconds",
  ENTITY_TERMINATION_TIMEOUT: "2 seconds"
}

/** A free loopback port, for a runner's address (the HTTP port is picked by the bin itself). */
export const freePort: Effect.Effect<number> = Effect.async((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

export interface Runner {
  /** Its address for the other runners, `127.0.0.1:<port>`, as its log lines name it. */
  readonly name: string
  readonly runnerPort: number
  /** The process now serving under this name (a restart replaces it). */
  readonly child: () => Bin.Child
  /** `kill -9`. */
  readonly kill: Effect.Effect<void>
  /** Starts it again on the same runner port; waits for its ready line. */
  readonly restart: Effect.Effect<void, Error, Scope.Scope>
  /** Every line it printed, over all its lives. */
  readonly output: () => string
}

/**
 * Starts a runner of the cluster on `databaseUrl`; each of its processes is killed when the scope
 * closes.
 */
export const runner = (
  databaseUrl: string,
  options: { readonly args?: ReadonlyArray<string>; readonly env?: Record<string, string> } = {}
): Effect.Effect<Runner, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const runnerPort = yield* freePort
    const spawn = Bin.start(
      [
        "--cluster",
        "--database-url",
        databaseUrl,
        "--runner-host",
        "127.0.0.1",
        "--runner-port",
        String(runnerPort),
        ...(options.args ?? [])
      ],
      { ...fastFailover, ...options.env }
    )
    let current = yield* spawn
    const earlier: Array<string> = []
    return {
      name: `127.0.0.1:${runnerPort}`,
      runnerPort,
      child: () => current,
      kill: Effect.promise(async () => {
        if (!current.alive()) return
        current.process.kill("SIGKILL")
        await current.exited
      }),
      restart: Effect.gen(function*() {
        earlier.push(current.stdout() + current.stderr())
        current = yield* spawn
      }),
      output: () => earlier.join("") + current.stdout() + current.stderr()
    }
  })

/** The runner each run's status changes were logged by, in order: `run <id> <status> on <runner>`. */
export const changes = (
  output: string
): ReadonlyArray<{ readonly run: string; readonly status: string; readonly runner: string }> =>
  Array.from(
    output.matchAll(/run (run_[0-9a-z]+) ([a-z_]+) on (\S+)/g),
    (m) => ({ run: m[1], status: m[2], runner: m[3] })
  )
