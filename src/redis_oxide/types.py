"""Every type a public signature names, for the annotations of code that uses redis-oxide.

``redis_oxide.types`` is a public module. Rules:

- Whatever a public method, function or class of redis-oxide names in its signature is
  importable from ``redis_oxide``, from here or from ``redis_oxide.exceptions``; a test walks
  the signatures and fails on a type that is not.
- The argument types of the generated command surface (``block`` dataclasses such as
  ``XtrimTrim``, ``Literal`` choices such as ``ClientListClientType``, unions of the forms an
  argument takes such as ``FtCreateFieldType``) come from the generator's own list, so a new
  Redis release extends this module with no edit here.
- The namespaces of module commands (``client.json`` is a ``JsonCommands``) come from the
  generator's list too, and so do their base, ``NamespaceBase``, and the owner's executor it
  holds, ``BoundExecute`` (whose signature brings ``CommandMeta`` and its enums here); the JSON
  values RedisJSON commands take and return are ``JsonInput`` and ``JsonValue``.
- Reply models live in ``redis_oxide`` itself (``from redis_oxide import ClientInfo``); their
  base, ``ReplyModel``, is here.
- Unlike ``redis_oxide``'s classes, the classes here keep the ``__module__`` they were defined
  in: each is annotated (a ``TypedDict``, dataclasses, a pydantic model), and
  ``typing.get_type_hints`` resolves a class's annotations in the module ``__module__`` names,
  which would fail here.
"""

import redis_oxide._generated._namespaces as _namespaces
import redis_oxide._generated._types as _types
from redis_oxide._cache_config import TrackingMode
from redis_oxide._client_cluster_config import StartupNode
from redis_oxide._client_cluster_view import ClusterTarget
from redis_oxide._client_options import ClientOptions, ClusterOptions, ReadFrom, StrategyName
from redis_oxide._command import (
    ArgT,
    CommandExecutor,
    CommandFlag,
    CommandMeta,
    KeySpec,
    KeySpecFlag,
    KeyT,
    ReplyParser,
    RequestPolicy,
    ResponsePolicy,
    ValueT,
)
from redis_oxide._connection_setup import CredentialProvider
from redis_oxide._generated import Commands
from redis_oxide._generated._base import StrT
from redis_oxide._generated._namespaces import *  # noqa: F403  (see __all__ below)
from redis_oxide._generated._types import *  # noqa: F403  (see __all__ below)
from redis_oxide._json import JsonInput, JsonValue
from redis_oxide._parsers import InfoValue, Reply, ReplyItem
from redis_oxide._pubsub_types import (
    MessageHandler,
    OverflowPolicy,
    PubSubOptions,
    ReconnectHandler,
)
from redis_oxide._replies import ReplyModel
from redis_oxide._telemetry import StatementMode

__all__ = [
    # Client options
    "ClientOptions",
    "ClusterOptions",
    "CredentialProvider",
    "ReadFrom",
    "StrategyName",
    "TrackingMode",
    # Cluster clients
    "ClusterTarget",
    "StartupNode",
    # What runs commands: a client, a pipeline, a transaction; the typed command surface
    "CommandExecutor",
    "Commands",
    # What a module namespace's executor is given: the static facts of a command
    "CommandFlag",
    "CommandMeta",
    "KeySpec",
    "KeySpecFlag",
    "RequestPolicy",
    "ResponsePolicy",
    # Values a command takes
    "ArgT",
    "KeyT",
    "ValueT",
    "JsonInput",
    # Replies
    "InfoValue",
    "JsonValue",
    "Reply",
    "ReplyItem",
    "ReplyModel",
    "ReplyParser",
    "StrT",
    # Pub/sub
    "MessageHandler",
    "OverflowPolicy",
    "PubSubOptions",
    "ReconnectHandler",
    # Telemetry
    "StatementMode",
]
# The argument types of the generated command surface, and its module namespaces.
__all__ += _types.__all__
__all__ += _namespaces.__all__
