"""The orders world (embedded AWS, the API over real HTTP, the plumbing, a clock the test moves)
serves segments too: accounts and their orders are made the way the e-sign webhook makes them."""

from tests.integration.orders.conftest import World, world  # noqa: F401
