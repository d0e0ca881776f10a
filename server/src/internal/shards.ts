/**
 * The single runner's start: waiting for its shards (see {@link holdingShards}).
 *
 * @internal
 */
import * as EntityId from "@effect/cluster/EntityId"
import * as Sharding from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
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
