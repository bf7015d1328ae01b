"""The pipeline of the reports elhub-explorer replaces, written plainly as they wrote it:
requests month by month, pandas with the Europe/Oslo conversion, and a SQLite write.

Usage: report_pipeline.py BASE_URL FROM_MONTH TO_MONTH SQLITE_FILE   (months as YYYY-MM)
"""
import sqlite3
import sys

import pandas as pd
import requests

base, first, last, db = sys.argv[1:5]
months = pd.date_range(first + "-01", last + "-01", freq="MS", tz="Europe/Oslo")
conn = sqlite3.connect(db)
total = 0
for start in months:
    end = start + pd.offsets.MonthBegin(1)
    response = requests.get(
        f"{base}/price-areas",
        params={
            "dataset": "PRODUCTION_PER_GROUP_MBA_HOUR",
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
        },
        headers={"Accept": "application/vnd.api+json", "User-Agent": "report-pipeline/1.0"},
        timeout=60,
    )
    response.raise_for_status()
    rows = []
    for area in response.json()["data"]:
        rows.extend(area["attributes"]["productionPerGroupMbaHour"])
    df = pd.DataFrame(rows)
    if df.empty:
        continue
    for column in ["startTime", "endTime", "lastUpdatedTime"]:
        df[column] = pd.to_datetime(df[column], utc=True).dt.tz_convert("Europe/Oslo")
    df.to_sql("production", conn, if_exists="append", index=False)
    total += len(df)
conn.commit()
conn.close()
print(f"{total} records", file=sys.stderr)
