"""Liangxian (两险征缴管理系统): collecting the residents' basic pension and medical insurance contributions."""

import os

# Polars' allocator (jemalloc) keeps freed memory for 10 s by default, so a large list's frames of one stage stay
# resident while the next stage allocates its own: give it back within 0.2 s instead (a 300,000-row list then
# peaks under 1 GiB). It must be set before Polars loads; an operator's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:200,muzzy_decay_ms:0")
