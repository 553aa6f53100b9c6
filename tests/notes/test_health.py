"""The notes:database health check."""

from gateway.testing import gateway_app
from tests.notes.helpers import create


async def test_database_check_reports_latency_and_pool(aiohttp_client, database_url, tmp_path):
    app = await gateway_app(
        {"plugins": {"health": {}, "notes": {"database_url": database_url}}}, config_dir=tmp_path
    )
    client = await aiohttp_client(app)
    await create(client)
    response = await client.get("/health")
    assert response.status == 200
    body = await response.json()
    (check,) = body["checks"]["notes:database"]
    assert check["status"] == "pass"
    assert check["componentType"] == "datastore"
    assert check["observedUnit"] == "ms"
    assert 0 < check["observedValue"] < 5000
    assert check["pool"]["size"] >= 1
    assert check["pool"]["checkedOut"] == 0
