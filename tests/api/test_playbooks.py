def test_it_lists_playbooks_with_their_steps(api, playbooks):
    response = api.get("/playbooks")

    assert response.status_code == 200
    items = response.json()["items"]
    assert {p["slug"] for p in items} == {p.slug for p in playbooks}
    assert items[0]["steps"] and "channel" in items[0]["steps"][0]


def test_it_gets_one_playbook(api, playbooks):
    response = api.get(f"/playbooks/{playbooks[0].public_id}")
    assert response.json()["slug"] == playbooks[0].slug


def test_it_pages_playbooks(api, playbooks):
    first = api.get("/playbooks", {"limit": 1}).json()
    second = api.get("/playbooks", {"limit": 1, "after": first["next"]}).json()
    assert first["items"][0]["id"] != second["items"][0]["id"]
