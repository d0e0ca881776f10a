// Cold start: the official SDK, imported and constructed.
import OpenAI from "openai"

const client = new OpenAI({ apiKey: "sk-bench", baseURL: "http://127.0.0.1:1/v1" })
if (!client.beta.threads.runs) throw new Error("no runs resource")
