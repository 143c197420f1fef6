"""The deliveries' fixtures (a real HTTP receiver, the local plumbing, a configured container)."""

from tests.integration.deliveries.conftest import configure, plumbing, receiver

__all__ = ["configure", "plumbing", "receiver"]
