"""The operations of the routes that name their messages (routes.py: ``body``, ``query``, ``answer``,
``errors``), generated from the pydantic models of shared/*/messages and their JSON schemas.

A model's docstring is what it means (a command's: the operation's description; an answer's: the
response's meaning), its fields' ``description`` and ``examples`` the rest of the prose; path
parameters come from shared/composition/messages/paths.py; error responses from the error classes a route
names (errors.status_for). Imported by openapi.document() only, on the first ``GET /openapi.json``:
pydantic never loads on a request's cold path.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

JSONType = dict[str, Any]
INTERNAL_ERROR = "internal_error"


def _error_schema(codes: list[str]) -> JSONType:
    """CONTRACT §2's error body, its ``code`` narrowed to what the response can carry."""
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string", "description": "a sentence for a person"},
                    "fields": {
                        "type": "object",
                        "description": "only when fields are at fault: field name → what is wrong",
                        "additionalProperties": {"type": "string"},
                    },
                },
            }
        },
    }


_STATUS_TEXT = {
    400: "The request is not valid: the body cannot be read, or fields are wrong (each named in `fields`).",
    401: "Missing or wrong credentials for this route.",
    403: "Not allowed: the origin may not post to this source, the source is switched off or may not post this "
    "kind of webhook, or `by` may not decide this approval step.",
    404: "The source, or the lead, case, opportunity, quote, approval step, order, invoice or account, does not exist.",
    409: "A concurrent change won (retry), an `Idempotency-Key` came back with another body, a case or invoice "
    "event makes no sense in its state, a shipment holds more than the order has left (`over_delivery`), or a "
    "sales move is refused (a stage gate, an approval's turn).",
    413: "The body is larger than the limit.",
    415: "The Content-Type is not one this route reads.",
    500: "A bug on our side (logged); never an answer to bad input.",
    503: "No rules version has been published yet.",
}


def error_responses(errors: tuple[type[Any], ...]) -> dict[str, JSONType]:
    """The error responses of a route: the classes it can raise, grouped by their status."""
    from functions.api.errors import status_for

    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(status_for(error), []).append(error.code)
    by_status[500] = [INTERNAL_ERROR]  # the `api` decorator's answer to a bug
    responses = {}
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {
            "description": f"{_STATUS_TEXT[status]} Codes: {', '.join(f'`{c}`' for c in codes)}.",
            "content": {"application/json": {"schema": _error_schema(codes)}},
        }
    return responses


_REF = "#/components/schemas/{model}"
PATHS = "shared.composition.messages.paths"
_DATA = ("example", "examples", "enum", "const", "default")  # values, not schemas: left as they are


