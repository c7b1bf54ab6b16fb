from followthrough.api.routes import customers as api_module


def test_it_answers_a_bug_with_a_logged_json_500(api, monkeypatch, caplog):
    monkeypatch.setattr(api_module, "customer_out", lambda customer: 1 / 0)

    response = api.post("/customers", {"name": "Ada"})

    assert response.status_code == 500
    assert response.json()["detail"][0]["message"].startswith("Internal error")
    assert "ZeroDivisionError" in caplog.text
    caplog.clear()  # expected here; the autouse guard fails any other test that gets a 500
