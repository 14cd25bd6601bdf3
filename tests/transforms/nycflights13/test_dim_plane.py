from chispa import assert_df_equality

from tests.transforms.nycflights13 import raw_rows
from transforms.nycflights13.dataset import DATASET
from transforms.nycflights13.dim_plane import build_dim_plane
from transforms.schemas import spark_schema

DIM_PLANE = DATASET.curated("dim_plane")


def test_planes_keep_their_registry_details_and_missing_ones_stay_null(spark):
    planes = raw_rows(
        spark,
        "planes",
        "N201AA,1959,Fixed wing single engine,CESSNA,150,1,2,90,Reciprocating",
        "N14558,NA,Fixed wing multi engine,EMBRAER,EMB-145LR,2,55,NA,Turbo-fan",
    )

    expected = spark.createDataFrame(
        [
            (
                "N201AA",
                1959,
                "Fixed wing single engine",
                "CESSNA",
                "150",
                1,
                2,
                90,
                "Reciprocating",
            ),
            (
                "N14558",
                None,
                "Fixed wing multi engine",
                "EMBRAER",
                "EMB-145LR",
                2,
                55,
                None,
                "Turbo-fan",
            ),
        ],
        spark_schema(DIM_PLANE.columns),
    )
    assert_df_equality(
        build_dim_plane(planes), expected, ignore_row_order=True, ignore_nullable=True
    )
