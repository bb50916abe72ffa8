import stat

from tenantguard.home.score_cache import ScoreCache, cache_path

RECORD = "Hello Priya, your wire transfer cleared. Reference BB-15392"


def test_values_round_trip_and_missing_ones_are_none(tmp_path):
    c = ScoreCache(tmp_path / "c" / "b.sqlite", b"k1")
    assert c.get_many("score", [RECORD, "x"]) == [None, None]
    c.put_many("score", [RECORD], [-12.5])
    c.put_many("score_tokens", [RECORD], [{"logprobs": [-1.0, -2.0], "mean": None, "std": None}])
    assert c.get_many("score", ["x", RECORD]) == [None, -12.5]
    assert c.get_many("score_tokens", [RECORD])[0]["logprobs"] == [-1.0, -2.0]
    assert len(c) == 2


def test_the_file_is_private_and_holds_no_text_nor_an_unkeyed_hash(tmp_path):
    import hashlib

    path = cache_path(tmp_path, "support.base", "3", "abcdef0123456789ffff")
    assert path.name == "support.base-v3-abcdef0123456789.sqlite"
    c = ScoreCache(path, b"project-secret")
    c.put_many("generate", [RECORD], ["Reference BB-15392 is ready"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    raw = path.read_bytes()
    assert b"Priya" not in raw and hashlib.sha256(f"generate\0{RECORD}".encode()).digest() not in raw


def test_another_secret_or_base_version_never_reads_these_values(tmp_path):
    path = cache_path(tmp_path, "support.base", "3", "d" * 16)
    ScoreCache(path, b"one").put_many("score", [RECORD], [-3.0])
    assert ScoreCache(path, b"two").get_many("score", [RECORD]) == [None]
    assert cache_path(tmp_path, "support.base", "4", "d" * 16) != path
    assert cache_path(tmp_path, "support.base", "3", "e" * 16) != path
