from django.core.cache import cache

from followthrough.api.models import ApiKey


def test_it_answers_429_past_the_key_limit(client, business):
    cache.clear()
    _key, raw = ApiKey.issue(business, "Tiny", rate_limit=2)
    headers = {"Authorization": f"Bearer {raw}"}

    codes = [client.get("/api/v1/customers", headers=headers).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    last = client.get("/api/v1/customers", headers=headers)
    assert int(last["Retry-After"]) >= 1
    assert last.json()["detail"][0]["field"] == "Authorization"


def test_it_counts_each_key_separately(client, business):
    cache.clear()
    _a, first = ApiKey.issue(business, "A", rate_limit=1)
    _b, second = ApiKey.issue(business, "B", rate_limit=1)
    client.get("/api/v1/customers", headers={"Authorization": f"Bearer {first}"})

    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {second}"})
    assert response.status_code == 200