def _tidy(node: Any, names: bool = False) -> Any:
    """pydantic's JSON schema as this document writes it: no generated titles, no null defaults or
    `additionalProperties: true` (both what a reader assumes), `X | None` as `type: [x, "null"]`,
    prose on one line. ``names``: ``node`` maps names to schemas (``properties``, ``$defs``)."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: _tidy(schema) for name, schema in node.items()}
    out: JSONType = {}
    for key, value in node.items():
        if key == "title" or (key, value) in (("default", None), ("additionalProperties", True), ("items", {})):
            continue
        if key == "description":
            value = " ".join(value.split())
        out[key] = value if key in _DATA else _tidy(value, names=key in ("properties", "$defs"))
    either = out.get("anyOf")
    if isinstance(either, list) and all(len(s) == 1 and isinstance(s.get("type"), str) for s in either):
        out = {"type": [s["type"] for s in either], **{k: v for k, v in out.items() if k != "anyOf"}}
    elif isinstance(either, list) and len(either) == 2 and {"type": "null"} in either:
        other = next(schema for schema in either if schema != {"type": "null"})
        if isinstance(other.get("type"), str):
            rest = {k: v for k, v in out.items() if k != "anyOf"}
            out = {**other, "type": [other["type"], "null"], **rest}
            if "enum" in other:
                out["enum"] = [*other["enum"], None]
    return out


def _model(name: str) -> Any:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


class Generated:
    """The operations of the routes that name their messages, and the components they use."""

    def __init__(self) -> None:
        self.schemas: dict[str, JSONType] = {}
        self.parameters: dict[str, JSONType] = {}

    def schema(self, model: Any, mode: Any) -> JSONType:
        from pydantic import TypeAdapter
        from pydantic.json_schema import GenerateJsonSchema

        class AsWritten(GenerateJsonSchema):  # fields and examples in the order the models write them
            def sort(self, value: Any, parent_key: Any = None) -> Any:
                return value

        model = _model(model) if isinstance(model, str) else model
        schema = TypeAdapter(model).json_schema(mode=mode, ref_template=_REF, schema_generator=AsWritten)
        self.schemas.update(_tidy(schema.pop("$defs", {}), names=True))
        return dict(_tidy(schema))

    def path_parameters(self) -> None:
        """``components/parameters``: each path parameter (``case_id`` → ``CaseId``) and header."""
        for model, where in (("PathParameters", "path"), ("HeaderParameters", "header")):
            schema = self.schema(f"{PATHS}:{model}", "validation")
            for name, spec in schema["properties"].items():
                field = dict(spec)
                described = {"description": field.pop("description"), "schema": field}
                example = field.pop("examples", [None])[0]
                required = where == "path"
                self.parameters[_camel(name.replace("-", "_"))] = {
                    "name": name,
                    "in": where,
                    "required": required,
                    **described,
                } | ({"example": example} if example else {})

    def path_parameter(self, name: str) -> JSONType:
        """A reference to the parameter paths.py describes, or (an aggregate's id it does not
        describe: ``rma_id``) the parameter itself."""
        if _camel(name) in self.parameters:
            return param(_camel(name))
        described = f"the {name.removesuffix('_id').replace('_', ' ')}'s id"
        schema = {"type": "string", "minLength": 1, "maxLength": 100}
        return {"name": name, "in": "path", "required": True, "description": described, "schema": schema}

    def operation(self, route: Any) -> JSONType:
        from shared.kernel.domain import errors as e

        function = route.handler.rsplit(":", 1)[1]
        operation: JSONType = {"operationId": route.operation_id or _camel(function, lower=True)}
        operation["summary"] = route.summary
        parameters = [self.path_parameter(name) for name in re.findall(r"\{(\w+)\}", route.path)]
        if route.auth == "signed":
            parameters.append(param("IdempotencyKey"))
        if route.query:
            parameters += self._query(route.query, operation)
        if parameters:
            operation["parameters"] = parameters
        if route.body:
            from functions.api.body import MAX_BODY_BYTES

            body = self.schema(route.body, "validation")
            described = f"{body.pop('description', '')} JSON only, at most {MAX_BODY_BYTES} bytes."
            operation["description"] = described.strip()
            operation["requestBody"] = {"required": True, "content": json_content(body, *body.pop("examples", [])[:1])}
        operation["responses"] = {
            **self._answers(route),
            **error_responses(tuple(_model(n) if ":" in n else getattr(e, n) for n in route.errors)),
        }
        return operation

    def _query(self, name: str, operation: JSONType) -> list[JSONType]:
        schema = self.schema(name, "validation")
        if "description" in schema:
            operation["description"] = schema["description"]
        return [
            {"name": field, "in": "query", "required": field in schema.get("required", ()),
             "description": spec.pop("description", ""), "schema": spec}
            for field, spec in ((f, dict(s)) for f, s in schema["properties"].items())
        ]  # fmt: skip

    def answer(self, name: str) -> tuple[JSONType, Any]:
        """A good answer's model as a component: its reference, and its example (or None)."""
        schema = self.schema(name, "serialization")
        example = schema.pop("examples", [None])[0]
        self.schemas[name.rsplit(":", 1)[1]] = schema
        return ref(name.rsplit(":", 1)[1]), example

    def _answers(self, route: Any) -> JSONType:
        if not route.answer:
            return {str(route.status): {"description": "done"}}
        ref, example = self.answer(route.answer)
        meaning = self.schemas[route.answer.rsplit(":", 1)[1]].get("description", "done")
        answers = {str(route.status): {"description": meaning, "content": json_content(ref, example)}}
        for status, also in route.also:
            answers[str(status)] = {"description": also, "content": json_content(ref)}
        return answers


def _camel(name: str, lower: bool = False) -> str:
    words = "".join(word.title() for word in name.split("_"))
    return words[0].lower() + words[1:] if lower else words


def generated() -> tuple[dict[str, JSONType], Generated]:
    """The operations of the routes that name their messages (routes.py), by path."""
    from functions.api.routes import ROUTES

    made = Generated()
    made.path_parameters()
    paths: dict[str, JSONType] = {}
    for route in ROUTES:
        if route.summary:
            paths.setdefault(route.path, {})[route.method.lower()] = made.operation(route)
    return paths, made


def json_content(schema: JSONType, example: Any = None) -> JSONType:
    content: JSONType = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"application/json": content}


def ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def param(name: str) -> JSONType:
    return {"$ref": f"#/components/parameters/{name}"}
