"""Kazakh date and number formats, as Kazakh official texts write them.

Dates read year first: "2026 жылғы 27 қараша" (the form of laws and decrees, "2015 жылғы 31 тамыз");
a 24-hour clock; "27.11.2026" where space is short. Kazakh month names are not declined after the day
and are written in lower case: the "alt. month" translations give them (see the project's catalog).
Characters that are not Django format letters (ж, ы, л, ғ) are printed as they are.
"""

from django.utils.translation import pgettext_lazy

# Django's Kazakh catalog capitalises the "alt. month" names (the `E` format letter); the project's
# catalog gives them in lower case. Listed here so that makemessages keeps those entries.
MONTH_NAMES_IN_DATES = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]

DATE_FORMAT = "Y жылғы j E"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y жылғы j E, H:i"
YEAR_MONTH_FORMAT = "Y жылғы E"
MONTH_DAY_FORMAT = "j E"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# Read from forms: the short forms first, as people type them; ISO for date fields of browsers.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # a no-break space: "21 100" never breaks across lines
NUMBER_GROUPING = 3
