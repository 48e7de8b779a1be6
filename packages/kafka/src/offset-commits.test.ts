import { OffsetCommits, type PartitionOffset } from './offset-commits';

describe('OffsetCommits', () => {
  it('sends the commits asked for in the same turn as one request', async () => {
    const sent: PartitionOffset[][] = [];
    const commits = new OffsetCommits(async (offsets) => void sent.push(offsets));
    await Promise.all([
      commits.commit({ topic: 'a', partition: 0, offset: '5' }),
      commits.commit({ topic: 'a', partition: 1, offset: '7' }),
      commits.commit({ topic: 'b', partition: 0, offset: '2' }),
    ]);
    expect(sent).toEqual([
      [
        { topic: 'a', partition: 0, offset: '5' },
        { topic: 'a', partition: 1, offset: '7' },
        { topic: 'b', partition: 0, offset: '2' },
      ],
    ]);
  });

  it('gathers commits asked for while one is in flight into the next request, the highest offset per partition', async () => {
    const sent: PartitionOffset[][] = [];
    let release!: () => void;
    const commits = new OffsetCommits(async (offsets) => {
      sent.push(offsets);
      if (sent.length === 1) await new Promise<void>((r) => (release = r));
    });
    const first = commits.commit({ topic: 'a', partition: 0, offset: '1' });
    await new Promise((r) => setImmediate(r));
    const later = [commits.commit({ topic: 'a', partition: 0, offset: '9' }), commits.commit({ topic: 'a', partition: 0, offset: '4' }), commits.commit({ topic: 'a', partition: 2, offset: '3' })];
    release();
    await Promise.all([first, ...later]);
    expect(sent).toEqual([
      [{ topic: 'a', partition: 0, offset: '1' }],
      [
        { topic: 'a', partition: 0, offset: '9' },
        { topic: 'a', partition: 2, offset: '3' },
      ],
    ]);
  });

  it('rejects every caller of a failed request; later commits go out again', async () => {
    let fail = true;
    const commits = new OffsetCommits(async () => {
      if (fail) throw new Error('REBALANCE_IN_PROGRESS');
    });
    const results = await Promise.allSettled([commits.commit({ topic: 'a', partition: 0, offset: '1' }), commits.commit({ topic: 'a', partition: 1, offset: '1' })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(commits.commit({ topic: 'a', partition: 0, offset: '1' })).resolves.toBeUndefined();
  });
});
