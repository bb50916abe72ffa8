"""The anchor file: one `SEQ HASH` line per committed entry, private, and an edited line is tampering."""
import pytest

from tenantguard.errors import AuditChainBroken
from tenantguard.killswitch.anchors import append_anchor, read_anchors


def test_lines_round_trip_and_the_file_is_private(tmp_path):
    path = tmp_path / "sub" / "anchors.log"
    append_anchor(path, 1, "a" * 64)
    append_anchor(path, 2, "b" * 64)
    assert read_anchors(path) == {1: "a" * 64, 2: "b" * 64}
    assert oct(path.stat().st_mode & 0o777) == "0o600" and read_anchors(tmp_path / "none") == {}


@pytest.mark.parametrize("line, why", [("3 xyz", "line 2"), (f"1 {'c' * 64}", "anchored twice")])
def test_an_edited_or_contradicting_line_is_tampering(tmp_path, line, why):
    path = tmp_path / "anchors.log"
    append_anchor(path, 1, "a" * 64)
    path.write_text(path.read_text() + line + "\n")
    with pytest.raises(AuditChainBroken, match=why):
        read_anchors(path)
