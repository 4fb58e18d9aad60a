"""Stream consumer groups: ``from redis_oxide.streams import GroupConsumer, StreamProducer``.

A public module because stream workers are a pattern of their own, documented in
``docs/streams.md``; the classes live in ``redis_oxide._streams`` and
``redis_oxide._streams_producer``, and are also importable from ``redis_oxide``.
"""

from redis_oxide._streams import ConsumerStats, GroupConsumer, StreamEntry
from redis_oxide._streams_producer import StreamProducer

__all__ = ["ConsumerStats", "GroupConsumer", "StreamEntry", "StreamProducer"]


def _rename_module() -> None:
    for name in __all__:
        globals()[name].__module__ = __name__


_rename_module()
del _rename_module
