from __future__ import annotations

from chalice.test import Client

from functions.api.app import app
from tests.integration.api.helpers import body, get_lead, post_lead


def test_a_web_form_lead_is_scored_routed_and_explained(clean_aws):
    with Client(app) as client:
        response = post_lead(
            client,
            "website",
            {
                "email": "Zhang.Wei@Example.CN",
                "name": "张伟",
                "company": "上海精密制造",
                "province": "上海",
                "industry": "制造业",
                "employees": 1500,
                "title": "采购总监",
                "phone": "13800138000",
            },
        )
        assert response.status_code == 201, response.body
        created = body(response)
        assert created["status"] == "created" and created["grade"] == "sql" and created["tier"] == "vip"
        assert created["team"] == "Enterprise" and created["owner_id"]
        stored = body(get_lead(client, created["lead_id"]))
        assert stored["email"] == "zhang.wei@example.cn" and stored["phone"] == "+8613800138000"
        assert stored["decision"]["chosen"] == created["owner_id"]
        assert stored["decision"]["routing_rule"].startswith("routing:")
