"""nycflights13: every flight that left New York City (EWR, JFK, LGA) in 2013, with its airline,
airports, plane and the hourly weather at the origin. Real data, from the nycflights13 package
(the US Bureau of Transportation Statistics, the FAA and the NOAA), landed one month per batch.

Raw extracts are CSV with a header row and "NA" for a missing value. Every monthly batch
carries the month's flights (flights.csv.gz) and weather, plus a full snapshot of the
reference tables airlines, airports and planes: a monthly extract brings its reference data, so
references resolve within the batch. Codes are declared at their standard width (carrier 2,
FAA airport 3, tail number 6); free text a little above the longest 2013 value.

Star schema: fact_flights (one row per scheduled flight) and fact_weather (one reading per
origin and local hour) with dim_carrier, dim_airport, dim_plane and dim_date. A flight joins its
weather on (origin, flight_date, scheduled_hour) = (origin, observation_date, hour). dim_date
spans the batch's flight dates; flights leave New York every day, so it covers the weather's.

Policies:
- flights.carrier -> airlines: a flight whose carrier is not in the batch's airlines is
  quarantined with a reason (none are in 2013); there is no "unknown carrier" member.
- flights.origin -> airports: quarantined with a reason when unknown (none are).
- flights.dest -> airports: the unknown member. 7,602 flights fly to BQN, SJU, STT or PSE,
  which the FAA airport list lacks; they are real flights, so `dest` takes the unknown key "?"
  and the code as reported is kept in `reported_dest`.
- flights.tailnum -> planes: the unknown member, for a missing tail number (2,512) or one the
  FAA registry lacks (50,094); the tail number as reported is kept in `reported_tail_number`.
- weather.origin -> airports: quarantined with a reason when unknown (none are).
- A cancelled flight (no departure time: 8,255) stays, with cancelled=true and null times; a
  flight that departed but has no arrival (458, diverted) is not cancelled.
- Weather's business key is the local hour, so the 01:00 that the end of daylight saving time
  repeats on 2013-11-03 is a duplicate (3 readings, one per airport): one reading is kept.
- Row rules quarantine a day that does not exist (flights and weather: the date is a business
  key) or outside 2013, an origin that is not New York's, a value out of its range (a time of
  day, a delay, a weather reading outside physical bounds, a plane's seats) and an unknown
  code; in 2013 that is one reading, EWR 2013-02-12 03:00 with a wind speed of 1048 mph.
  A missing measure passes; a missing value a curated column requires does not.
The unknown members use "?", which is not a valid code of any kind, so it never meets a real one.

Distribution: fact_flights is distributed on flight_number (3,844 values in 2013): origin has
only 3 values and carrier 16 unequal ones, either would put the table on a few slices, and
every dimension is small enough to replicate, so no join needs co-location.
fact_weather (26k readings a year) is replicated, so its join to fact_flights stays local.
"""

from __future__ import annotations

from dataclasses import replace

from transforms.declaration import (
    CALENDAR_COLUMNS,
    CuratedTable,
    Dataset,
    Field,
    FileFormat,
    RawTable,
    Rule,
)

CSV = FileFormat(delimiter=",", header=True, quote='"', null_tokens=("NA",))
CSV_GZIP = replace(CSV, compression="gzip")
UNKNOWN = "?"
"""The unknown member's key in every dimension: no carrier, airport or tail number is "?"."""
HIGHEST_SURFACE_WIND_MPH = 253
"""Barrow Island, 1996 (WMO): the fastest surface wind ever measured."""
CALENDAR_DATE = Rule(
    name="calendar_date",
    # make_date is NULL for a day that does not exist (2013-02-30): the date is a business key.
    condition="make_date(year, month, day) IS NOT NULL",
    reason="year, month and day are not a calendar date",
)
YEAR = 2013
IN_YEAR = Rule("in_2013", f"year = {YEAR}", f"not in {YEAR}: nycflights13 covers {YEAR} only")
NEW_YORK_AIRPORTS = ("EWR", "JFK", "LGA")
FROM_NEW_YORK = Rule(
    "origin_new_york",
    "origin IN ({})".format(", ".join(f"'{code}'" for code in NEW_YORK_AIRPORTS)),
    f"origin is not one of New York's airports {', '.join(NEW_YORK_AIRPORTS)}",
)


def _between(column: str, low: float, high: float, unit: str = "") -> Rule:
    return Rule(
        f"{column}_range",
        f"{column} BETWEEN {low} AND {high}",
        f"{column} outside {low} to {high}{unit}",
    )


def _one_of(column: str, values: tuple[str, ...]) -> Rule:
    listed = ", ".join(f"'{value}'" for value in values)
    return Rule(
        f"{column}_known", f"{column} IN ({listed})", f"{column} is not one of {', '.join(values)}"
    )


def _required(*columns: str) -> tuple[Rule, ...]:
    """A value a curated column needs (a missing measure passes the range rules)."""
    return tuple(Rule(f"{c}_present", f"{c} IS NOT NULL", f"{c} is missing") for c in columns)


