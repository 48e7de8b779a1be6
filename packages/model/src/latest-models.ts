export interface Versioned {
  name: string;
  version: number;
}

/**
 * The live model per name, fed from the compacted models topic. A record only replaces the current one when its
 * version is higher: records of one name share a key and so a partition, but a re-published old version, or a
 * replay after compaction, must never roll the scorer back.
 */
export class LatestModels<M extends Versioned> {
  private readonly byName = new Map<string, M>();

  /** Returns true when `model` became the latest of its name. */
  offer(model: M): boolean {
    const current = this.byName.get(model.name);
    if (current && current.version >= model.version) return false;
    this.byName.set(model.name, model);
    return true;
  }

  get(name: string): M | undefined {
    return this.byName.get(name);
  }

  /** Version of the latest model of `name`, 0 when there is none yet. */
  versionOf(name: string): number {
    return this.byName.get(name)?.version ?? 0;
  }
}
