"""redis-oxide's benchmark harness: redis-oxide against its peers, standalone, cluster, cache.

Run ``python -m bench --help``. The layout follows the data flow:

- `bench._spec`: workloads, data set, and the job/result shapes that cross
  process boundaries;
- `bench._server`: the harness's own redis-server (start, seed, stop);
- `bench._cluster`: the harness's own six-node cluster, for the cluster suite;
- `bench._runner`: the suites, one after the other; `bench._process`: rounds,
  rotation, one worker process per client and loop;
- `bench._worker`: the measuring process, driving one `bench._adapters`
  adapter (redis-py, coredis, valkey-glide, the `bench._bare` baseline,
  redis-oxide), or one `bench._cluster_adapters` adapter in the cluster suite;
- the cache suite: `bench._cache_runner` (its server, its writer process
  `bench._cache_writer`, its rounds), `bench._cache_worker` (one phase of the
  hot-key workload, `bench._cache_workload`, through one `bench._cache_adapters`
  reader), `bench._cache_report` and `bench._cache_markdown` (its figures);
- `bench._limits`: redis-benchmark figures as the C limit;
- `bench._report`: medians, ratios, Markdown and JSON.

Nothing here is imported by the redis_oxide package.
"""
