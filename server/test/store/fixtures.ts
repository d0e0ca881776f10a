/**
 * Objects as the server stores them, each with a fresh id, for the store suites.
 */
import type { Assistant } from "effect-assistants/Assistant"
import type { Message } from "effect-assistants/Message"
import type { Run } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import type { Thread } from "effect-assistants/Thread"
import * as Ids from "../../src/Ids.js"

export const assistant = (overrides: Partial<Assistant> = {}): Assistant => ({
  id: Ids.make("asst"),
  object: "assistant",
  createdAt: 1_700_000_000,
  name: "Tutor",
  description: null,
  model: "gpt-4o",
  instructions: "Be brief. Ünïcødé and \"quotes\" survive.",
  tools: [{ type: "code_interpreter" }],
  toolResources: {},
  metadata: { z: "last key first", a: "first key last" },
  temperature: 0.5,
  topP: 1,
  responseFormat: "auto",
  ...overrides
})

export const thread = (): Thread => ({
  id: Ids.make("thread"),
  object: "thread",
  createdAt: 1_700_000_000,
  toolResources: null,
  metadata: {}
})

export const message = (threadId: string, text: string, runId: string | null = null): Message => ({
  id: Ids.make("msg"),
  object: "thread.message",
  createdAt: 1_700_000_000,
  threadId,
  status: "completed",
  incompleteDetails: null,
  completedAt: 1_700_000_000,
  incompleteAt: null,
  role: runId === null ? "user" : "assistant",
  content: [{ type: "text", text: { value: text, annotations: [] } }],
  assistantId: null,
  runId,
  attachments: [],
  metadata: {}
})

export const run = (threadId: string, assistantId: string, status: Run["status"] = "queued"): Run => ({
  id: Ids.make("run"),
  object: "thread.run",
  createdAt: 1_700_000_000,
  threadId,
  assistantId,
  status,
  requiredAction: null,
  lastError: null,
  expiresAt: 1_700_000_600,
  startedAt: null,
  cancelledAt: null,
  failedAt: null,
  completedAt: null,
  incompleteDetails: null,
  model: "gpt-4o",
  instructions: "",
  tools: [],
  metadata: {},
  usage: null,
  temperature: 1,
  topP: 1,
  maxPromptTokens: null,
  maxCompletionTokens: null,
  truncationStrategy: { type: "auto", lastMessages: null },
  toolChoice: "auto",
  parallelToolCalls: true,
  responseFormat: "auto"
})

export const step = (r: Run, messageId: string): RunStep => ({
  id: Ids.make("step"),
  object: "thread.run.step",
  createdAt: 1_700_000_000,
  assistantId: r.assistantId,
  threadId: r.threadId,
  runId: r.id,
  type: "message_creation",
  status: "completed",
  stepDetails: { type: "message_creation", messageCreation: { messageId } },
  lastError: null,
  expiredAt: null,
  cancelledAt: null,
  failedAt: null,
  completedAt: 1_700_000_001,
  metadata: {},
  usage: null
})
