import pytest

from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.benign_corpus import DEFAULT_TENANTS
from tenantguard.monitoring.abuse.request import Request
from tenantguard.monitoring.abuse.scanner import Scanner
from tenantguard.monitoring.abuse.textfeatures import prepare


@pytest.fixture
def make_request():
    """A `Request` as the scanner hands it to the detectors: the prompt is its own payload, `text` its prepared form.
    Keyword arguments override any field."""

    def make(id: int, prompt: str, **fields) -> Request:
        values = {"ts": float(id), "tenant_id": "tenant-0", "feature": "support-assistant", "api_key": "key-0",
                  "session_id": "session-0", "completion": "", "prompt_tokens": max(1, len(prompt) // 4),
                  "completion_tokens": 50, "max_tokens": None, "extraction_params": False, "injection": 0.0,
                  "payload": prompt, "text": prepare(prompt)}
        return Request(id=id, prompt=prompt, **{**values, **fields})

    return make


@pytest.fixture
def scan_demo():
    """Scan seeded demo traffic (ids in order) in batches of 500 with every built-in detector; (traffic, alerts)."""

    def scan(kinds: tuple[str, ...], n: int = 1500, seed: int = 41):
        traffic = generate_traffic(n, seed=seed, campaigns=kinds)
        for i, row in enumerate(traffic.rows):
            row["id"] = i + 1
        scanner = Scanner(system_prompts=DEFAULT_TENANTS)
        for i in range(0, len(traffic.rows), 500):
            scanner.process(traffic.rows[i:i + 500])
        return traffic, scanner.alerts()

    return scan
