/**
 * Child processes for the tests that run programs the way users do (examples, packed tarballs,
 * the installed bin): bounded in time, killed when the test is interrupted.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"

export interface Output {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Options {
  readonly cwd: string
  readonly env?: NodeJS.ProcessEnv | undefined
  /** Past this the process is killed; the result then has `signal: "SIGKILL"`. */
  readonly timeout: Duration.DurationInput
}

/**
 * The environment of this process without what npm, vitest or a developer's shell put there
 * that would change how a child behaves (npm's config, node options, an OpenAI endpoint).
 */
export const cleanEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === "NODE_OPTIONS" || key.startsWith("OPENAI_") || key.startsWith("VITEST")) {
      continue
    }
    env[key] = value
  }
  return { ...env, ...extra }
}

const kill = (child: ChildProcess) => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
}

/** Runs a command to its end and collects its output. */
export const run = (command: string, args: ReadonlyArray<string>, options: Options): Effect.Effect<Output> =>
  Effect.async<Output>((resume) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => kill(child), Duration.toMillis(options.timeout))
    child.on("error", (error) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code: null, signal: null, stdout, stderr: `${stderr}${String(error)}` }))
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, signal, stdout, stderr }))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      kill(child)
    })
  })

/** What a failed command printed, for an assertion message. */
export const describeOutput = (output: Output) =>
  `exit ${output.code ?? output.signal}\n--- stdout\n${output.stdout}\n--- stderr\n${output.stderr}`

/**
 * Starts a long-running command, waits until its stdout matches `ready`, and returns the match;
 * the process is killed (SIGTERM, then SIGKILL) when the scope closes.
 */
export const startUntil = (
  command: string,
  args: ReadonlyArray<string>,
  ready: RegExp,
  options: Options
) =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ChildProcess; readonly match: RegExpExecArray }, Error>((resume) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      let done = false
      const finish = (
        result: Effect.Effect<{ readonly child: ChildProcess; readonly match: RegExpExecArray }, Error>
      ) => {
        if (done) return
        done = true
        clearTimeout(timer)
        resume(result)
      }
      const timer = setTimeout(() => {
        kill(child)
        finish(Effect.fail(new Error(`not ready within ${Duration.format(options.timeout)}: ${stdout}${stderr}`)))
      }, Duration.toMillis(options.timeout))
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk
        const match = ready.exec(stdout)
        if (match) finish(Effect.succeed({ child, match }))
      })
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
      child.on("close", (code) => finish(Effect.fail(new Error(`exited ${code} before ready: ${stdout}${stderr}`))))
      return Effect.sync(() => {
        clearTimeout(timer)
        kill(child)
      })
    }),
    ({ child }) => stop(child)
  )

/** SIGTERM, then SIGKILL after 5 s; resolves with how it exited. */
export const stop = (child: ChildProcess) =>
  Effect.async<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resume(Effect.succeed({ code: child.exitCode, signal: child.signalCode }))
    }
    const timer = setTimeout(() => kill(child), 5_000)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, signal }))
    })
    child.kill("SIGTERM")
  })
