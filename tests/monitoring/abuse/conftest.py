import pytest

from tenantguard.monitoring.abuse.request import Request
from tenantguard.monitoring.abuse.textfeatures import prepare


@pytest.fixture
def make_request():
    """A `Request` as the scanner hands it to the detectors: the prompt is its own payload, `text` its prepared form.
    Keyword arguments override any field."""

    def make(id: int, prompt: str, **fields) -> Request:
        values = dict(ts=float(id), tenant_id="tenant-0", feature="support-assistant", api_key="key-0",
                      session_id="session-0", completion="", prompt_tokens=max(1, len(prompt) // 4),
                      completion_tokens=50, max_tokens=None, extraction_params=False, injection=0.0,
                      payload=prompt, text=prepare(prompt))
        return Request(id=id, prompt=prompt, **{**values, **fields})

    return make
