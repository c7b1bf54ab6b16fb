from followthrough.customers.models import Customer


def test_it_creates_a_customer(api, business):
    response = api.post("/customers", {"name": "Grace Hopper", "email": "grace@example.com"})

    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(business=business)
    assert body["id"] == customer.public_id
    assert body["name"] == "Grace Hopper"
    assert body["email"] == "grace@example.com"


def test_it_never_shows_integer_keys(api):
    body = api.post("/customers", {"name": "Grace Hopper"}).json()

    assert isinstance(body["id"], str)
    assert not body["id"].isdigit()
    assert "pk" not in body and "business" not in body


def test_it_upserts_by_external_id(api, business):
    first = api.post("/customers", {"name": "Grace", "external_id": "crm-7", "tags": "vip"})
    second = api.post("/customers", {"name": "Grace Hopper", "external_id": "crm-7"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    customer = Customer.objects.get(business=business)
    assert customer.name == "Grace Hopper"
    assert customer.tags == "vip"  # fields not sent are left alone


def test_it_gets_a_customer(api):
    created = api.post("/customers", {"name": "Grace Hopper"}).json()

    response = api.get(f"/customers/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_it_answers_404_for_an_unknown_customer(api):
    response = api.get("/customers/nope")

    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == "id"


def test_it_filters_customers_by_email(api):
    api.post("/customers", {"name": "Grace", "email": "grace@example.com"})
    api.post("/customers", {"name": "Alan", "email": "alan@example.com"})

    items = api.get("/customers", {"email": "GRACE@example.com"}).json()["items"]

    assert [c["name"] for c in items] == ["Grace"]


def test_it_filters_customers_by_external_id(api):
    api.post("/customers", {"name": "Grace", "external_id": "g"})
    api.post("/customers", {"name": "Alan", "external_id": "a"})

    items = api.get("/customers", {"external_id": "a"}).json()["items"]

    assert [c["name"] for c in items] == ["Alan"]


def test_it_pages_through_customers(api):
    for name in ["A", "B", "C"]:
        api.post("/customers", {"name": name})

    first = api.get("/customers", {"limit": 2}).json()
    second = api.get("/customers", {"limit": 2, "after": first["next"]}).json()

    assert [c["name"] for c in first["items"]] == ["A", "B"]
    assert [c["name"] for c in second["items"]] == ["C"]
    assert second["next"] is None
