"""The typed messages of the API and the events (pydantic v2): each event type's ``data`` as a
model (``events.EVENT_MODELS``), from which docs/events.md, the KPI rollups' key list and the
tests' check of every emitted payload follow. Nothing on a cold path imports this package: the
lead capture path stays free of pydantic (issue 18's cold-start limit)."""
