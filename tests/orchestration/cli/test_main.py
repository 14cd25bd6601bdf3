import os
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("sfn-etl"))


def test_a_usage_error_is_a_message_and_exit_2_not_a_traceback():
    completed = subprocess.run(
        [CLI, "schedule", "--on-stop", "bogus"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "Invalid value for '--on-stop'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_an_unknown_command_is_a_usage_error():
    completed = subprocess.run([CLI, "nosuch"], capture_output=True, text=True, check=False)
    assert completed.returncode == 2
    assert "No such command 'nosuch'" in completed.stderr


def test_the_help_lists_every_command_group_including_the_dataset_commands():
    completed = subprocess.run(
        [CLI, "--help"], capture_output=True, text=True, check=False, env=_wide()
    )
    assert completed.returncode == 0
    listed = {line.split()[1] for line in completed.stdout.splitlines() if line.startswith("│ ")}
    assert {
        "seed", "datasets", "new-dataset", "job", "run", "executions", "package", "deploy",
        "load", "schedule", "watch", "validate", "docs", "catalog",
    } <= listed  # fmt: skip


def test_a_refused_dataset_name_is_one_error_line_and_exit_2(tmp_path):
    (tmp_path / "transforms").mkdir()
    completed = subprocess.run(
        [CLI, "new-dataset", "My-Data"], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert completed.returncode == 2
    assert completed.stderr == "error: dataset name 'My-Data' must match ^[a-z][a-z0-9_]*$\n"
    assert [p.name for p in tmp_path.iterdir()] == ["transforms"]


def _wide() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200"}
