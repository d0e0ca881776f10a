/**
 * Canned, realistic Assistants v2 bodies for the benchmark server: a run with tools and usage, a
 * page of 20 messages with annotations (about 27 KB), and run pages.
 */
export const run = (id: string, status = "completed", extra: Record<string, unknown> = {}) => ({
  id,
  object: "thread.run",
  created_at: 1699063290,
  assistant_id: "asst_bench0000000000000001",
  thread_id: "thread_bench000000000000001",
  status,
  started_at: 1699063291,
  expires_at: 1699063890,
  cancelled_at: null,
  failed_at: null,
  completed_at: status === "completed" ? 1699063299 : null,
  required_action: null,
  last_error: null,
  model: "gpt-4o",
  instructions: "You are a helpful assistant that answers questions about the weather and the time.",
  incomplete_details: null,
  tools: [
    { type: "code_interpreter" },
    {
      type: "file_search",
      file_search: { max_num_results: 20, ranking_options: { ranker: "auto", score_threshold: 0 } }
    },
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Determine weather in my location",
        parameters: {
          type: "object",
          properties: {
            location: { type: "string", description: "The city and state e.g. San Francisco, CA" },
            unit: { type: "string", enum: ["c", "f"] }
          },
          required: ["location"]
        },
        strict: false
      }
    }
  ],
  metadata: { user_id: "user_1234", session: "abc" },
  usage: status === "completed" ? { prompt_tokens: 1234, completion_tokens: 567, total_tokens: 1801 } : null,
  temperature: 1,
  top_p: 1,
  max_prompt_tokens: 10000,
  max_completion_tokens: 2000,
  truncation_strategy: { type: "auto", last_messages: null },
  response_format: "auto",
  tool_choice: "auto",
  parallel_tool_calls: true,
  ...extra
})

const paragraph =
  "The weather in San Francisco is mild throughout the year, with cool summers shaped by the marine layer and fog rolling in from the Pacific. Temperatures rarely fall below freezing, and the rainy season runs from November to April. "

export const message = (i: number) => ({
  id: `msg_bench${String(i).padStart(16, "0")}`,
  object: "thread.message",
  created_at: 1699017614 + i,
  assistant_id: i % 2 === 0 ? "asst_bench0000000000000001" : null,
  thread_id: "thread_bench000000000000001",
  run_id: i % 2 === 0 ? "run_bench00000000000000001" : null,
  role: i % 2 === 0 ? "assistant" : "user",
  status: "completed",
  incomplete_details: null,
  completed_at: 1699017615 + i,
  incomplete_at: null,
  content: [
    {
      type: "text",
      text: {
        value: `${paragraph}${paragraph}${paragraph}【4:${i}†source】`,
        annotations: [
          {
            type: "file_citation",
            text: `【4:${i}†source】`,
            file_citation: { file_id: "file-abc123" },
            start_index: 681,
            end_index: 693
          },
          {
            type: "file_path",
            text: "sandbox:/mnt/data/chart.png",
            file_path: { file_id: "file-def456" },
            start_index: 10,
            end_index: 37
          }
        ]
      }
    }
  ],
  attachments: [{ file_id: "file-abc123", tools: [{ type: "file_search" }] }],
  metadata: { topic: "weather" }
})

export const page = (data: ReadonlyArray<{ id: string }>, hasMore: boolean) => ({
  object: "list",
  data,
  first_id: data[0]?.id ?? null,
  last_id: data[data.length - 1]?.id ?? null,
  has_more: hasMore
})

export const runId = (i: number) => `run_bench${String(i).padStart(16, "0")}`

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable between the server's process
 * and a client's: the polling figures subtract one from the other, and `Date.now()` rounds down to
 * a whole millisecond, as much as the answer-to-caller time being measured. So: the monotonic
 * clock plus its offset to the wall clock, the largest `Date.now() - performance.now()` over two
 * milliseconds of readings (each one is at most the true offset). It agreed with
 * `performance.timeOrigin` to within 10 us in four processes of five (76 us in the fifth).
 */
export const now = (() => {
  let offset = -Infinity
  const until = performance.now() + 2
  while (performance.now() < until) offset = Math.max(offset, Date.now() - performance.now())
  return () => offset + performance.now()
})()

// ---------------------------------------------------------------------------------------------
// streamed runs

/** One server-sent event as the API writes it. */
export const sse = (event: string, data: unknown) =>
  `event: ${event}\ndata: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`

export const done = sse("done", "[DONE]")

