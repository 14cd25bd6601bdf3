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
