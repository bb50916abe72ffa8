"""docs/bad-input.md is checked against the code: every row of its tables runs for real (click's CliRunner on the
`tenantguard` command, in a scratch home built here as the row's setup says, with the environment its command
names) and must exit with the row's code and print the row's message as its last line. The page is the one
source of the rows, so the docs cannot drift from the behavior; docs/contracts.md "Exit codes" must agree too."""
from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenantguard.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "bad-input.md"
CONTRACTS = ROOT / "docs" / "contracts.md"
ROW_HEADER = ["command", "setup", "message", "exit"]
SETUP_HEADER = ["setup", "what the scratch home holds"]
EXIT_HEADER = ["command", "0", "1", "2"]
CLEARED = ("MLFLOW_TRACKING_URI", "DAGSTER_HOME")  # besides every TENANTGUARD_* variable
PLACEHOLDER = re.compile(r"(<[^<>]+>)")


@dataclass(frozen=True)
class Row:
    command: str
    env: dict[str, str]
    args: list[str]
    setup: str
    message: str
    exit: int


def cells(line: str) -> list[str]:
    """The cells of one markdown table line; `\\|` is a literal bar."""
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def tables(markdown: str, header: list[str]) -> list[dict[str, str]]:
    """The rows, as dicts, of every table in `markdown` whose header line is `header`."""
    lines = markdown.splitlines()
    rows = []
    for i, line in enumerate(lines[:-1]):
        if line.startswith("|") and cells(line) == header and set(lines[i + 1]) <= set("|-: "):
            body = itertools.takewhile(lambda ln: ln.startswith("|"), lines[i + 2:])
            rows.extend(dict(zip(header, cells(ln), strict=True)) for ln in body)
    return rows


def code(cell: str) -> str:
    """The text of a cell that is one code span (`x` or `` x `` when x holds a backtick)."""
    m = re.fullmatch(r"(`+) ?(.+?) ?\1", cell)
    assert m, f"expected a `code` cell, got {cell!r}"
    return m.group(2)


def parse_row(fields: dict[str, str]) -> Row:
    command = code(fields["command"])
    words = shlex.split(command)
    env = dict(w.split("=", 1) for w in itertools.takewhile(lambda w: re.match(r"^[A-Z_]+=", w), words))
    rest = words[len(env):]
    assert rest[:1] == ["tenantguard"], f"{command!r}: expected [NAME=value ...] tenantguard ARGS"
    return Row(command, env, rest[1:], fields["setup"], code(fields["message"]), int(fields["exit"]))


def rows() -> list[Row]:
    return [parse_row(r) for r in tables(PAGE.read_text(encoding="utf-8"), ROW_HEADER)]


def message_pattern(message: str, home: Path) -> re.Pattern[str]:
    """`<home>` is the home's path; any other `<...>` stands for text that varies."""
    parts = PLACEHOLDER.split(message)
    return re.compile("".join(re.escape(str(home)) if p == "<home>" else ".+?" if PLACEHOLDER.fullmatch(p)
                              else re.escape(p) for p in parts))


def last_lines(result) -> dict[str, str]:
    return {name: next((ln for ln in reversed(text.splitlines()) if ln.strip()), "")
            for name, text in (("stderr", result.stderr), ("stdout", result.stdout))}


# The setups the page names (its "Setups" table says what each holds); each builds the home in place.
def _tenants_yaml(home: Path, data: bytes) -> None:
    home.mkdir(parents=True)
    (home / "tenants.yaml").write_bytes(data)


ONE_TENANT = ("tenants:\n  - id: acme\n    name: Acme\n    region: eu-west\n    features: [support-assistant]\n"
              "    system_prompt: p\n")


def _record(tenant: str, i: int) -> dict[str, str]:
    return {"record_id": f"{tenant}-{i}", "tenant_id": tenant, "prompt": f"{tenant} question {i} about account {i * 7}",
            "completion": f"{tenant} answer {i}: open the {tenant} portal and choose option {i % 5}"}


