from tests.conftest import ApiClient
from tests.factories import nps_definition


def test_create_and_publish_survey(api_client: ApiClient) -> None:
    created = api_client.post("/api/v1/surveys", nps_definition())
    assert created.status_code == 201, created.content
    body = created.json()
    published = api_client.post(f"/api/v1/surveys/{body['id']}/publish")
    assert published.status_code == 200
    assert published.json()["status"] == "active"
    submitted = api_client.post(
        f"/api/v1/surveys/{body['id']}/responses", {"answers": {"nps": 9}, "idempotency_key": "k1"}
    )
    assert submitted.status_code == 201, submitted.content
    summary = api_client.get(f"/api/v1/surveys/{body['id']}/summary")
    assert summary.status_code == 200, summary.content
    assert summary.json()["nps"]["n"] == 1
