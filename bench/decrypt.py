"""Benchmark decrypting the repo's secrets, side by side with `sops decrypt` on the same files.

    uv run python bench/decrypt.py [--files 50] [--values 20] [--runs 5]

A repo's worth of secrets files (50 files of 20 values each: 1,000 values, nested two deep, as
`dockyard secrets set` writes them) encrypted to one age recipient. Dockyard: every file opened
in one process (the data key from the age stanza, every value decrypted, the MAC checked), from
its bytes (YAML parsed with positions, then decrypted), and as plan and apply do it (the load has
parsed the files already, cached by content: decryption alone). sops v3.13.3 (built from its Go
module, tests/peers.py): `sops decrypt` once per file, as a script or a CI job runs it. Also:
sealing one changed value again (an edit) and how many lines of the file that changed. Median of
`--runs`.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import pyrage  # noqa: E402
from tests.peers import sops  # noqa: E402

from dockyard.load.yamlsafe import Document, parse  # noqa: E402
from dockyard.secrets.sopsfile import (  # noqa: E402
    Metadata,
    age_stanzas,
    new_data_key,
    open_document,
    open_file,
    seal,
)


def _values(index: int, count: int) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for number in range(count):
        group = f"group{number % 4}"
        values.setdefault(group, {})[f"key{number}"] = f"value-{index}-{number}-" + "x" * 24
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--values", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    identity = pyrage.x25519.Identity.generate()
    folder = Path(tempfile.mkdtemp(prefix="dockyard-bench-secrets-"))
    files = []
    for index in range(args.files):
        key = new_data_key()
        metadata = Metadata(age=age_stanzas(key, [str(identity.to_public())]), lastmodified="", mac="")
        path = folder / f"layer{index}.yaml"
        path.write_bytes(seal(_values(index, args.values), key, metadata, now=datetime.now(UTC)))
        files.append(path)

    def dockyard() -> int:
        return sum(
            len(group)
            for path in files
            for group in open_file(path.name, path.read_bytes(), [identity]).values.values()
        )

    documents = [document for path in files if isinstance(document := parse(path.name, path.read_bytes()), Document)]

    def parsed() -> int:
        return sum(len(group) for d in documents for group in open_document(d, [identity]).values.values())

    env = {"PATH": os.environ["PATH"], "HOME": str(folder), "SOPS_AGE_KEY": str(identity)}
    binary = str(sops())

    def peer() -> int:
        for path in files:
            subprocess.run([binary, "decrypt", str(path)], env=env, check=True, capture_output=True)
        return len(files)

    timings: dict[str, list[float]] = {"dockyard": [], "parsed": [], "sops": []}
    for _run in range(args.runs):
        for name, action in (("dockyard", dockyard), ("parsed", parsed), ("sops", peer)):
            start = time.perf_counter()
            action()
            timings[name].append(time.perf_counter() - start)
    assert dockyard() == parsed() == args.files * args.values

    opened = open_file("layer0.yaml", files[0].read_bytes(), [identity])
    changed = {**opened.values, "group0": {**opened.values["group0"], "key0": "a new value"}}
    start = time.perf_counter()
    again = seal(changed, opened.data_key, opened.metadata, opened, now=datetime(2030, 1, 1, tzinfo=UTC))
    edit_ms = (time.perf_counter() - start) * 1000
    diff = difflib.unified_diff(files[0].read_text().splitlines(), again.decode().splitlines(), lineterm="", n=0)
    changed_lines = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]

    dockyard_s = statistics.median(timings["dockyard"])
    sops_s = statistics.median(timings["sops"])
    print(
        json.dumps(
            {
                "files": args.files,
                "values": args.files * args.values,
                "dockyard_decrypt_all_s": round(dockyard_s, 3),
                "dockyard_decrypt_all_parsed_s": round(statistics.median(timings["parsed"]), 3),
                "sops_decrypt_each_file_s": round(sops_s, 3),
                "sops_over_dockyard": round(sops_s / dockyard_s, 1),
                "edit_one_value_ms": round(edit_ms, 2),
                "edit_lines_changed": len(changed_lines),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
