from jobs.validation_paths import docs_index_uri, docs_root, results_uri, summary_uri
from orchestration.lake import Lake


def test_validation_outputs_sit_under_the_batch_folder_of_the_validation_zone():
    lake = Lake("/lake")
    assert summary_uri(lake, "b1") == "/lake/validation/b1/summary.json"
    assert results_uri(lake, "b1") == "/lake/validation/b1/results.json"
    assert docs_root(lake, "b1") == "/lake/validation/b1/docs"
    assert docs_index_uri(lake, "b1") == "/lake/validation/b1/docs/index.html"


def test_a_validation_zone_kept_elsewhere_moves_every_output():
    lake = Lake("/lake", {"validation": "s3://reports/validation"})
    assert summary_uri(lake, "b1") == "s3://reports/validation/b1/summary.json"
    assert docs_index_uri(lake, "b1") == "s3://reports/validation/b1/docs/index.html"
