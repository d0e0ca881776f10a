/**
 * `npm run server` from a clone runs the compiled bin as the one process under npm (the script
 * `exec`s node), so SIGTERM to npm reaches the server, which stops gracefully, and nothing
 * outlives npm. Before, npm's shell stood between them and the server was orphaned.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))

/** The pids whose parent is `pid`, read from /proc. */
const children = (pid: number): Array<number> => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("npm run server", () => {
  it("SIGTERM to npm stops the server: one process under npm, none left after it", async () => {
    const npm = spawn("npm", ["run", "server", "--", "--port", "0", "--memory"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20_000)
      npm.stdout.on("data", (chunk) => {
        out += chunk
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
      npm.on("exit", (code) => reject(new Error(`npm exited ${code}: ${out}`)))
    })
    const under = children(npm.pid!)
    assert.strictEqual(under.length, 1, "one process under npm")
    const server = under[0]!
    assert.include(readFileSync(`/proc/${server}/cmdline`, "utf8"), "server/dist/bin.js")
    assert.deepStrictEqual(children(server), [])
    const listing = await fetch(`${url}/assistants`, { headers: { "OpenAI-Beta": "assistants=v2" } })
    assert.strictEqual(listing.status, 200)

    const exited = new Promise<void>((resolve) => npm.on("exit", () => resolve()))
    npm.kill("SIGTERM")
    await exited
    // the server answers SIGTERM by stopping; wait for it by its pid, bounded
    for (let i = 0; i < 200 && alive(server); i++) await new Promise((r) => setTimeout(r, 50))
    assert.isFalse(alive(server), "the server outlived npm")
    assert.match(out, /server stopped/)
  })
})
