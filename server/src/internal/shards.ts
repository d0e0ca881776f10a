/**
 * A runner's shards: waiting for them at the start of a single runner (see {@link holdingShards}),
 * and having a workflow's messages read again (see {@link rereading}).
 *
 * @internal
 */
import type { PersistenceError } from "@effect/cluster/ClusterError"
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as EntityId from "@effect/cluster/EntityId"
import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as Sharding from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import type * as Workflow from "@effect/workflow/Workflow"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"

/**
 * Waits until the runner holds its shards, so that the server answers once it can run what it is
 * asked to: the runner takes its shards' locks only after its layer is built, and a run created
 * before waits for them, for as long as taking them lasts on a loaded database. At most one lock
 * refresh interval: past it (another process holding the locks, say) the server starts anyway
 * and says so, and its runs wait for the locks as they did before.
 *
 * @internal
 */
export const holdingShards = (
  config: Pick<ShardingConfig.ShardingConfig["Type"], "assignedShardGroups" | "shardLockRefreshInterval">
): Effect.Effect<void, never, Sharding.Sharding> =>
  Effect.gen(function*() {
    const sharding = yield* Sharding.Sharding
    // the shards are taken in one batch for every group: one shard of each tells
    const probes = config.assignedShardGroups.map((group) => sharding.getShardId(EntityId.make("ready"), group))
    const held = yield* Effect.repeat(Effect.sync(() => probes.every((shard) => sharding.hasShardId(shard))), {
      until: (held) => held,
      schedule: Schedule.spaced("10 millis")
    }).pipe(Effect.timeoutTo({
      duration: config.shardLockRefreshInterval,
      onSuccess: () => true,
      onTimeout: () => false
    }))
    if (!held) {
      yield* Effect.logWarning(
        `the runner does not hold its shards after ${Duration.format(config.shardLockRefreshInterval)}: ` +
          "runs wait until it does"
      )
    }
  })

/**
 * Has the messages of one workflow execution's shard read again: at once when this runner holds
 * the shard, at its next poll on the runner that does. Without a runner in context (the workflow
 * engine's in-memory storage) there are no messages to read, and it does nothing.
 *
 * A runner reads a message from storage once, and not again for ten minutes unless its shard is
 * reset. `ClusterWorkflowEngine.resume` clears a suspended workflow's reply and asks for a read:
 * when that read comes while the runner is still finishing the request that suspended (its reply
 * written, the request not yet let go), the request is skipped as running, and is left with no
 * reply and marked read, so no later resume finds it. Resetting its shard has it read again; a
 * request still running is skipped again, which is harmless.
 *
 * @internal
 */
export const rereading = (
  workflow: Workflow.Any
): Effect.Effect<(executionId: string) => Effect.Effect<void, PersistenceError>> =>
  Effect.gen(function*() {
    const sharding = yield* Effect.serviceOption(Sharding.Sharding)
    const storage = yield* Effect.serviceOption(MessageStorage.MessageStorage)
    if (Option.isNone(sharding) || Option.isNone(storage)) return () => Effect.void
    const group = Context.get(workflow.annotations, ClusterSchema.ShardGroup)
    return (executionId) => {
      const entityId = EntityId.make(executionId)
      return Effect.zipRight(
        storage.value.resetShards([sharding.value.getShardId(entityId, group(entityId))]),
        sharding.value.pollStorage
      )
    }
  })
