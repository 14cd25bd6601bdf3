import pytest

from orchestration.core.errors import UserError
from orchestration.core.json_files import read_json_object


def test_a_json_object_is_read(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text('{"date": "2026-12-02"}')
    assert read_json_object(path, "prices file") == {"date": "2026-12-02"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "prices file {path} is not JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "prices file {path} must hold a JSON object"),
    ],
)
def test_a_file_that_is_not_a_json_object_is_named(tmp_path, content, message):
    path = tmp_path / "prices.json"
    path.write_text(content)
    with pytest.raises(UserError) as raised:
        read_json_object(path, "prices file")
    assert str(raised.value).startswith(message.format(path=path))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(UserError, match="cannot read the prices file .*missing.json: No such file"):
        read_json_object(tmp_path / "missing.json", "prices file")
