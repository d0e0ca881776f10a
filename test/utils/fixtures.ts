/** Wire (snake_case) bodies as the API sends them. */
export const assistant = {
  id: "asst_abc123",
  object: "assistant",
  created_at: 1698984975,
  name: "Math Tutor",
  description: null,
  model: "gpt-4o",
  instructions: "You are a personal math tutor.",
  tools: [
    { type: "code_interpreter" },
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather in a city",
        parameters: { type: "object", properties: { city_name: { type: "string" } }, required: ["city_name"] },
        strict: null
      }
    }
  ],
  tool_resources: { code_interpreter: { file_ids: ["file_1"] } },
  metadata: { user_key: "Value" },
  temperature: 1,
  top_p: 1,
  response_format: "auto"
}

export const thread = {
  id: "thread_abc123",
  object: "thread",
  created_at: 1699012949,
  tool_resources: null,
  metadata: {}
}

export const message = {
  id: "msg_abc123",
  object: "thread.message",
  created_at: 1699017614,
  assistant_id: null,
  thread_id: "thread_abc123",
  run_id: null,
  role: "user",
  status: "completed",
  incomplete_details: null,
  completed_at: 1699017615,
  incomplete_at: null,
  content: [
    {
      type: "text",
      text: {
        value: "How does AI work? Explain it in simple terms.",
        annotations: [
          {
            type: "file_citation",
            text: "【4:0†source】",
            file_citation: { file_id: "file_9" },
            start_index: 5,
            end_index: 17
          }
        ]
      }
    }
  ],
  attachments: [],
  metadata: {}
}

export const run = {
  id: "run_abc123",
  object: "thread.run",
  created_at: 1699063290,
  assistant_id: "asst_abc123",
  thread_id: "thread_abc123",
  status: "requires_action",
  started_at: 1699063290,
  expires_at: 1699063890,
  cancelled_at: null,
  failed_at: null,
  completed_at: null,
  required_action: {
    type: "submit_tool_outputs",
    submit_tool_outputs: {
      tool_calls: [{
        id: "call_1",
        type: "function",
        function: { name: "get_weather", arguments: "{\"city_name\":\"Paris\"}" }
      }]
    }
  },
  last_error: null,
  model: "gpt-4o",
  instructions: "You are a helpful assistant.",
  incomplete_details: null,
  tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
  metadata: {},
  usage: null,
  temperature: 1,
  top_p: 1,
  max_prompt_tokens: 1000,
  max_completion_tokens: 1000,
  truncation_strategy: { type: "auto", last_messages: null },
  response_format: "auto",
  tool_choice: "auto",
  parallel_tool_calls: true
}

export const step = {
  id: "step_abc123",
  object: "thread.run.step",
  created_at: 1699063291,
  run_id: "run_abc123",
  assistant_id: "asst_abc123",
  thread_id: "thread_abc123",
  type: "tool_calls",
  status: "completed",
  cancelled_at: null,
  completed_at: 1699063291,
  expired_at: null,
  failed_at: null,
  last_error: null,
  step_details: {
    type: "tool_calls",
    tool_calls: [{
      id: "call_1",
      type: "function",
      function: { name: "get_weather", arguments: "{}", output: "sunny" }
    }]
  },
  metadata: null,
  usage: { prompt_tokens: 123, completion_tokens: 456, total_tokens: 579 }
}

export const page = <A extends { id: string }>(data: ReadonlyArray<A>, hasMore = false) => ({
  object: "list",
  data,
  first_id: data[0]?.id ?? null,
  last_id: data[data.length - 1]?.id ?? null,
  has_more: hasMore
})
