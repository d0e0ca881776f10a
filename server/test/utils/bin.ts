/**
 * The compiled bin (`server/dist/bin.js`, built by `npm run build`) as a real child process, for
 * the tests of what only a process shows: its exit, its signals, its output, its survival.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const path = fileURLToPath(new URL("../../dist/bin.js", import.meta.url))

export interface Child {
  readonly process: ChildProcess
  /** `http://127.0.0.1:<port>/v1` */
  readonly url: string
  readonly port: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves when the process exits. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly alive: () => boolean
}

const storageFlags = ["--db", "--database-url", "--memory"]

/**
 * The bin's arguments for a test: `--memory` unless `args` name a store, so that tests never share
 * the default `./effect-assistants.db`, nor the `DATABASE_URL` a CI run exports.
 */
export const argsOf = (args: ReadonlyArray<string>): ReadonlyArray<string> =>
  args.some((arg) => storageFlags.includes(arg)) ? args : ["--memory", ...args]

/**
 * Starts the bin with `args` (see {@link argsOf}) and waits for its ready line; killed when the
 * scope closes.
 */
export const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.async<Child, Error>((resume) => {
      const child = spawn(process.execPath, [path, "--port", "0", ...argsOf(args)], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ASSISTANTS_API_KEY: "", ...env }
      })
      let out = ""
      let err = ""
      let ready = false
      let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("exit", (code, signal) => {
          exitInfo = { code, signal }
          resolve(exitInfo)
          if (!ready) resume(Effect.fail(new Error(`exited ${code} ${signal}: ${out}${err}`)))
        })
      )
      child.stderr!.on("data", (chunk) => (err += chunk))
      child.stdout!.on("data", (chunk) => {
        out += chunk
        const match = /listening on (http:\/\/[^\s]+:(\d+)\/v1)/.exec(out)
        if (match && !ready) {
          ready = true
          resume(Effect.succeed({
            process: child,
            url: match[1],
            port: Number(match[2]),
            stdout: () => out,
            stderr: () => err,
            exited,
            alive: () => exitInfo === undefined
          }))
        }
      })
      return Effect.sync(() => child.kill("SIGKILL"))
    }),
    (child) => Effect.sync(() => child.alive() && child.process.kill("SIGKILL"))
  )

/** The environment without a database chosen by the caller's `DATABASE_URL`. */
export const noDatabaseUrl = () => {
  const env: NodeJS.ProcessEnv = { ...process.env, ASSISTANTS_API_KEY: "" }
  delete env.DATABASE_URL
  return env
}

/**
 * Runs the bin to its exit, without `DATABASE_URL` in its environment (for flags that exit at
 * once).
 */
export const run = (args: ReadonlyArray<string>, cwd?: string) =>
  Effect.promise(() =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: noDatabaseUrl(),
        ...(cwd ? { cwd } : {})
      })
      let stdout = ""
      let stderr = ""
      child.stdout!.on("data", (d) => (stdout += d))
      child.stderr!.on("data", (d) => (stderr += d))
      child.on("exit", (code) => resolve({ code, stdout, stderr }))
    })
  )

/** Waits for the exit of `child`. */
export const exit = (child: Child) => Effect.promise(() => child.exited)

/** One bin shared by the tests of a file. */
export class Bin extends Context.Tag("test/Bin")<Bin, Child>() {}

export const layer = (args: ReadonlyArray<string> = [], env: Record<string, string> = {}) =>
  Layer.scoped(Bin, start(args, env))