AIRCRAFT_TYPES = ("Fixed wing multi engine", "Fixed wing single engine", "Rotorcraft")
ENGINE_TYPES = ("4 Cycle", "Reciprocating", "Turbo-fan", "Turbo-jet", "Turbo-prop", "Turbo-shaft")

RAW_TABLES = (
    RawTable(
        name="flights",
        fields=(
            Field("year", "int", key=True),
            Field("month", "int", key=True),
            Field("day", "int", key=True),
            Field("dep_time", "int"),
            Field("sched_dep_time", "int", key=True),
            Field("dep_delay", "int"),
            Field("arr_time", "int"),
            Field("sched_arr_time", "int"),
            Field("arr_delay", "int"),
            Field("carrier", "string(2)", key=True),
            Field("flight", "int", key=True),
            Field("tailnum", "string(6)"),
            Field("origin", "string(3)"),
            Field("dest", "string(3)"),
            Field("air_time", "int"),
            Field("distance", "int"),
            Field("hour", "int"),
            Field("minute", "int"),
            Field("time_hour", "timestamp"),
        ),
        format=CSV_GZIP,
        rules=(
            CALENDAR_DATE,
            IN_YEAR,
            FROM_NEW_YORK,
            *_required("dest", "sched_arr_time", "distance", "hour"),
            _between("flight", 1, 9999),
            # Times of day as hhmm; 2400 is the midnight that ends the day.
            _between("sched_dep_time", 0, 2359),
            _between("sched_arr_time", 0, 2359),
            _between("dep_time", 1, 2400),
            _between("arr_time", 1, 2400),
            _between("hour", 0, 23),
            # Negative is early; more than a day late is not a delay but a data error.
            _between("dep_delay", -120, 1440, " minutes"),
            _between("arr_delay", -120, 1440, " minutes"),
            _between("air_time", 1, 720, " minutes"),
            # Honolulu, the farthest destination from New York, is 4,983 miles away.
            _between("distance", 1, 5000, " miles"),
        ),
    ),
    RawTable(
        name="airlines",
        fields=(Field("carrier", "string(2)", key=True), Field("name", "string(40)")),
        format=CSV,
        rules=(
            Rule("carrier_two_letters", "length(carrier) = 2", "carrier code is not 2 characters"),
            *_required("name"),
        ),
    ),
    RawTable(
        name="airports",
        fields=(
            Field("faa", "string(3)", key=True),
            Field("name", "string(64)"),
            Field("lat", "double"),
            Field("lon", "double"),
            Field("alt", "int"),
            Field("tz", "int"),
            Field("dst", "string(1)"),
            Field("tzone", "string(32)"),
        ),
        format=CSV,
        rules=(
            *_required("name"),
            _between("lat", -90, 90, " degrees"),
            _between("lon", -180, 180, " degrees"),
            _between("alt", -1500, 15000, " feet"),
            _between("tz", -12, 14, " hours"),
            # The FAA's daylight saving codes: A (US rules), N (none), U (unknown).
            _one_of("dst", ("A", "N", "U")),
        ),
    ),
    RawTable(
        name="planes",
        fields=(
            Field("tailnum", "string(6)", key=True),
            Field("year", "int"),
            Field("type", "string(32)"),
            Field("manufacturer", "string(40)"),
            Field("model", "string(24)"),
            Field("engines", "int"),
            Field("seats", "int"),
            Field("speed", "int"),
            Field("engine", "string(16)"),
        ),
        format=CSV,
        rules=(
            *_required("manufacturer", "model"),
            # The Wright Flyer flew in 1903; the data is of 2013.
            _between("year", 1903, YEAR),
            _between("engines", 1, 8),
            _between("seats", 1, 853),
            _one_of("type", AIRCRAFT_TYPES),
            _one_of("engine", ENGINE_TYPES),
        ),
    ),
    RawTable(
        name="weather",
        fields=(
            Field("origin", "string(3)", key=True),
            Field("year", "int", key=True),
            Field("month", "int", key=True),
            Field("day", "int", key=True),
            Field("hour", "int", key=True),
            Field("temp", "double"),
            Field("dewp", "double"),
            Field("humid", "double"),
            Field("wind_dir", "int"),
            Field("wind_speed", "double"),
            Field("wind_gust", "double"),
            Field("precip", "double"),
            Field("pressure", "double"),
            Field("visib", "double"),
            Field("time_hour", "timestamp"),
        ),
        format=CSV,
        rules=(
            CALENDAR_DATE,
            IN_YEAR,
            FROM_NEW_YORK,
            Rule(
                name="hour_of_day",
                condition="hour BETWEEN 0 AND 23",
                reason="hour outside 0-23",
            ),
            Rule(
                name="wind_speed_possible",
                condition=f"wind_speed BETWEEN 0 AND {HIGHEST_SURFACE_WIND_MPH}",
                reason=(
                    f"wind speed outside 0-{HIGHEST_SURFACE_WIND_MPH} mph "
                    f"({HIGHEST_SURFACE_WIND_MPH} mph is the highest surface wind ever measured)"
                ),
            ),
            Rule(
                name="humidity_percentage",
                condition="humid BETWEEN 0 AND 100",
                reason="relative humidity outside 0-100%",
            ),
            Rule(
                name="wind_direction_compass",
                condition="wind_dir BETWEEN 0 AND 360",
                reason="wind direction outside 0-360 degrees",
            ),
            # NOAA reports visibility up to 10 miles.
            _between("visib", 0, 10, " miles"),
            # New York's records are -15 F and 106 F.
            _between("temp", -30, 120, " F"),
            _between("wind_gust", 0, HIGHEST_SURFACE_WIND_MPH, " mph"),
            _between("precip", 0, 10, " inches in one hour"),
            # The lowest and highest sea-level pressures ever recorded.
            _between("pressure", 870, 1085, " millibars"),
            Rule(
                "dewpoint_not_above_temperature",
                "temp >= dewp",
                "dew point above the temperature (air cannot hold more water than saturates it)",
            ),
        ),
    ),
)

