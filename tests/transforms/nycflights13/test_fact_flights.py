import io
import zipfile
from datetime import date

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from tests.transforms.nycflights13 import raw_rows, source_file
from transforms.nycflights13.dataset import DATASET
from transforms.nycflights13.fact_flights import build_fact_flights
from transforms.nycflights13.seed import data_file
from transforms.schemas import QUARANTINE_SCHEMA, spark_schema

FACT_FLIGHTS = spark_schema(DATASET.curated("fact_flights").columns)

UA_1545 = "2013,1,1,517,515,2,830,819,11,UA,1545,N14228,EWR,IAH,227,1400,5,15,2013-01-01T10:00:00Z"
B6_725_TO_BQN = (
    "2013,1,1,544,545,-1,1004,1022,-18,B6,725,N804JB,JFK,BQN,183,1576,5,45,2013-01-01T10:00:00Z"
)
AA_133_NO_TAIL = (
    "2013,1,2,NA,1545,NA,NA,1910,NA,AA,133,NA,JFK,LAX,NA,2475,15,45,2013-01-02T20:00:00Z"
)
AA_301_UNREGISTERED = (
    "2013,1,1,558,600,-2,753,745,8,AA,301,N3ALAA,LGA,ORD,138,733,6,0,2013-01-01T11:00:00Z"
)
EV_4308_CANCELLED = (
    "2013,1,1,NA,1630,NA,NA,1815,NA,EV,4308,N18120,EWR,RDU,NA,416,16,30,2013-01-01T21:00:00Z"
)
EV_4204_NO_ARRIVAL = (
    "2013,1,1,2016,1930,46,NA,2220,NA,EV,4204,N14168,EWR,OKC,NA,1325,19,30,2013-01-02T00:00:00Z"
)

AIRLINES = (
    "AA,American Airlines Inc.",
    "B6,JetBlue Airways",
    "EV,ExpressJet Airlines Inc.",
    "UA,United Air Lines Inc.",
)
AIRPORTS = (
    "EWR,Newark Liberty Intl,40.6925,-74.168667,18,-5,A,America/New_York",
    "JFK,John F Kennedy Intl,40.639751,-73.778925,13,-5,A,America/New_York",
    "LGA,La Guardia,40.777245,-73.872608,22,-5,A,America/New_York",
    "IAH,George Bush Intercontinental,29.984433,-95.341442,97,-6,A,America/Chicago",
    "LAX,Los Angeles Intl,33.942536,-118.408075,126,-8,A,America/Los_Angeles",
    "OKC,Will Rogers World,35.393089,-97.600733,1295,-6,A,America/Chicago",
    "ORD,Chicago Ohare Intl,41.978603,-87.904842,668,-6,A,America/Chicago",
    "RDU,Raleigh Durham Intl,35.877639,-78.787472,435,-5,A,America/New_York",
)
PLANES = (
    "N14168,2004,Fixed wing multi engine,EMBRAER,EMB-145XR,2,55,NA,Turbo-fan",
    "N14228,1999,Fixed wing multi engine,BOEING,737-824,2,149,NA,Turbo-fan",
    "N18120,2003,Fixed wing multi engine,EMBRAER,EMB-145XR,2,55,NA,Turbo-fan",
    "N804JB,2012,Fixed wing multi engine,AIRBUS,A320-232,2,200,NA,Turbo-fan",
)


def _build(spark, *flights, airlines=AIRLINES, airports=AIRPORTS):
    return build_fact_flights(
        raw_rows(spark, "flights", *flights),
        raw_rows(spark, "airlines", *airlines),
        raw_rows(spark, "airports", *airports),
        raw_rows(spark, "planes", *PLANES),
    )


@pytest.fixture(scope="module")
def fact(spark):
    """The fact of one batch holding every sample flight, all of whose references are known."""
    result = _build(
        spark,
        UA_1545,
        B6_725_TO_BQN,
        AA_133_NO_TAIL,
        AA_301_UNREGISTERED,
        EV_4308_CANCELLED,
        EV_4204_NO_ARRIVAL,
    )
    assert result.rejected.count() == 0
    good = result.good.cache()
    yield good
    good.unpersist()


def _assert_fact(spark, fact, expected_row):
    carrier, flight = expected_row[1], expected_row[2]
    row = fact.where((F.col("carrier_code") == carrier) & (F.col("flight_number") == flight))
    expected = spark.createDataFrame([expected_row], FACT_FLIGHTS)
    assert_df_equality(row, expected, ignore_nullable=True)


def test_a_flight_with_known_references_keeps_its_codes_times_and_date_key(spark, fact):
    _assert_fact(
        spark,
        fact,
        # fmt: off
        (
            date(2013, 1, 1),
            "UA",
            1545,
            515,
            20130101,
            "EWR",
            "IAH",
            "IAH",
            "N14228",
            "N14228",
            5,
            517,
            819,
            830,
            2,
            11,
            227,
            1400,
            False,
        ),
        # fmt: on
    )


