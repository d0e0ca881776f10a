/**
 * Decodes any body the Assistants API returns, single object or list page: for stored payloads,
 * recorded responses and webhooks.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Assistant, AssistantDeleted } from "./Assistant.js"
import { ListPage } from "./Common.js"
import { lazy } from "./internal/lazy.js"
import { Message, MessageDeleted } from "./Message.js"
import { Run } from "./Run.js"
import { RunStep } from "./RunStep.js"
import { Thread, ThreadDeleted } from "./Thread.js"

/**
 * A page of any listable kind. A page is recognised by its `data` array whatever its `object`
 * says; an empty page decodes as a page of assistants (there is nothing to tell it apart).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AnyPage = /* @__PURE__ */ lazy(() =>
  Schema.Union(ListPage(Assistant), ListPage(Message), ListPage(Run), ListPage(RunStep))
    .annotations({ identifier: "AnyPage" })
)

/**
 * Every object kind, dispatching on `object`, then list pages.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AnyObject = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Assistant,
    Thread,
    Message,
    Run,
    RunStep,
    AssistantDeleted,
    ThreadDeleted,
    MessageDeleted,
    AnyPage
  ).annotations({ identifier: "AnyObject" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type AnyObject = typeof AnyObject.Type
