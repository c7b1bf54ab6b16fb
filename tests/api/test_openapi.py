import pytest

from .test_tenancy import routes

# The API's description is a public route, so the public-link rate limiter reads its table.
pytestmark = pytest.mark.django_db


def test_it_serves_the_openapi_document(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Followthrough API"


def test_it_lists_every_route_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for method, path in routes():
        assert "/api/v1" + path in paths, path
        assert method.lower() in paths["/api/v1" + path], (method, path)


def test_it_documents_bearer_auth(client):
    schemes = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]

    assert [s["scheme"] for s in schemes.values()] == ["bearer"]


def test_it_serves_the_docs_page_without_a_cdn(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    page = response.content.decode()
    assert "https://" not in page
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_it_serves_only_known_assets(client):
    assert client.get("/api/v1/docs/assets/..%2Fapi.py").status_code == 404
