"""The per-call timeout guard around every call into the platform, and calling a factory."""
import threading
import time

import pytest

from tenantguard.evaluations.segmentation.adapters import AdapterFailure, Factory, Guarded, instantiate


class _Slow:
    def __init__(self):
        self.release = threading.Event()

    def hang(self):
        self.release.wait(5)
        return "late"

    def quick(self):
        return "ok"

    def deny(self):
        raise PermissionError("no")

    def boom(self):
        raise KeyError("tenant_id")


def test_a_hung_call_times_out_and_the_next_call_still_works():
    obj = _Slow()
    g = Guarded(obj, "retriever", timeout_s=0.2)
    with pytest.raises(AdapterFailure, match=r"retriever.hang\(\) timed out after 0.2s"):
        g.call("hang")
    assert g.call("quick") == "ok"
    obj.release.set()
    assert g.calls == 2


def test_refusals_pass_through_and_other_exceptions_become_failures():
    g = Guarded(_Slow(), "tools", timeout_s=2)
    with pytest.raises(PermissionError):
        g.call("deny")
    with pytest.raises(AdapterFailure, match="KeyError"):
        g.call("boom")
    with pytest.raises(AdapterFailure, match="has no method missing"):
        g.call("missing")


def test_a_factory_that_hangs_raises_or_returns_none_is_an_adapter_failure(tmp_path):
    with pytest.raises(AdapterFailure, match="timed out"):
        instantiate(Factory("retriever", "x:hang", lambda: time.sleep(3)), timeout_s=0.2)
    with pytest.raises(AdapterFailure, match="returned None"):
        instantiate(Factory("retriever", "x:none", lambda: None), timeout_s=1)
    with pytest.raises(AdapterFailure, match="ConnectionError"):
        instantiate(Factory("memory", "x:down", lambda: (_ for _ in ()).throw(ConnectionError("down"))), timeout_s=1)
