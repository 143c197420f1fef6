"""template.yaml is the deployment truth: the code must agree with it, one to one."""

from __future__ import annotations

import importlib

import pytest

from infra.template import api_routes, functions, load_template, tables
from shared.adapters.dynamo.models import MODELS

TEMPLATE = load_template()


@pytest.mark.parametrize("spec", functions(TEMPLATE), ids=lambda s: s.logical_id)
def test_every_handler_named_in_the_template_imports(spec):
    module_name, _, attribute = spec.handler.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    assert callable(handler)


def test_the_declared_routes_and_template_api_events_match_one_to_one():
    from functions.api.routes import ROUTES

    assert {(route.method, route.path) for route in ROUTES} == api_routes(TEMPLATE)


def _key(schema: list[dict], kind: str) -> str | None:
    return next((k["AttributeName"] for k in schema if k["KeyType"] == kind), None)


def _keys(schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


def test_models_match_the_template_tables_and_indexes():
    """Each model's keys and indexes (an index's name is its class's index_name: the one
    declaration); that the code names every table of the template is test_settings.py's check."""
    by_name = {spec.name: spec for spec in tables(TEMPLATE)}
    for model in MODELS:
        spec = by_name.get(model.Meta.table_name)
        assert spec is not None, f"{model.__name__}: no table {model.Meta.table_name} in template.yaml"
        assert model._hash_keyname == _key(spec.key_schema, "HASH"), model.__name__
        assert model._range_keyname == _key(spec.key_schema, "RANGE"), model.__name__
        model_indexes = {name: index for name, index in model._indexes.items()}
        template_indexes = {gsi["IndexName"]: gsi for gsi in spec.global_secondary_indexes}
        assert set(model_indexes) == set(template_indexes), model.__name__
        for name, index in model_indexes.items():
            ours, theirs = index._get_schema(), template_indexes[name]
            # the order of a KeySchema list carries no meaning (KeyType says which is which)
            assert _keys(ours["key_schema"]) == _keys(theirs["KeySchema"]), f"{model.__name__}.{name}"
            assert ours["projection"]["ProjectionType"] == theirs["Projection"]["ProjectionType"]
