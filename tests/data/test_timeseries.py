"""Time-series CSVs: a gap or an empty cell names its line unless filled; calendar months."""


import pytest

from rnnkit.data.tables import read_table
from rnnkit.data.timeseries import read_series
from rnnkit.errors import DataError


def write_csv(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_checks_name_the_first_bad_row(tmp_path):
    rows = ["ts,y", "2020-01-01,1", "2020-01-02,2", "2020-01-04,4"]
    table = read_table(write_csv(tmp_path, "gap.csv", rows))
    with pytest.raises(DataError, match="gap.csv line 4: a gap: time jumps from 2020-01-02"):
        read_series(table, "ts", ["y"])
    filled = read_series(table, "ts", ["y"], fill="linear")[0]
    assert filled.columns["y"].tolist() == [1, 2, 3, 4] and len(filled.times) == 4
    table = read_table(write_csv(tmp_path, "nan.csv", ["ts,y", "1,1", "2,", "3,3"]))
    with pytest.raises(DataError, match="nan.csv line 3: column 'y' is empty"):
        read_series(table, "ts", ["y"])
    assert read_series(table, "ts", ["y"], fill="ffill")[0].columns["y"].tolist() == [1, 1, 3]
    table = read_table(write_csv(tmp_path, "m.csv", ["ts,y", "2020-01-01,1", "2020-02-01,2",
                                                    "2020-03-01,3"]))
    assert read_series(table, "ts", ["y"])[0].frequency == "month"