def test_flight_to_an_unknown_airport_points_at_the_unknown_member_and_keeps_the_code(spark, fact):
    _assert_fact(
        spark,
        fact,
        # fmt: off
        (
            date(2013, 1, 1),
            "B6",
            725,
            545,
            20130101,
            "JFK",
            "?",
            "BQN",
            "N804JB",
            "N804JB",
            5,
            544,
            1022,
            1004,
            -1,
            -18,
            183,
            1576,
            False,
        ),
        # fmt: on
    )


def test_flight_without_a_tail_number_points_at_the_unknown_plane(spark, fact):
    _assert_fact(
        spark,
        fact,
        # fmt: off
        (
            date(2013, 1, 2),
            "AA",
            133,
            1545,
            20130102,
            "JFK",
            "LAX",
            "LAX",
            "?",
            None,
            15,
            None,
            1910,
            None,
            None,
            None,
            None,
            2475,
            True,
        ),
        # fmt: on
    )


def test_flight_whose_plane_is_not_in_the_registry_points_at_the_unknown_plane(spark, fact):
    _assert_fact(
        spark,
        fact,
        # fmt: off
        (
            date(2013, 1, 1),
            "AA",
            301,
            600,
            20130101,
            "LGA",
            "ORD",
            "ORD",
            "?",
            "N3ALAA",
            6,
            558,
            745,
            753,
            -2,
            8,
            138,
            733,
            False,
        ),
        # fmt: on
    )


def test_cancelled_flight_stays_with_cancelled_true_and_no_actual_times(spark, fact):
    _assert_fact(
        spark,
        fact,
        # fmt: off
        (
            date(2013, 1, 1),
            "EV",
            4308,
            1630,
            20130101,
            "EWR",
            "RDU",
            "RDU",
            "N18120",
            "N18120",
            16,
            None,
            1815,
            None,
            None,
            None,
            None,
            416,
            True,
        ),
        # fmt: on
    )


def test_flight_that_departed_but_has_no_arrival_is_not_cancelled(spark, fact):
    _assert_fact(
        spark,
        fact,
        # fmt: off
        (
            date(2013, 1, 1),
            "EV",
            4204,
            1930,
            20130101,
            "EWR",
            "OKC",
            "OKC",
            "N14168",
            "N14168",
            19,
            2016,
            2220,
            None,
            46,
            None,
            None,
            1325,
            False,
        ),
        # fmt: on
    )


def test_flight_of_a_carrier_missing_from_the_batch_is_quarantined_with_reason(spark):
    without_united = tuple(a for a in AIRLINES if not a.startswith("UA,"))

    result = _build(spark, UA_1545, B6_725_TO_BQN, airlines=without_united)

    expected = spark.createDataFrame(
        [(source_file("flights"), UA_1545, "carrier UA is not in the batch's airlines")],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(result.rejected, expected, ignore_nullable=True)
    assert [r.carrier_code for r in result.good.collect()] == ["B6"]


def test_flight_from_an_origin_missing_from_the_batch_is_quarantined_with_reason(spark):
    without_newark = tuple(a for a in AIRPORTS if not a.startswith("EWR,"))

    result = _build(spark, UA_1545, B6_725_TO_BQN, airports=without_newark)

    expected = spark.createDataFrame(
        [(source_file("flights"), UA_1545, "origin airport EWR is not in the batch's airports")],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(result.rejected, expected, ignore_nullable=True)
    assert [r.carrier_code for r in result.good.collect()] == ["B6"]


def _package_lines(name):
    if name == "flights":
        with zipfile.ZipFile(data_file("flights.csv.zip")) as archive:
            text = io.TextIOWrapper(archive.open("flights.csv"), encoding="utf-8")
            return text.read().splitlines()
    return data_file(f"{name}.csv").read_text(encoding="utf-8").splitlines()


def test_every_january_flight_parses_and_is_kept_with_the_unknown_members_it_needs(spark):
    january = [line for line in _package_lines("flights")[1:] if line.split(",")[1] == "1"]
    references = {name: _package_lines(name)[1:] for name in ("airlines", "airports", "planes")}

    result = build_fact_flights(
        raw_rows(spark, "flights", *january),
        *(raw_rows(spark, name, *lines) for name, lines in references.items()),
    )

    counts = result.good.agg(
        F.count("*").alias("flights"),
        F.sum(F.col("cancelled").cast("int")).alias("cancelled"),
        F.sum((F.col("dest") == "?").cast("int")).alias("unknown_dest"),
        F.sum((F.col("tail_number") == "?").cast("int")).alias("unknown_plane"),
        F.sum(F.col("reported_tail_number").isNull().cast("int")).alias("no_tail_number"),
    ).first()
    assert counts.asDict() == {
        "flights": 27004,
        "cancelled": 521,
        "unknown_dest": 680,
        "unknown_plane": 4324 + 155,
        "no_tail_number": 155,
    }
    assert result.rejected.count() == 0
