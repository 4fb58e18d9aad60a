"""Suite-wide pytest configuration for redis-oxide.

The server fixtures (``redis_stack``, ``redis_cluster``, ``tcp_proxy`` ...) come
from the ``redis_oxide.testing.plugin``, which pytest loads through the
package's ``pytest11`` entry point; it is deliberately not listed here, as
registering it twice is an error.
"""

# pytester runs small inner test sessions, for testing the plugin's own checks.
pytest_plugins = ["pytester"]