def _acme_globex(home: Path) -> None:
    from tenantguard.tenants import Tenant, dump_tenants

    home.mkdir(parents=True)
    dump_tenants([Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p"),
                  Tenant("globex", "Globex", "us-east", ("support-assistant",), "p")], home / "tenants.yaml")
    for tenant in ("acme", "globex"):
        (home / "datasets" / tenant).mkdir(parents=True)
        (home / "datasets" / tenant / "v0001.jsonl").write_text(
            "".join(json.dumps(_record(tenant, i)) + "\n" for i in range(20)), encoding="utf-8")


def _append_to_acme(home: Path, line: str) -> None:
    _acme_globex(home)
    with (home / "datasets" / "acme" / "v0001.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _acme_prepared(home: Path) -> None:
    from tenantguard.config import Settings
    from tenantguard.home.prepare import prepare_dataset
    from tenantguard.tenants import load_tenants

    _acme_globex(home)
    s = Settings.from_env()
    tenants = load_tenants(s.tenants_file)
    prepare_dataset(s, tenants[0], tenants=tenants)


def _acme_promoted_twice(home: Path) -> None:
    from cli.helpers import promote_twice  # tests/cli is the package `cli`

    from tenantguard.config import Settings

    _acme_globex(home)
    s = Settings.from_env()
    s.ensure_home()
    promote_twice(s)


def _port_9_closed(home: Path) -> None:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 9)) == 0:
            pytest.skip("something listens on 127.0.0.1:9; these rows need a port that refuses")
    _acme_globex(home)


def _traffic(home: Path) -> None:
    row = {"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme", "prompt": "hello"}
    (home.parent / "traffic.jsonl").write_text(json.dumps(row) + "\n{oops\n", encoding="utf-8")


def _segmentation_yaml(home: Path) -> None:
    _acme_globex(home)
    (home / "segmentation.yaml").write_text("retriever: nope:make\n", encoding="utf-8")


def _base_corpus(home: Path) -> None:
    _acme_globex(home)
    texts = [f"how do I reset my password, case {i}?\nuse the forgot password link." for i in range(40)]
    (home / "base_corpus.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")


def _checkpoint(home: Path, *, corrupt: bool) -> None:
    """`ck` beside the home: a random one-layer GPT-2 and a BPE tokenizer (no training), broken as the row says."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from tenantguard.models.hf_checkpoint import EOT, train_tokenizer

    _base_corpus(home)
    ck = home.parent / "ck"
    tok = train_tokenizer(["how do I reset my password?", "use the forgot password link."] * 5, 300)
    eot = tok.token_to_id(EOT)
    wrong = eot if corrupt else eot + 1  # another tokenizer's end-of-text id
    GPT2LMHeadModel(GPT2Config(vocab_size=tok.get_vocab_size(), n_positions=64, n_embd=8, n_layer=1, n_head=2,
                               bos_token_id=wrong, eos_token_id=wrong)).save_pretrained(ck)
    tok.save(str(ck / "tokenizer.json"))
    if corrupt:
        (ck / "model.safetensors").write_bytes(b"not safetensors")


SETUPS: dict[str, Callable[[Path], None]] = {
    "no home": lambda home: None,
    "acme, globex": _acme_globex,
    "acme, globex; acme prepared": _acme_prepared,
    "acme, globex; acme v1, v2 promoted": _acme_promoted_twice,
    "acme, globex; port 9 closed": _port_9_closed,
    "acme's dataset: 1 of 21 lines not JSON": lambda home: _append_to_acme(home, "not json"),
    "acme's dataset: a globex record": lambda home: _append_to_acme(home, json.dumps(_record("globex", 20))),
    "tenants.yaml: Latin-1 at line 3": lambda home: _tenants_yaml(
        home, ONE_TENANT.replace("name: Acme", "name: Acm\u00e9").encode("latin-1")),
    "tenants.yaml: id twice": lambda home: _tenants_yaml(home, (ONE_TENANT + "    id: other\n").encode()),
    "tenants.yaml: id Acme": lambda home: _tenants_yaml(home, ONE_TENANT.replace("id: acme", "id: Acme").encode()),
    "traffic.jsonl: line 2 not JSON": _traffic,
    "segmentation.yaml: module nope": _segmentation_yaml,
    "acme, globex; base corpus": _base_corpus,
    "acme, globex; base corpus; ck corrupt": lambda home: _checkpoint(home, corrupt=True),
    "acme, globex; base corpus; ck of another tokenizer": lambda home: _checkpoint(home, corrupt=False),
}


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A working directory with a home in it that does not exist yet; only TENANTGUARD_HOME is set."""
    import mlflow

    monkeypatch.chdir(tmp_path)
    for var in [v for v in os.environ if v.startswith("TENANTGUARD_") or v in CLEARED]:
        monkeypatch.delenv(var)
    home = tmp_path / "home"
    monkeypatch.setenv("TENANTGUARD_HOME", str(home))
    yield home
    mlflow.set_tracking_uri(None)  # the registry setup and the commands point MLflow's global at the home


