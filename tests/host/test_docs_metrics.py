"""docs/deploy.md's metrics table against a real scrape: every name and label it lists exists."""

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from gateway.testing import gateway_app

DEPLOY = Path(__file__).parents[2] / "docs" / "deploy.md"


def documented() -> dict[str, set[str]]:
    text = DEPLOY.read_text()
    table = text[text.index("| metric | labels | what |") :].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(gateway_[a-z0-9_]+)` \|([^|]*)\|", table, re.M)
    return {
        name: {label.strip() for label in labels.split(",") if label.strip()}
        for name, labels in rows
    }


async def test_every_documented_metric_and_label_is_scraped(
    aiohttp_client, tmp_path, monkeypatch, fake
):
    monkeypatch.setenv("GATEWAY_LOAD_PLUGINS", "health,notes,crypto,auth,ratelimit")
    config = {
        "gateway": {"metrics": True},
        "plugins": {
            "health": {},
            "notes": {},
            "crypto": {"base_url": fake.url},
            # Their decision counts; /metrics open to the test (auth's rules want admin).
            "auth": {"skip": ["/metrics"], "rules": [{"require": "public"}]},
            "ratelimit": {"limits": ["1000/minute"]},
        },
    }
    client = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    created = await client.post("/notes", json={"title": "m"})
    assert (await client.get(f"/notes/{(await created.json())['id']}")).status == 200
    assert (await client.get("/v1/crypto/price?ids=bitcoin&vs_currencies=usd")).status == 200
    scrape = await (await client.get("/metrics")).text()

    samples: dict[str, set[str]] = {}
    routes: set[str] = set()
    for family in text_string_to_metric_families(scrape):
        for sample in family.samples:
            labels = set(sample.labels) - {"le"}
            samples.setdefault(sample.name, set()).update(labels)
            samples.setdefault(family.name, set()).update(labels)
            if "route" in sample.labels:
                routes.add(sample.labels["route"])
    docs = documented()
    assert len(docs) >= 10
    for name, labels in docs.items():
        assert name in samples, f"docs/deploy.md lists {name}, which /metrics does not have"
        assert samples[name] == labels, f"{name}: documented {labels}, scraped {samples[name]}"
    # The route templates the table gives as examples are real label values.
    table = DEPLOY.read_text().split("| metric | labels | what |", 1)[1].split("\n\n", 1)[0]
    for example in re.findall(r"`(/[^`]+)`", table):
        assert example in routes, f"route {example} is not a label value: {sorted(routes)}"
