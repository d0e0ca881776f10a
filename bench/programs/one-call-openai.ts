// One call with the official SDK.
import OpenAI from "openai"

const client = new OpenAI({ apiKey: "sk-bench", baseURL: process.env.BENCH_URL ?? "http://127.0.0.1:1/v1" })
const run = await client.beta.threads.runs.retrieve("run_bench0000000000000000", {
  thread_id: "thread_bench000000000000001"
})
if (run.status !== "completed") throw new Error(run.status)