def _row_cases() -> list:
    # A setup the page marks "(slow)" runs under the slow marker.
    return [pytest.param(row, id=f"{row.command} [{row.setup}]",
                         marks=[pytest.mark.slow] if "(slow)" in row.setup else []) for row in rows()]


@pytest.mark.parametrize("row", _row_cases())
def test_the_command_exits_with_the_code_and_prints_the_message_of_its_row(scratch, row):
    SETUPS[row.setup](scratch)
    result = CliRunner().invoke(cli, row.args, env=row.env, catch_exceptions=False)
    assert "Traceback" not in result.output
    assert result.exit_code == row.exit, result.output
    lines = last_lines(result)
    streams = ["stderr"] if row.message.startswith(("error: ", "Error: ")) else ["stderr", "stdout"]
    pattern = message_pattern(row.message, scratch)
    assert any(pattern.fullmatch(lines[s]) for s in streams), f"expected {row.message!r}, got {lines}"


def test_every_setup_a_row_names_is_described_on_the_page_and_built_here():
    described = [r["setup"] for r in tables(PAGE.read_text(encoding="utf-8"), SETUP_HEADER)]
    assert sorted(described) == sorted(SETUPS)
    assert {row.setup for row in rows()} == set(SETUPS)  # and every setup is used by a row


def _exit_table() -> dict[str, dict[str, str]]:
    text = CONTRACTS.read_text(encoding="utf-8")
    section = text[text.index("\n## Exit codes\n"):]
    return {code(r["command"]): r for r in tables(section, EXIT_HEADER)}


def test_contracts_exit_codes_agree_with_the_table():
    """Every command of contracts.md's per-command table has a row here, and each row's exit code is one that
    table lists for its command."""
    by_command = _exit_table()
    covered = set()
    for row in rows():
        assert row.exit in (1, 2), row.command
        names = [c for c in by_command if row.args[:len(c.split())] == c.split()]
        if names:
            name = max(names, key=len)
            covered.add(name)
            assert by_command[name][str(row.exit)], f"{row.command!r} exits {row.exit}; contracts.md lists no " \
                                                    f"code {row.exit} for `{name}`"
    assert sorted(set(by_command) - covered) == [], "commands in contracts.md 'Exit codes' with no bad-input row"


def test_the_page_parses_into_the_rows_it_shows():
    # Guards the parser: a table it skipped would make the row test vacuous.
    text = PAGE.read_text(encoding="utf-8")
    shown = [ln for ln in text.splitlines() if ln.startswith("| `")]
    assert len(rows()) == len(shown) >= 40
    assert len(_exit_table()) >= 10


def test_placeholders_match_varying_text_and_home_only_the_home(tmp_path):
    pattern = message_pattern("error: <home>/tenants.yaml line <n>: not UTF-8 (byte <hex>)", tmp_path)
    assert pattern.fullmatch(f"error: {tmp_path}/tenants.yaml line 3: not UTF-8 (byte 0xe9)")
    assert not pattern.fullmatch("error: /elsewhere/tenants.yaml line 3: not UTF-8 (byte 0xe9)")
    assert not pattern.fullmatch(f"error: {tmp_path}/tenants.yaml line 3: not UTF-8 (byte 0xe9); more")
    assert parse_row({"command": "`A_B=1 tenantguard x --y 'two words'`", "setup": "s",
                      "message": "`` run `z` ``", "exit": "2"}) == Row("A_B=1 tenantguard x --y 'two words'",
                                                                      {"A_B": "1"}, ["x", "--y", "two words"],
                                                                      "s", "run `z`", 2)
