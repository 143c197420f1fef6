"""The messages of the API and the bus, typed once (issue 18): the request bodies (commands),
query filters and answers (views) of each capability, and the field types they share.

The OpenAPI description is generated from these models (functions/api/openapi.py); their limits
and vocabularies are the constants of the modules that enforce them. Nothing on a request's cold
path imports this package: the description is built on the first ``GET /openapi.json``."""
