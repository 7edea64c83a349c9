"""``extends:`` stays where packs are: a sibling pack or a registered id, never ``../../x``, an
absolute path or a link out of the directory holding the pack (unless --allow-outside); a
registered id wins over a local directory of the same name; chains are bounded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policyengine import PackError, load_pack
from policyengine.packs import merge

RULE = """\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: 一, quote: 面积}
    message: 面积不足
"""


def pack(d: Path, pid: str, extra: str = "") -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "pack.yaml").write_text(
        f"pack: {{id: {pid}, version: 1.0.0, title: {{zh: 测试}}, authority: {{zh: 测试}}}}\n"
        "sources: [{id: s, title: {zh: 来源}, authority: 某局}]\n" + extra + RULE,
        encoding="utf-8",
    )
    return d


def validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "validate", *args], capture_output=True, text=True
    )


def test_a_sibling_pack_may_be_extended(tmp_path: Path) -> None:
    pack(tmp_path / "packs" / "base", "base")
    child = pack(tmp_path / "packs" / "child", "child", "extends: ../base\n")
    assert load_pack(child).id == "child"


@pytest.mark.parametrize("how", ["../../outside/base", "ABSOLUTE", "../link"])
def test_extends_leading_outside_the_packs_directory_is_refused(tmp_path: Path, how: str) -> None:
    outside = pack(tmp_path / "outside" / "base", "base")
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "link").symlink_to(outside, target_is_directory=True)
    target = str(outside) if how == "ABSOLUTE" else how
    child = pack(tmp_path / "packs" / "child", "child", f"extends: {target}\n")
    with pytest.raises(PackError, match="leads outside"):
        load_pack(child)
    out = validate(str(child))
    assert out.returncode == 2 and "leads outside" in out.stderr and "--allow-outside" in out.stderr
    assert validate(str(child), "--allow-outside").returncode == 0


def test_a_registered_id_wins_over_a_local_directory_of_that_name(tmp_path: Path) -> None:
    pack(tmp_path / "sichuan", "impostor")  # a local directory named like a registered pack
    child = pack(tmp_path / "child", "child", "extends: sichuan\n")
    loaded = load_pack(child)
    assert "station.social_workers" in {r.id for r in loaded.rules}  # the registered sichuan's rule


def test_a_chain_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "packs"
    pack(root / "p0", "p0")
    for i in range(1, merge.MAX_EXTENDS + 2):
        pack(root / f"p{i}", f"p{i}", f"extends: ../p{i - 1}\n")
    assert load_pack(root / f"p{merge.MAX_EXTENDS - 1}").id == f"p{merge.MAX_EXTENDS - 1}"
    with pytest.raises(PackError, match=f"more than {merge.MAX_EXTENDS} packs"):
        load_pack(root / f"p{merge.MAX_EXTENDS + 1}")
