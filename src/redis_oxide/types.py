"""Every type a public signature names, for the annotations of code that uses redis-oxide.

``redis_oxide.types`` is a public module. Rules:

- Whatever a public method, function or class of redis-oxide names in its signature is
  importable from ``redis_oxide``, from here or from ``redis_oxide.exceptions``; a test walks
  the signatures and fails on a type that is not.
- The argument types of the generated command surface (``block`` dataclasses such as
  ``XtrimTrim``, ``Literal`` choices such as ``ClientListClientType``) come from the generator's
  own list, so a new Redis release extends this module with no edit here.
- Reply models live in ``redis_oxide`` itself (``from redis_oxide import ClientInfo``); their
  base, ``ReplyModel``, is here.
- Unlike ``redis_oxide``'s classes, the classes here keep the ``__module__`` they were defined
  in: each is annotated (a ``TypedDict``, dataclasses, a pydantic model), and
  ``typing.get_type_hints`` resolves a class's annotations in the module ``__module__`` names,
  which would fail here.
"""

import redis_oxide._generated._types as _types
from redis_oxide._client_cluster_config import StartupNode
from redis_oxide._client_cluster_view import ClusterTarget
from redis_oxide._client_options import ClientOptions, ClusterOptions, ReadFrom, StrategyName
from redis_oxide._command import ArgT, CommandExecutor, KeyT, ReplyParser, ValueT
from redis_oxide._generated._base import StrT
from redis_oxide._generated._types import *  # noqa: F403  (see __all__ below)
from redis_oxide._parsers import InfoValue, Reply, ReplyItem
from redis_oxide._replies import ReplyModel

__all__ = [
    # Client options
    "ClientOptions",
    "ClusterOptions",
    "ReadFrom",
    "StrategyName",
    # Cluster clients
    "ClusterTarget",
    "StartupNode",
    # What runs commands: a client, a pipeline, a transaction
    "CommandExecutor",
    # Values a command takes
    "ArgT",
    "KeyT",
    "ValueT",
    # Replies
    "InfoValue",
    "Reply",
    "ReplyItem",
    "ReplyModel",
    "ReplyParser",
    "StrT",
]
# The argument types of the generated command surface.
__all__ += _types.__all__
