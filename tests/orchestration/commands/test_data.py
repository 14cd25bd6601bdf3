import subprocess
import sys
from pathlib import Path

from orchestration.cli import main

CLI = [str(Path(sys.executable).with_name("sfn-etl"))]


def test_seed_command_reports_files_and_rows(lake_root, capsys):
    assert main(["seed", "--scale", "0.001", "--batches", "2"]) == 0
    out = capsys.readouterr().out
    assert f"seeded {lake_root}: 12 files written, 0 unchanged" in out
    assert "lineitem" in out
    assert len(list(lake_root.rglob("*.tbl"))) == 12


def test_job_on_an_empty_lake_is_one_clear_line_without_traceback(lake_root):
    completed = subprocess.run([*CLI, "job", "transform"], capture_output=True, text=True)
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"error: no raw files under {lake_root}/raw"
    assert "Traceback" not in completed.stderr + completed.stdout


def test_unknown_job_is_refused(lake_root, capsys):
    assert main(["job", "nosuch"]) == 2
    assert "unknown job 'nosuch'; jobs: transform, validate" in capsys.readouterr().err
