"""redis-oxide's benchmark harness: redis-oxide against its peers, standalone and cluster.

Run ``python -m bench --help``. The layout follows the data flow:

- `bench._spec`: workloads, data set, and the job/result shapes that cross
  process boundaries;
- `bench._server`: the harness's own redis-server (start, seed, stop);
- `bench._cluster`: the harness's own six-node cluster, for the cluster suite;
- `bench._runner`: rounds, rotation, one worker process per client and loop;
- `bench._worker`: the measuring process, driving one `bench._adapters`
  adapter (redis-py, coredis, valkey-glide, the `bench._bare` baseline,
  redis-oxide), or one `bench._cluster_adapters` adapter in the cluster suite;
- `bench._limits`: redis-benchmark figures as the C limit;
- `bench._report`: medians, ratios, Markdown and JSON.

Nothing here is imported by the redis_oxide package.
"""
