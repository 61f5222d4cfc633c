#!/usr/bin/env python3
"""Print every day from FROM to TO (inclusive) as `YYYY-MM-DD KIND`, by the
`chinesecalendar` package from PyPI: an independent source of the official
schedule, which the calendar crate's tests compare with its own data.

KIND is workday, weekend, holiday or swapped-workday, as `zhifa calendar days`.
"""
import datetime
import sys

import chinese_calendar


def kind(day: datetime.date) -> str:
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    if on_holiday:
        return "holiday" if name else "weekend"
    return "swapped-workday" if name else "workday"


def main() -> None:
    first, last = (datetime.date.fromisoformat(a) for a in sys.argv[1:3])
    day = first
    while day <= last:
        print(day.isoformat(), kind(day))
        day += datetime.timedelta(days=1)


if __name__ == "__main__":
    main()
