"""redis-oxide: a fully typed asyncio Redis client."""

__version__ = "0.1.0"

__all__ = ["__version__"]