CURATED_TABLES = (
    CuratedTable(
        name="dim_carrier",
        columns=(Field("carrier_code", "string(2)", key=True), Field("name", "string(40)")),
        build="dim_carrier:build_dim_carrier",
        inputs=("airlines",),
        source="airlines",
        sortkey=("carrier_code",),
    ),
    CuratedTable(
        name="dim_airport",
        columns=(
            Field("airport_code", "string(3)", key=True),
            Field("name", "string(64)"),
            Field("latitude", "double"),
            Field("longitude", "double"),
            Field("altitude_feet", "int"),
            Field("utc_offset_hours", "int"),
            Field("dst_rule", "string(1)"),
            Field("time_zone", "string(32)"),
        ),
        build="dim_airport:build_dim_airport",
        inputs=("airports",),
        source="airports",
        sortkey=("airport_code",),
        unknown_member={"airport_code": UNKNOWN, "name": "Unknown airport"},
    ),
    CuratedTable(
        name="dim_plane",
        columns=(
            Field("tail_number", "string(6)", key=True),
            Field("year_built", "int"),
            Field("aircraft_type", "string(32)"),
            Field("manufacturer", "string(40)"),
            Field("model", "string(24)"),
            Field("engine_count", "int"),
            Field("seat_count", "int"),
            Field("cruise_speed_mph", "int"),
            Field("engine_type", "string(16)"),
        ),
        build="dim_plane:build_dim_plane",
        inputs=("planes",),
        source="planes",
        sortkey=("tail_number",),
        unknown_member={
            "tail_number": UNKNOWN,
            "aircraft_type": "Unknown",
            "manufacturer": "Unknown",
            "model": "Unknown",
            "engine_type": "Unknown",
        },
    ),
    CuratedTable(
        name="fact_flights",
        columns=(
            Field("flight_date", "date", key=True),
            Field("carrier_code", "string(2)", key=True),
            Field("flight_number", "int", key=True),
            Field("scheduled_departure", "int", key=True),
            Field("date_key", "int"),
            Field("origin", "string(3)"),
            Field("dest", "string(3)"),
            Field("reported_dest", "string(3)"),
            Field("tail_number", "string(6)"),
            Field("reported_tail_number", "string(6)"),
            Field("scheduled_hour", "int"),
            Field("actual_departure", "int"),
            Field("scheduled_arrival", "int"),
            Field("actual_arrival", "int"),
            Field("departure_delay_minutes", "int"),
            Field("arrival_delay_minutes", "int"),
            Field("air_time_minutes", "int"),
            Field("distance_miles", "int"),
            Field("cancelled", "boolean"),
        ),
        build="fact_flights:build_fact_flights",
        inputs=("flights", "airlines", "airports", "planes"),
        source="flights",
        distkey="flight_number",
        sortkey=("flight_date",),
        fact=True,
    ),
    CuratedTable(
        name="fact_weather",
        columns=(
            Field("origin", "string(3)", key=True),
            Field("observation_date", "date", key=True),
            Field("hour", "int", key=True),
            Field("date_key", "int"),
            Field("temperature_f", "double"),
            Field("dewpoint_f", "double"),
            Field("humidity_percent", "double"),
            Field("wind_direction_degrees", "double"),
            Field("wind_speed_mph", "double"),
            Field("wind_gust_mph", "double"),
            Field("precipitation_inches", "double"),
            Field("pressure_millibars", "double"),
            Field("visibility_miles", "double"),
        ),
        build="fact_weather:build_fact_weather",
        inputs=("weather", "airports"),
        source="weather",
        sortkey=("observation_date", "hour"),
        fact=True,
    ),
    CuratedTable(
        name="dim_date",
        columns=CALENDAR_COLUMNS,
        build="dim_date:build_dim_date",
        inputs=("fact_flights",),
        source=None,
        sortkey=("date_key",),
    ),
)

DATASET = Dataset(
    name="nycflights13",
    description=(
        "Flights out of New York City in 2013 (nycflights13), with airlines, airports, planes "
        "and hourly weather: flights and weather star schema, one batch per month"
    ),
    raw_tables=RAW_TABLES,
    curated_tables=CURATED_TABLES,
    destinations=("warehouse", "catalog"),
    seed="seed:seed",
)