export const streamThread = "thread_bench000000000000001"
export const callId = "call_bench00000000000000001"
const stepBase = (id: string, runId: string, status: string, details: unknown) => ({
  id,
  object: "thread.run.step",
  created_at: 1699063291,
  assistant_id: "asst_bench0000000000000001",
  thread_id: streamThread,
  run_id: runId,
  type: (details as { type: string }).type,
  status,
  cancelled_at: null,
  completed_at: status === "completed" ? 1699063295 : null,
  expired_at: null,
  failed_at: null,
  last_error: null,
  step_details: details,
  usage: status === "completed" ? { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } : null,
  metadata: {}
})

const argumentsText = JSON.stringify({ location: "San Francisco, CA", unit: "c" })
const streamMessage = (id: string, runId: string, status: string, text: string) => ({
  ...message(0),
  id,
  run_id: runId,
  status,
  completed_at: status === "completed" ? 1699017615 : null,
  content: status === "completed" ? [{ type: "text", text: { value: text, annotations: [] } }] : [],
  attachments: [],
  metadata: {}
})

const words = ["The ", "weather ", "in ", "San ", "Francisco ", "is ", "mild ", "today, ", "with ", "fog. "]

/**
 * A streamed run with a tool round, as the API sends it. `first`: the create's stream, ending at
 * `thread.run.requires_action` (the tool call's arguments arrive in `argumentPieces` step
 * deltas). `second`: the submit_tool_outputs stream up to the message's end (`deltas` text
 * deltas); `last`: the run's completion and `done`, which the server writes on its own.
 */
export const toolRoundStream = (runId: string, deltas: number, argumentPieces = 20) => {
  const toolStep = `step_bench${"0".repeat(15)}1`
  const messageStep = `step_bench${"0".repeat(15)}2`
  const messageId = `msg_bench${"0".repeat(15)}99`
  const callDetails = (args: string) => ({
    type: "tool_calls",
    tool_calls: [{ id: callId, type: "function", function: { name: "get_weather", arguments: args, output: null } }]
  })
  const requiredAction = {
    type: "submit_tool_outputs",
    submit_tool_outputs: {
      tool_calls: [{ id: callId, type: "function", function: { name: "get_weather", arguments: argumentsText } }]
    }
  }
  const first: Array<string> = [
    sse("thread.run.created", run(runId, "queued")),
    sse("thread.run.queued", run(runId, "queued")),
    sse("thread.run.in_progress", run(runId, "in_progress")),
    sse("thread.run.step.created", stepBase(toolStep, runId, "in_progress", callDetails(""))),
    sse("thread.run.step.in_progress", stepBase(toolStep, runId, "in_progress", callDetails("")))
  ]
  const size = Math.ceil(argumentsText.length / argumentPieces)
  for (let i = 0; i < argumentPieces; i++) {
    const piece = argumentsText.slice(i * size, (i + 1) * size)
    first.push(sse("thread.run.step.delta", {
      id: toolStep,
      object: "thread.run.step.delta",
      delta: {
        step_details: {
          type: "tool_calls",
          tool_calls: [{
            index: 0,
            type: "function",
            ...(i === 0 ? { id: callId } : {}),
            function: { ...(i === 0 ? { name: "get_weather" } : {}), arguments: piece }
          }]
        }
      }
    }))
  }
  first.push(sse("thread.run.requires_action", run(runId, "requires_action", { required_action: requiredAction })))
  first.push(done)
  const creation = { type: "message_creation", message_creation: { message_id: messageId } }
  let text = ""
  const second: Array<string> = [
    sse("thread.run.queued", run(runId, "queued")),
    sse("thread.run.in_progress", run(runId, "in_progress")),
    sse("thread.run.step.completed", stepBase(toolStep, runId, "completed", callDetails(argumentsText))),
    sse("thread.run.step.created", stepBase(messageStep, runId, "in_progress", creation)),
    sse("thread.run.step.in_progress", stepBase(messageStep, runId, "in_progress", creation)),
    sse("thread.message.created", streamMessage(messageId, runId, "in_progress", "")),
    sse("thread.message.in_progress", streamMessage(messageId, runId, "in_progress", ""))
  ]
  for (let i = 0; i < deltas; i++) {
    const value = words[i % words.length]
    text += value
    second.push(sse("thread.message.delta", {
      id: messageId,
      object: "thread.message.delta",
      delta: { content: [{ index: 0, type: "text", text: { value } }] }
    }))
  }
  second.push(sse("thread.message.completed", streamMessage(messageId, runId, "completed", text)))
  second.push(sse("thread.run.step.completed", stepBase(messageStep, runId, "completed", creation)))
  const last = [sse("thread.run.completed", run(runId, "completed")), done]
  return { first, second, last, events: first.length + second.length + last.length - 2 }
}
