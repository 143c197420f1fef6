"""The messages of the API and the bus, typed once (issue 18), pydantic v2:

- the request bodies (commands), query filters and answers (views) of each capability, and the
  field types they share: the OpenAPI description is generated from them (functions/api/openapi.py),
  and a command is read from its request by ``validation.read`` (every bad field named);
- each event type's ``data`` (``events.EVENT_MODELS``), from which docs/events.md, the KPI rollups'
  key list and the tests' check of every emitted payload follow.

Their limits and vocabularies are the constants of the modules that enforce them. Nothing on the
lead's cold path imports this package (issue 18's cold-start limit)."""
