import subprocess
import sys

from orchestration.cli.streams import stdout_to_stderr


def test_a_child_process_writing_to_stdout_lands_on_stderr(capfd):
    with stdout_to_stderr():
        subprocess.run(["echo", "from the jvm"], check=True)
        print("from a handler")
    print('{"status": "SUCCEEDED"}')

    captured = capfd.readouterr()
    assert captured.out == '{"status": "SUCCEEDED"}\n'
    assert captured.err == "from the jvm\nfrom a handler\n"


def test_stdout_is_restored_after_an_error(capfd):
    try:
        with stdout_to_stderr():
            raise RuntimeError("task failed")
    except RuntimeError:
        pass
    sys.stdout.write("summary\n")

    assert capfd.readouterr().out == "summary\n"
